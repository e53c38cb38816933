package io.nodedns.node;

import io.nodedns.config.IpLiterals;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Reads the one-line ({@code -o}) output of {@code ip link show} and {@code ip addr show}:
 * <pre>
 * 2: nodelocaldns: &lt;BROADCAST,NOARP,UP,LOWER_UP&gt; mtu 1500 qdisc noqueue state UNKNOWN ...
 * 2: eth0    inet 10.0.0.5/24 brd 10.0.0.255 scope global eth0\       valid_lft forever ...
 * 1: lo    inet6 ::1/128 scope host noprefixroute \       valid_lft forever ...
 * </pre>
 */
final class IpOutput {
    /** One address and the link that holds it. */
    record LinkAddress(String link, InetAddress address) {
    }

    private IpOutput() {
    }

    /** The flags between {@code <} and {@code >} of an {@code ip -o link show} line. */
    static Set<String> linkFlags(String linkLine) {
        int open = linkLine.indexOf('<');
        int close = linkLine.indexOf('>', open + 1);
        if (open < 0 || close < 0) {
            return Set.of();
        }
        return Set.of(linkLine.substring(open + 1, close).split(","));
    }

    /** Every inet/inet6 address in {@code ip -o addr show} output, with its link. */
    static List<LinkAddress> addresses(String addrOutput) {
        List<LinkAddress> addresses = new ArrayList<>();
        for (String line : addrOutput.split("\n")) {
            String[] tokens = line.strip().split("\\s+");
            if (tokens.length < 4) {
                continue;
            }
            // "veth0@if5" in some versions' output: the part before '@' is the link's name.
            String link = tokens[1];
            int at = link.indexOf('@');
            link = at < 0 ? link : link.substring(0, at);
            if (link.endsWith(":")) {
                link = link.substring(0, link.length() - 1);
            }
            for (int i = 2; i + 1 < tokens.length; i++) {
                if (tokens[i].equals("inet") || tokens[i].equals("inet6")) {
                    String cidr = tokens[i + 1];
                    int slash = cidr.indexOf('/');
                    Optional<InetAddress> address = IpLiterals.parse(slash < 0 ? cidr : cidr.substring(0, slash));
                    if (address.isPresent()) {
                        addresses.add(new LinkAddress(link, address.get()));
                    }
                    break;
                }
            }
        }
        return addresses;
    }
}
