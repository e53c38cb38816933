package io.nodedns.node;

import io.nodedns.config.IpLiterals;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The 12 rules node-cache installs per local IP (cmd/node-cache/app/cache_app.go, initIptables),
 * in its order, with the comments its later releases add so an operator can tell whose rules
 * they are. They keep DNS to and from the local IP out of conntrack, which is the point of
 * NodeLocal DNSCache: no conntrack entry, no insert race dropping the A or the AAAA query.
 */
final class NodeCacheRules {
    static final String SKIP_CONNTRACK = "NodeLocal DNS Cache: skip conntrack";
    static final String ALLOW_DNS = "NodeLocal DNS Cache: allow DNS traffic";

    private NodeCacheRules() {
    }

    /** The 12 rules for each of {@code localIps}, IP by IP. */
    static List<IptablesRule> forAll(List<InetAddress> localIps, int dnsPort, int healthPort) {
        List<IptablesRule> rules = new ArrayList<>();
        for (InetAddress ip : localIps) {
            rules.addAll(forAddress(ip, dnsPort, healthPort));
        }
        return List.copyOf(rules);
    }

    /** The 12 rules for one local IP. */
    static List<IptablesRule> forAddress(InetAddress localIp, int dnsPort, int healthPort) {
        boolean ipv6 = localIp instanceof Inet6Address;
        String ip = IpLiterals.format(localIp);
        String dns = Integer.toString(dnsPort);
        String health = Integer.toString(healthPort);
        List<IptablesRule> rules = new ArrayList<>();
        // Queries arriving for the local IP: not tracked ...
        for (String protocol : List.of("tcp", "udp")) {
            rules.add(rule(ipv6, "raw", "PREROUTING", protocol, "-d", ip, "--dport", dns, SKIP_CONNTRACK, "NOTRACK"));
        }
        // ... so the filter table's "accept ESTABLISHED,RELATED" does not cover them: accept explicitly.
        for (String protocol : List.of("tcp", "udp")) {
            rules.add(rule(ipv6, "filter", "INPUT", protocol, "-d", ip, "--dport", dns, ALLOW_DNS, "ACCEPT"));
        }
        // Answers leaving the local IP: the same two.
        for (String protocol : List.of("tcp", "udp")) {
            rules.add(rule(ipv6, "raw", "OUTPUT", protocol, "-s", ip, "--sport", dns, SKIP_CONNTRACK, "NOTRACK"));
        }
        for (String protocol : List.of("tcp", "udp")) {
            rules.add(rule(ipv6, "filter", "OUTPUT", protocol, "-s", ip, "--sport", dns, ALLOW_DNS, "ACCEPT"));
        }
        // Queries from the node itself (hostNetwork pods) never pass PREROUTING.
        for (String protocol : List.of("tcp", "udp")) {
            rules.add(rule(ipv6, "raw", "OUTPUT", protocol, "-d", ip, "--dport", dns, SKIP_CONNTRACK, "NOTRACK"));
        }
        // The kubelet's liveness probe of the health port, both directions.
        rules.add(rule(ipv6, "raw", "OUTPUT", "tcp", "-d", ip, "--dport", health, SKIP_CONNTRACK, "NOTRACK"));
        rules.add(rule(ipv6, "raw", "OUTPUT", "tcp", "-s", ip, "--sport", health, SKIP_CONNTRACK, "NOTRACK"));
        return rules;
    }

    private static IptablesRule rule(boolean ipv6, String table, String chain, String protocol, String addressFlag,
                                     String address, String portFlag, String port, String comment, String target) {
        return new IptablesRule(ipv6, table, chain, List.of("-p", protocol, addressFlag, address, portFlag, port),
                comment, target);
    }
}
