package io.nodedns.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
 * with a nodedns listening on 169.254.20.10:53 through Netty's dual-stack IPv6 sockets), and on
 * this machine's own table.
 */
class SuccessorProbeTest {
    static final String UDP_HEADER =
            "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n";
    static final String UDP6_HEADER = "  sl  local_address                         remote_address                        "
            + "st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n";

    /** 169.254.20.10:53 on an IPv4 socket: inode, state (07 unconnected, 01 connected). */
    static String udp4(long inode, String state) {
        return "  118: 0A14FEA9:0035 00000000:0000 " + state + " 00000000:00000000 00:00000000 00000000     0        0 "
                + inode + " 2 0000000000000000 0\n";
    }

    /** 169.254.20.10:53 as Netty binds it: a dual-stack IPv6 socket with the IPv4-mapped address. */
    static String mapped(long inode, String state, String remote) {
        return " 2947: 0000000000000000FFFF00000A14FEA9:0035 " + remote + " " + state
                + " 00000000:00000000 00:00000000 00000000     0        0 " + inode + " 2 000000000064b252 0\n";
    }

    static final String NO_PEER = "00000000000000000000000000000000:0000";
    static final String SELF_PEER = "0000000000000000FFFF00000A14FEA9:0035";

    private static SuccessorProbe probe(List<InetAddress> ips, String udp, String udp6, Set<Long> own) {
        Map<Path, String> files = new HashMap<>();
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
                new UdpSocketTable.Socket(InetAddress.getByName("169.254.20.10"), 53, false, 1659013),
                new UdpSocketTable.Socket(InetAddress.getByName("169.254.20.10"), 53, true, 1659014),
                new UdpSocketTable.Socket(InetAddress.getByName("fd80::a"), 8080, false, 77)), sockets);
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
    void aWildcardSocketReceivesForEveryLocalIpOfItsFamily() throws Exception {
        String any4 = "    1: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 "
                + "30 2 0000000000000000 0\n";
        assertTrue(probe(ips("169.254.20.10"), UDP_HEADER + any4, null, Set.of()).getAsBoolean());
        assertFalse(probe(ips("fd00::10"), UDP_HEADER + any4, null, Set.of()).getAsBoolean());
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
