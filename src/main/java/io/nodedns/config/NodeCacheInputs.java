package io.nodedns.config;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything node-cache's {@code updateCorefile} (kubernetes/dns cmd/node-cache/app/configmap.go)
 * reads to turn the ConfigMap template into the Corefile it serves.
 *
 * @param baseCorefile     {@code -basecorefile}: the node-local-dns ConfigMap's Corefile template
 * @param kubeDnsConfigDir {@code -kubednscm}: the mounted kube-dns ConfigMap; null or missing for none
 * @param upstreamService  {@code -upstreamsvc}: the Service whose ClusterIP replaces
 *                         {@code __PILLAR__CLUSTER__DNS__}, read from {@code <SVC>_SERVICE_HOST}
 * @param env              the process environment (tests pass their own)
 * @param localIps         {@code -localip}: replaces {@code __PILLAR__LOCAL__DNS__}, and stub domains bind to them
 * @param dnsPort          {@code -dns.port}: the port of stub domain blocks
 * @param resolvConf       what replaces {@code __PILLAR__UPSTREAM__SERVERS__} when the kube-dns
 *                         ConfigMap names no upstreams ({@code /etc/resolv.conf} in production)
 */
public record NodeCacheInputs(Path baseCorefile, Path kubeDnsConfigDir, String upstreamService,
                              Map<String, String> env, List<InetAddress> localIps, int dnsPort, Path resolvConf) {

    public NodeCacheInputs {
        Objects.requireNonNull(baseCorefile, "baseCorefile");
        Objects.requireNonNull(upstreamService, "upstreamService");
        env = Map.copyOf(env);
        localIps = List.copyOf(localIps);
        Objects.requireNonNull(resolvConf, "resolvConf");
        if (localIps.isEmpty()) {
            throw new IllegalArgumentException("node-cache needs at least one -localip");
        }
        if (dnsPort < 0 || dnsPort > 65535) {
            throw new IllegalArgumentException("dnsPort out of range: " + dnsPort);
        }
    }

    /**
     * The environment variable Kubernetes sets to a Service's ClusterIP in every pod (Service
     * environment variables: name upper-cased, '-' to '_'), as node-cache's {@code toSvcEnv}:
     * {@code kube-dns-upstream} gives {@code KUBE_DNS_UPSTREAM_SERVICE_HOST}.
     */
    public static String serviceHostVariable(String service) {
        return service.replace('-', '_').toUpperCase(java.util.Locale.ROOT) + "_SERVICE_HOST";
    }

    /** {@link #serviceHostVariable} of {@link #upstreamService}. */
    public String upstreamServiceHostVariable() {
        return serviceHostVariable(upstreamService);
    }

    /**
     * Parses {@code -localip} as node-cache's {@code parseAndValidateFlags} does: a comma list of
     * IP addresses (Go's {@code net.ParseIP}: no empty entries, no zone ids, no host names), each
     * once. Unlike node-cache, IPv4 and IPv6 may be mixed (a dual-stack node): each address's rules
     * go to iptables or ip6tables by its own family.
     *
     * @throws IllegalArgumentException with a message saying what is wrong
     */
    public static List<InetAddress> parseLocalIps(String commaList) {
        List<InetAddress> ips = new ArrayList<>();
        for (String entry : commaList.split(",", -1)) {
            InetAddress ip = entry.indexOf('%') >= 0 ? null : IpLiterals.parse(entry).orElse(null);
            if (ip == null) {
                throw new IllegalArgumentException("not an IP address: \"" + entry + "\"");
            }
            if (ips.contains(ip)) {
                throw new IllegalArgumentException("duplicate address " + entry);
            }
            ips.add(ip);
        }
        return List.copyOf(ips);
    }
}
