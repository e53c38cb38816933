package io.nodedns.node;

import io.nodedns.config.IpLiterals;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The flags that drive node networking, under node-cache's names: {@code -localip},
 * {@code -dns.port}, {@code -health-port}, {@code -setupinterface}, {@code -interfacename},
 * {@code -setupiptables}, {@code -skipteardown}. IPv4 and IPv6 local IPs may be mixed (dual
 * stack): node-cache refuses that ("LocalIPs are guaranteed to have the same family"), nodedns
 * runs iptables for the IPv4 ones and ip6tables for the IPv6 ones.
 *
 * @param localIps      the addresses the link holds and the rules name, each once
 * @param dnsPort       the port the listeners use ({@code -dns.port}, 53)
 * @param healthPort    the health port whose probes skip conntrack ({@code -health-port}, 8080)
 * @param setupInterface whether nodedns manages the link and its addresses
 * @param interfaceName the link's name ({@code -interfacename}, nodelocaldns)
 * @param setupIptables whether nodedns manages the iptables rules
 * @param skipTeardown  whether the link and the rules stay when nodedns exits
 */
public record NodeNetworkSettings(List<InetAddress> localIps, int dnsPort, int healthPort, boolean setupInterface,
                                  String interfaceName, boolean setupIptables, boolean skipTeardown) {
    /** Linux's IFNAMSIZ less the terminating NUL. */
    private static final int MAX_INTERFACE_NAME_LENGTH = 15;

    public NodeNetworkSettings {
        if (localIps == null || localIps.isEmpty()) {
            throw new IllegalArgumentException("node networking needs at least one -localip");
        }
        localIps = List.copyOf(localIps);
        Set<InetAddress> seen = new HashSet<>();
        for (InetAddress ip : localIps) {
            if (!seen.add(ip)) {
                throw new IllegalArgumentException("-localip " + IpLiterals.format(ip) + " is given more than once");
            }
        }
        checkPort("-dns.port", dnsPort);
        checkPort("-health-port", healthPort);
        if (interfaceName == null || interfaceName.isEmpty() || interfaceName.length() > MAX_INTERFACE_NAME_LENGTH
                || interfaceName.startsWith("-") || interfaceName.chars().anyMatch(c -> c <= ' ' || c == '/' || c == ':')) {
            // A name starting with '-' would be read by `ip` as an option; the others the kernel refuses.
            throw new IllegalArgumentException("-interfacename " + interfaceName
                    + ": a link name has 1 to 15 characters, no spaces, '/' or ':', and does not start with '-'");
        }
    }

    private static void checkPort(String flag, int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(flag + " " + port + ": not a port (1-65535)");
        }
    }

    /** True if some local IP is IPv4 (the rules then need iptables). */
    public boolean hasIpv4() {
        return localIps.stream().anyMatch(ip -> !(ip instanceof Inet6Address));
    }

    /** True if some local IP is IPv6 (the rules then need ip6tables). */
    public boolean hasIpv6() {
        return localIps.stream().anyMatch(ip -> ip instanceof Inet6Address);
    }
}
