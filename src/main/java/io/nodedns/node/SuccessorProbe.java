package io.nodedns.node;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether another process (a successor started by a rolling update with maxSurge) receives the DNS
 * of every local IP: it has an unconnected UDP socket bound to {@code IP:dnsPort} that is not one
 * of this process's sockets. When it does, the link and the rules are its, and this process must
 * leave them in place when it stops.
 *
 * <p>Only a socket a successor could hold counts: one of our own user (SO_REUSEPORT, which lets
 * the successor bind our addresses, only groups sockets of the same effective uid, so a real
 * successor always matches), bound to the wildcard only if we bind the wildcard too (in node mode
 * nodedns binds each local IP). Otherwise a dnsmasq or BIND on {@code 0.0.0.0:53} or
 * {@code [::]:53}, which has nothing to do with our link and rules, would count as a successor and
 * leave them pointing at a server that does not serve the cluster.
 *
 * <p>Why the socket table and not a lease file: it is the kernel's own answer to the question
 * that matters (will the datagrams pods send still find a socket once this process is gone?). A
 * socket disappears with its process however it dies, so there is no stale state to expire, no
 * hostPath to mount, and no PID to compare, which would not even work here: each pod has its own
 * PID namespace, and both instances are usually PID 1 in theirs. The network namespace is shared
 * (hostNetwork), and it is exactly the scope of the link and the rules.
 *
 * <p>Two instances stopped at the same time (the DaemonSet deleted) must not both leave the rules
 * to the other. The caller therefore asks twice: if a first look finds a successor, it connects
 * its own UDP sockets (which takes them out of the SO_REUSEPORT group, see
 * {@code DnsServer#withdraw}, and out of this count: a connected socket is not counted) and looks
 * again. Of two instances doing so, the one that looks second sees the other's sockets already
 * connected, and tears down.
 */
public final class SuccessorProbe implements BooleanSupplier {
    private static final Logger LOG = Logger.getLogger(SuccessorProbe.class.getPackageName());
    private static final Pattern SOCKET_LINK = Pattern.compile("socket:\\[(\\d+)]");

    /** Reads one file of {@code /proc}. */
    @FunctionalInterface
    interface ProcReader {
        String read(Path path) throws IOException;
    }

    private final List<InetAddress> localIps;
    private final int dnsPort;
    private final Path proc;
    private final ProcReader reader;
    private final OwnSockets ownSockets;

    /** The inodes of this process's sockets. */
    @FunctionalInterface
    interface OwnSockets {
        Set<Long> inodes() throws IOException;
    }

    SuccessorProbe(List<InetAddress> localIps, int dnsPort, Path proc, ProcReader reader, OwnSockets ownSockets) {
        this.localIps = List.copyOf(localIps);
        this.dnsPort = dnsPort;
        this.proc = proc;
        this.reader = reader;
        this.ownSockets = ownSockets;
    }

    /** Reads this host's {@code /proc}: {@code net/udp}, {@code net/udp6}, {@code self/status} and {@code self/fd}. */
    public static SuccessorProbe of(NodeNetworkSettings settings) {
        Path proc = Path.of("/proc");
        return new SuccessorProbe(settings.localIps(), settings.dnsPort(), proc, Files::readString,
                () -> socketInodes(proc.resolve("self/fd")));
    }

    /**
     * True if every local IP's DNS port has an unconnected UDP socket of another process. False
     * when the table cannot be read: the stop then tears down as it always did.
     */
    @Override
    public boolean getAsBoolean() {
        List<UdpSocketTable.Socket> sockets = new ArrayList<>();
        Set<Long> own;
        long uid;
        try {
            for (String file : List.of("net/udp", "net/udp6")) {
                try {
                    sockets.addAll(UdpSocketTable.parse(reader.read(proc.resolve(file))));
                } catch (java.nio.file.NoSuchFileException noIpv6) {
                    // A kernel without IPv6 has no udp6 table: no socket there.
                }
            }
            own = ownSockets.inodes();
            uid = filesystemUid(reader.read(proc.resolve("self/status")));
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "cannot read the UDP socket table to look for a successor; assuming none", e);
            return false;
        }
        // The wildcards our own DNS sockets are bound to (0.0.0.0 and :: are distinct binds).
        Set<InetAddress> ownWildcards = new HashSet<>();
        for (UdpSocketTable.Socket s : sockets) {
            if (s.port() == dnsPort && own.contains(s.inode()) && s.local().isAnyLocalAddress()) {
                ownWildcards.add(s.local());
            }
        }
        for (InetAddress ip : localIps) {
            boolean held = sockets.stream().anyMatch(s -> s.port() == dnsPort && !s.connected()
                    && !own.contains(s.inode()) && s.uid() == uid
                    && (!s.local().isAnyLocalAddress() || ownWildcards.contains(s.local()))
                    && UdpSocketTable.receives(s.local(), ip));
            if (!held) {
                return false;
            }
        }
        return true;
    }

    /**
     * The filesystem uid of {@code /proc/self/status} ({@code Uid:} real, effective, saved,
     * filesystem): a socket is owned by its creator's filesystem uid (net/socket.c sock_alloc), which
     * is the effective uid unless setfsuid changed it. Both files are read in our user namespace,
     * so the two numbers are mapped alike.
     *
     * @throws IllegalArgumentException if there is no well-formed {@code Uid:} line
     */
    static long filesystemUid(String status) {
        for (String line : status.split("\n")) {
            if (line.startsWith("Uid:")) {
                String[] f = line.substring(4).trim().split("\\s+");
                if (f.length == 4) {
                    return Long.parseLong(f[3]);
                }
            }
        }
        throw new IllegalArgumentException("no Uid: line of four numbers in /proc/self/status");
    }

    /** The inodes behind {@code socket:[N]} links of a {@code /proc/PID/fd} directory. */
    static Set<Long> socketInodes(Path fdDir) throws IOException {
        Set<Long> inodes = new HashSet<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(fdDir)) {
            for (Path fd : fds) {
                String target;
                try {
                    target = Files.readSymbolicLink(fd).toString();
                } catch (IOException closedMeanwhile) {
                    continue;   // the directory stream's own descriptor, or one closed since the listing
                }
                Matcher m = SOCKET_LINK.matcher(target);
                if (m.matches()) {
                    inodes.add(Long.parseLong(m.group(1)));
                }
            }
        }
        return inodes;
    }
}
