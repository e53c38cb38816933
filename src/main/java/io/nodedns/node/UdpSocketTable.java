package io.nodedns.node;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * The UDP sockets of this network namespace as the kernel lists them in {@code /proc/net/udp} and
 * {@code /proc/net/udp6} (net/ipv4/udp.c udp4_format_sock, net/ipv6/datagram.c
 * __ip6_dgram_sock_seq_show): one line per socket, {@code sl local_address rem_address st ... uid
 * timeout inode ...}, addresses as the hex of the in-kernel 32-bit words printed in host byte
 * order (little endian on every platform Kubernetes nodes run), ports in big-endian hex, state
 * {@code 07} (TCP_CLOSE) for an unconnected socket and {@code 01} (TCP_ESTABLISHED) for a
 * connected one. An IPv6 socket bound to an IPv4-mapped address is listed in udp6 as
 * {@code ::ffff:a.b.c.d}, and parsed here to the IPv4 address: Netty opens such a socket by
 * default for an IPv4 address, and a predecessor from before nodedns opened AF_INET sockets holds
 * its listeners that way.
 */
final class UdpSocketTable {
    private static final String ESTABLISHED = "01";

    /**
     * One socket.
     *
     * @param local     the address it is bound to (the wildcard when bound to none)
     * @param port      its local port
     * @param connected whether it is connected (it then only receives from its peer)
     * @param uid       the user owning it (column 8: the creator's filesystem uid, the one SO_REUSEPORT
     *                  compares)
     * @param inode     its socket inode, as {@code /proc/PID/fd/N -> socket:[inode]} names it
     */
    record Socket(InetAddress local, int port, boolean connected, long uid, long inode) {}

    private UdpSocketTable() {}

    /**
     * The sockets of one file's text; the header line and lines that are not socket lines are skipped.
     *
     * @throws IllegalArgumentException if a socket line's address is not 8 or 32 hex digits
     */
    static List<Socket> parse(String procText) {
        List<Socket> out = new ArrayList<>();
        for (String line : procText.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 10 || !f[0].endsWith(":") || f[0].equals("sl")) {
                continue;
            }
            String[] local = f[1].split(":");
            out.add(new Socket(address(local[0]), Integer.parseInt(local[1], 16), ESTABLISHED.equals(f[3]),
                    Long.parseLong(f[7]), Long.parseLong(f[9])));
        }
        return out;
    }

    /** {@code 0A14FEA9} is 169.254.20.10: each 32-bit word is printed as a little-endian number. */
    private static InetAddress address(String hex) {
        if (hex.length() != 8 && hex.length() != 32) {
            throw new IllegalArgumentException("not an address of /proc/net/udp: " + hex);
        }
        byte[] bytes = new byte[hex.length() / 2];
        for (int word = 0; word < bytes.length / 4; word++) {
            for (int b = 0; b < 4; b++) {
                int at = word * 8 + (3 - b) * 2;
                bytes[word * 4 + b] = (byte) Integer.parseInt(hex.substring(at, at + 2), 16);
            }
        }
        try {
            // getByAddress turns an IPv4-mapped IPv6 address into the Inet4Address it maps.
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** True if a socket bound to {@code bound} receives datagrams sent to {@code destination}. */
    static boolean receives(InetAddress bound, InetAddress destination) {
        if (bound.isAnyLocalAddress()) {
            // 0.0.0.0 takes IPv4 only; :: takes both unless IPV6_V6ONLY, which the table does not show.
            return bound instanceof Inet6Address || !(destination instanceof Inet6Address);
        }
        return bound.equals(destination);
    }
}
