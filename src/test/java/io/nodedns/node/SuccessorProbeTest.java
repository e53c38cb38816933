package io.nodedns.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The successor check on /proc/net/udp text as Linux 6.x prints it (lines copied from a node
 * with a nodedns listening on 169.254.20.10:53 through Netty's dual-stack IPv6 sockets, as nodedns
 * opened them before it opened IPv4 sockets for IPv4 addresses), and on this machine's own table.
 */
class SuccessorProbeTest {
    static final String UDP_HEADER =
            "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n";
    static final String UDP6_HEADER = "  sl  local_address                         remote_address                        "
            + "st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n";

    /** 169.254.20.10:53 on an IPv4 socket: inode, state (07 unconnected, 01 connected). */
    static String udp4(long inode, String state) {
        return udp4("0A14FEA9", 0, inode, state);
    }

    /** {@code address}:53 on an IPv4 socket of user {@code uid}. */
    static String udp4(String address, long uid, long inode, String state) {
        return "  118: " + address + ":0035 00000000:0000 " + state + " 00000000:00000000 00:00000000 00000000 "
                + String.format("%5d", uid) + "        0 " + inode + " 2 0000000000000000 0\n";
    }

    /** {@code /proc/self/status} of a process running as {@code uid} (only the lines around Uid:). */
    static String status(long uid) {
        return "Name:\tjava\nUmask:\t0022\nState:\tS (sleeping)\nPPid:\t0\nTracerPid:\t0\n"
                + "Uid:\t" + uid + "\t" + uid + "\t" + uid + "\t" + uid + "\nGid:\t0\t0\t0\t0\nFDSize:\t256\n";
    }

    /**
     * 169.254.20.10:53 as Netty binds it by default (and an earlier nodedns did): a dual-stack IPv6
     * socket with the IPv4-mapped address.
     */
    static String mapped(long inode, String state, String remote) {
        return " 2947: 0000000000000000FFFF00000A14FEA9:0035 " + remote + " " + state
                + " 00000000:00000000 00:00000000 00000000     0        0 " + inode + " 2 000000000064b252 0\n";
    }

    static final String NO_PEER = "00000000000000000000000000000000:0000";
    static final String SELF_PEER = "0000000000000000FFFF00000A14FEA9:0035";

    private static SuccessorProbe probe(List<InetAddress> ips, String udp, String udp6, Set<Long> own) {
        return probe(ips, udp, udp6, own, status(0));
    }

    private static SuccessorProbe probe(List<InetAddress> ips, String udp, String udp6, Set<Long> own,
                                        String selfStatus) {
        Map<Path, String> files = new HashMap<>();
        files.put(Path.of("/p/self/status"), selfStatus);
        files.put(Path.of("/p/net/udp"), udp);
        if (udp6 != null) {
            files.put(Path.of("/p/net/udp6"), udp6);
        }
        return new SuccessorProbe(ips, 53, Path.of("/p"), path -> {
            String text = files.get(path);
            if (text == null) {
                throw new NoSuchFileException(path.toString());
            }
            return text;
        }, () -> own);
    }

    private static List<InetAddress> ips(String... text) throws IOException {
        List<InetAddress> out = new java.util.ArrayList<>();
        for (String t : text) {
            out.add(InetAddress.getByName(t));
        }
        return out;
    }

    @Test
    void theTableIsReadAsTheKernelPrintsIt() throws Exception {
        List<UdpSocketTable.Socket> sockets = UdpSocketTable.parse(UDP6_HEADER + mapped(1659013, "07", NO_PEER)
                + mapped(1659014, "01", SELF_PEER)
                + "   12: 000080FD00000000000000000A000000:1F90 " + NO_PEER + " 07 00000000:00000000 00:00000000 "
                + "00000000     0        0 77 2 0000000000000000 0\n");
        assertEquals(List.of(
                new UdpSocketTable.Socket(InetAddress.getByName("169.254.20.10"), 53, false, 0, 1659013),
                new UdpSocketTable.Socket(InetAddress.getByName("169.254.20.10"), 53, true, 0, 1659014),
                new UdpSocketTable.Socket(InetAddress.getByName("fd80::a"), 8080, false, 0, 77)), sockets);
        assertEquals(List.of(new UdpSocketTable.Socket(InetAddress.getByName("0.0.0.0"), 53, false, 65534, 5)),
                UdpSocketTable.parse(UDP_HEADER + udp4("00000000", 65534, 5, "07")));
    }

    @Test
    void anotherProcesssUnconnectedSocketOnEveryLocalIpIsASuccessor() throws Exception {
        String own = mapped(10, "07", NO_PEER) + mapped(11, "07", NO_PEER);
        String other = mapped(20, "07", NO_PEER);
        assertTrue(probe(ips("169.254.20.10"), UDP_HEADER, UDP6_HEADER + own + other, Set.of(10L, 11L)).getAsBoolean());
        assertTrue(probe(ips("169.254.20.10"), UDP_HEADER + udp4(20, "07"), UDP6_HEADER + own, Set.of(10L, 11L))
                .getAsBoolean());
    }

