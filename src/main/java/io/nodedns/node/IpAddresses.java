package io.nodedns.node;

import io.nodedns.config.IpLiterals;
import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * A local IP as {@code ip addr add} takes it: one host, {@code 169.254.20.10/32} or
 * {@code fd00::10/128}, in the form {@code ip} prints ({@link IpLiterals#format}), so log lines
 * show what an operator sees in {@code ip addr}.
 */
final class IpAddresses {
    private IpAddresses() {
    }

    /** The host prefix length {@code ip addr add} gets: 32 for IPv4, 128 for IPv6. */
    static int hostPrefixLength(InetAddress address) {
        return address instanceof Inet6Address ? 128 : 32;
    }

    /** {@code text/prefix} for one host: {@code 169.254.20.10/32}, {@code fd00::10/128}. */
    static String hostCidr(InetAddress address) {
        return IpLiterals.format(address) + "/" + hostPrefixLength(address);
    }
}
