package io.nodedns.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * Listen addresses written {@code [HOST]:PORT}, as CoreDNS's {@code prometheus} directive and
 * node-cache's {@code -metrics-listen-address} take them (Go's net.SplitHostPort): an empty HOST
 * means every address, {@code localhost} the loopback address, IPv6 goes in brackets. Nothing is
 * resolved: other host names are refused.
 */
public final class HostPorts {
    private HostPorts() {
    }

    /**
     * {@code IP:PORT}, IPv6 in brackets ({@code [::1]:53}): how CoreDNS labels an upstream
     * ({@code to}), how a URL names a host, and the inverse of {@link #parse} for an IP literal.
     */
    public static String format(InetSocketAddress address) {
        String host = address.getAddress().getHostAddress();
        return (address.getAddress() instanceof java.net.Inet6Address ? "[" + host + "]" : host) + ":"
                + address.getPort();
    }

    /** Parses {@code [HOST]:PORT}, with {@code [IPV6]:PORT} for IPv6 as Go's net.SplitHostPort wants. */
    public static Optional<InetSocketAddress> parse(String text) {
        int colon = text.lastIndexOf(':');
        if (colon < 0) {
            return Optional.empty();
        }
        String host = text.substring(0, colon);
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        if (port < 0 || port > 65535) {
            return Optional.empty();
        }
        if (host.isEmpty()) {
            return Optional.of(new InetSocketAddress(port));
        }
        if (host.equals("localhost")) {
            return Optional.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            return Optional.empty();
        }
        return IpLiterals.parse(host).map(ip -> new InetSocketAddress(ip, port));
    }
}