    @Test
    void ourOwnSocketsConnectedSocketsAndOtherAddressesAreNot() throws Exception {
        String own = mapped(10, "07", NO_PEER);
        assertFalse(probe(ips("169.254.20.10"), UDP_HEADER, UDP6_HEADER + own, Set.of(10L)).getAsBoolean(),
                "only our own socket");
        assertFalse(probe(ips("169.254.20.10"), UDP_HEADER, UDP6_HEADER + own + mapped(20, "01", SELF_PEER),
                Set.of(10L)).getAsBoolean(), "the other one is withdrawn (connected to itself)");
        assertFalse(probe(ips("169.254.20.10", "10.96.0.10"), UDP_HEADER, UDP6_HEADER + mapped(20, "07", NO_PEER),
                Set.of()).getAsBoolean(), "10.96.0.10 has no listener");
        assertFalse(probe(ips("169.254.20.10"), UDP_HEADER
                + "  118: 0A14FEA9:0036 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 "
                + "20 2 0000000000000000 0\n", null, Set.of()).getAsBoolean(), "port 54 is not the DNS port");
    }

    @Test
    void whenWeBindTheWildcardAWildcardSocketReceivesForEveryLocalIpOfItsFamily() throws Exception {
        String ownAny4 = udp4("00000000", 0, 31, "07");
        String any4 = udp4("00000000", 0, 30, "07");
        assertTrue(probe(ips("169.254.20.10"), UDP_HEADER + ownAny4 + any4, null, Set.of(31L)).getAsBoolean());
        assertFalse(probe(ips("fd00::10"), UDP_HEADER + ownAny4 + any4, null, Set.of(31L)).getAsBoolean());
    }

    @Test
    void aWildcardSocketIsNoSuccessorWhenWeBindEachLocalIp() throws Exception {
        // Node mode: we hold 169.254.20.10:53 and 10.96.0.10:53; a dnsmasq of our uid holds 0.0.0.0:53 and [::]:53.
        String ours = udp4(10, "07") + udp4("0A00600A", 0, 11, "07");
        String dnsmasq4 = udp4("00000000", 0, 30, "07");
        String dnsmasq6 = "    7: 00000000000000000000000000000000:0035 " + NO_PEER
                + " 07 00000000:00000000 00:00000000 00000000     0        0 32 2 0000000000000000 0\n";
        assertFalse(probe(ips("169.254.20.10", "10.96.0.10"), UDP_HEADER + ours + dnsmasq4, UDP6_HEADER + dnsmasq6,
                Set.of(10L, 11L)).getAsBoolean());
        // Nor when our wildcard is the other family's.
        String ownAny6 = dnsmasq6.replace(" 32 2 ", " 33 2 ");
        assertFalse(probe(ips("169.254.20.10"), UDP_HEADER + dnsmasq4, UDP6_HEADER + ownAny6, Set.of(33L))
                .getAsBoolean(), "we bind [::], the other 0.0.0.0: not the same SO_REUSEPORT group");
        // A real successor binds what we bind.
        assertTrue(probe(ips("169.254.20.10", "10.96.0.10"), UDP_HEADER + ours + dnsmasq4 + udp4(20, "07")
                + udp4("0A00600A", 0, 21, "07"), UDP6_HEADER + dnsmasq6, Set.of(10L, 11L)).getAsBoolean());
    }

    @Test
    void aSocketOfAnotherUserIsNoSuccessor() throws Exception {
        // A BIND running as uid 101 on the very addresses: it could not have joined our SO_REUSEPORT group.
        String ours = udp4(10, "07");
        assertFalse(probe(ips("169.254.20.10"), UDP_HEADER + ours + udp4("0A14FEA9", 101, 20, "07"), null,
                Set.of(10L)).getAsBoolean());
        assertTrue(probe(ips("169.254.20.10"), UDP_HEADER + ours + udp4("0A14FEA9", 101, 20, "07"), null,
                Set.of(10L), status(101)).getAsBoolean(), "the same sockets seen by a nodedns running as 101");
    }

    @Test
    void theFilesystemUidIsTheFourthUidField() {
        assertEquals(1000, SuccessorProbe.filesystemUid("Name:\tx\nUid:\t0\t0\t0\t1000\nGid:\t0\t0\t0\t0\n"));
        assertThrows(IllegalArgumentException.class, () -> SuccessorProbe.filesystemUid("Name:\tx\nGid:\t0\n"));
    }

    @Test
    void anUnreadableStatusMeansNoSuccessor() throws Exception {
        assertFalse(probe(ips("169.254.20.10"), UDP_HEADER + udp4(10, "07") + udp4(20, "07"), null, Set.of(10L),
                "Name:\tjava\n").getAsBoolean());
    }

    @Test
    void anUnreadableTableMeansNoSuccessorSoTheTeardownRuns() {
        SuccessorProbe broken = new SuccessorProbe(List.of(InetAddress.getLoopbackAddress()), 53, Path.of("/p"),
                path -> {
                    throw new IOException("Permission denied");
                }, Set::of);
        assertFalse(broken.getAsBoolean());
    }

    @Test
    void onThisMachineASocketOfOursIsExcludedAndOneOutsideTheOwnSetCounts() throws Exception {
        // The real /proc: a UDP socket this JVM binds is in the table with the inode /proc/self/fd names.
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            int port = socket.getLocalPort();
            Set<Long> own = SuccessorProbe.socketInodes(Path.of("/proc/self/fd"));
            List<InetAddress> loopback = List.of(InetAddress.getLoopbackAddress());
            SuccessorProbe ours = new SuccessorProbe(loopback, port, Path.of("/proc"),
                    java.nio.file.Files::readString, () -> own);
            assertFalse(ours.getAsBoolean(), "our own socket is no successor");
            SuccessorProbe someoneElses = new SuccessorProbe(loopback, port, Path.of("/proc"),
                    java.nio.file.Files::readString, Set::of);
            assertTrue(someoneElses.getAsBoolean(), "the same socket seen as another process's");
        }
    }
}
