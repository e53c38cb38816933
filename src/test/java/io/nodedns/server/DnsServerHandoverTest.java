package io.nodedns.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.nodedns.transport.NettyTransport;
import io.nodedns.wire.WireNames;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/**
 * A rolling update's handover on one host: a second server binds the addresses of a running one
 * (SO_REUSEPORT, UDP and TCP), and a stopping server answers every query the kernel had already
 * queued for it while taking no new ones. Epoll only, as in production.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DnsServerHandoverTest {
    private NettyTransport transport;
    private final QueryCounters counters = new QueryCounters();
    private final PendingQueries pending = new PendingQueries();

    @AfterEach
    void close() {
        if (transport != null) {
            transport.close();
        }
    }

    /** A block without forward: every query gets SERVFAIL at once (nothing to forward to), no upstream involved. */
    private DnsServer server(InetSocketAddress address) {
        BlockResolver refuses = new BlockResolver("local.:0", null, null, null, null, counters, pending, null, false);
        ZoneRouter router = ZoneRouter.of(List.of(new ZoneRouter.Route(WireNames.toWire("local."), refuses)));
        return new DnsServer(transport, List.of(new DnsServer.Listener(address, router)),
                DnsServer.Limits.defaults(), counters, pending);
    }

    /**
     * Opens this test's transport: epoll, whose SO_REUSEPORT handovers these tests exercise. Set
     * before the check, so that {@link #close} closes it even when the check fails.
     */
    private void openEpollTransport(int eventLoops) {
        transport = NettyTransport.create(eventLoops, true);
        assertTrue(transport.isEpoll(), "these tests need the epoll transport");
    }

    private static InetSocketAddress anyLoopbackPort() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    }

    @Test
    void aSuccessorBindsTheSameUdpAndTcpAddressWhileTheFirstServes() throws Exception {
        openEpollTransport(2);
        DnsServer first = server(anyLoopbackPort());
        first.start();
        InetSocketAddress address = first.boundAddresses().get(0);
        DnsServer successor = server(address);
        successor.start();   // before TCP had SO_REUSEPORT: "cannot listen on tcp ...: Address already in use"
        try {
            assertEquals(List.of(address), successor.boundAddresses());
            first.stop(Duration.ofSeconds(2));
            Message tcp = Clients.tcp(address, Clients.query("a.local.", Type.A, 7));
            assertEquals(Rcode.SERVFAIL, tcp.getRcode());
            assertEquals(7, tcp.getHeader().getID());
            Message udp = Clients.udp(address, Clients.query("b.local.", Type.A, 8));
            assertEquals(8, udp.getHeader().getID());
        } finally {
            successor.stop(Duration.ofSeconds(1));
        }
    }

    @Test
    void aWithdrawnServerAnswersWhatItQueuedAndGetsNothingNew() throws Exception {
        openEpollTransport(1);   // one event loop: blocking it keeps queries queued
        DnsServer server = server(anyLoopbackPort());
        server.start();
        InetSocketAddress address = server.boundAddresses().get(0);
        CountDownLatch release = blockTheEventLoop();
        try (DatagramSocket queued = new DatagramSocket(anyLoopbackPort());
             DatagramSocket late = new DatagramSocket(anyLoopbackPort())) {
            queued.connect(address);
            queued.setSoTimeout(5000);
            for (int id = 1; id <= 40; id++) {
                byte[] q = Clients.query("q" + id + ".local.", Type.A, id).toWire();
                queued.send(new DatagramPacket(q, q.length));
            }
            // Loopback delivery is synchronous: the 40 queries sit in the server socket's queue now.
            server.withdraw();
            late.connect(address);
            late.setSoTimeout(5000);
            byte[] q = Clients.query("late.local.", Type.A, 99).toWire();
            late.send(new DatagramPacket(q, q.length));
            // No socket takes a datagram for the address any more: the kernel answers ICMP port
            // unreachable, which a connected socket reports on its next receive.
            assertThrows(PortUnreachableException.class, () -> late.receive(new DatagramPacket(new byte[512], 512)));

            release.countDown();
            CompletableFuture<Void> stopped = CompletableFuture.runAsync(() -> {
                try {
                    server.stop(Duration.ofSeconds(5));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            Set<Integer> answered = new TreeSet<>();
            byte[] buf = new byte[512];
            for (int i = 0; i < 40; i++) {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                queued.receive(p);
                Message m = new Message(java.util.Arrays.copyOf(buf, p.getLength()));
                assertEquals(Rcode.SERVFAIL, m.getRcode());
                answered.add(m.getHeader().getID());
            }
            Set<Integer> all = new TreeSet<>();
            for (int id = 1; id <= 40; id++) {
                all.add(id);
            }
            assertEquals(all, answered);
            stopped.get(10, TimeUnit.SECONDS);
            assertEquals(40, counters.unserved.sum(), "the marker is no query");
        } finally {
            release.countDown();
        }
    }

    /**
     * A stop without a handover withdraws nothing (no connect to itself, no marker): in transparent
     * mode the marker could not come back (the rules are gone and kube-proxy sends it to the
     * kube-dns ClusterIP elsewhere), and the drain would wait its whole budget for it. Seen from a
     * client: during the stop the socket still takes datagrams, where a withdrawn one would have
     * the kernel answer ICMP port unreachable.
     */
    @Test
    void aStopWithoutAHandoverDoesNotWithdraw() throws Exception {
        openEpollTransport(1);
        DnsServer server = server(anyLoopbackPort());
        server.start();
        InetSocketAddress address = server.boundAddresses().get(0);
        CountDownLatch release = blockTheEventLoop();
        CompletableFuture<Void> stopped;
        try (DatagramSocket late = new DatagramSocket(anyLoopbackPort())) {
            // The stop runs until it needs the blocked event loop (closing the TCP listener).
            stopped = CompletableFuture.runAsync(() -> {
                try {
                    server.stop(Duration.ofSeconds(30));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            Thread.sleep(300);
            late.connect(address);
            late.setSoTimeout(1000);
            byte[] q = Clients.query("late.local.", Type.A, 99).toWire();
            late.send(new DatagramPacket(q, q.length));
            // Queued in the unread socket, so no answer and no ICMP error.
            assertThrows(SocketTimeoutException.class, () -> late.receive(new DatagramPacket(new byte[512], 512)));
        } finally {
            release.countDown();
        }
        stopped.get(15, TimeUnit.SECONDS);
    }

    /**
     * An upgrade from a nodedns that held the address on a dual-stack IPv6 socket (Netty's default
     * for an IPv4 address, before the transport opened IPv4 sockets): the new server binds beside
     * it, and the kernel prefers its IPv4 socket for every IPv4 datagram, so the new server answers
     * at once: net/ipv4/udp.c looks at AF_INET sockets first (udp_lib_get_port puts an AF_INET6
     * SO_REUSEPORT socket at the tail of the address's hash chain, an AF_INET one at the head), takes
     * the first match's SO_REUSEPORT group, and compute_score also ranks AF_INET higher (2 to 1).
     */
    @Test
    void anUpgradeBindsBesideADualStackPredecessorAndTakesItsQueries() throws Exception {
        openEpollTransport(1);
        AtomicInteger predecessorRead = new AtomicInteger();
        Channel predecessor = dualStackSocket(new InetSocketAddress("127.0.0.1", 0), predecessorRead, false);
        DnsServer server = server((InetSocketAddress) predecessor.localAddress());
        try {
            server.start();
            InetSocketAddress address = server.boundAddresses().get(0);
            for (int id = 1; id <= 20; id++) {
                Message udp = Clients.udp(address, Clients.query("q" + id + ".local.", Type.A, id));
                assertEquals(Rcode.SERVFAIL, udp.getRcode(), "answered by the new server");
                assertEquals(id, udp.getHeader().getID());
            }
            assertEquals(0, predecessorRead.get());
        } finally {
            server.stop(Duration.ofSeconds(1));
            predecessor.close().syncUninterruptibly();
        }
    }

    /**
     * A rollback: the successor is a dual-stack IPv6 socket on the same address. Until the stop
     * withdraws this server's IPv4 socket, the kernel prefers it; once it is connected to itself,
     * the successor gets the new queries, and the drain marker still comes back to this server.
     */
    @Test
    void aDualStackSuccessorTakesOverWhenThisServerWithdraws() throws Exception {
        openEpollTransport(1);
        DnsServer server = server(new InetSocketAddress("127.0.0.1", 0));
        server.start();
        InetSocketAddress address = server.boundAddresses().get(0);
        AtomicInteger successorRead = new AtomicInteger();
        Channel successor = dualStackSocket(address, successorRead, true);
        try {
            assertEquals(Rcode.SERVFAIL, Clients.udp(address, Clients.query("before.local.", Type.A, 1)).getRcode());
            assertEquals(0, successorRead.get(), "the IPv4 socket is preferred while it takes queries");
            server.withdraw();
            byte[] query = Clients.query("after.local.", Type.A, 2).toWire();
            byte[] echoed = Clients.udp(address, query, 5000);
            assertArrayEquals(query, echoed, "the successor's echo");
            assertEquals(1, successorRead.get());
            // Had the marker gone to the successor, the stop would wait its whole 30 s budget.
            long start = System.nanoTime();
            server.stop(Duration.ofSeconds(30));
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10), "the drain marker came back");
            assertEquals(1, counters.unserved.sum(), "only the query before the withdrawal reached this server");
        } finally {
            successor.close().syncUninterruptibly();
        }
    }

    /**
     * A UDP socket on {@code address} as Netty opens it by default: dual-stack IPv6, the IPv4
     * address mapped, SO_REUSEPORT. It counts what it reads, and echoes it if {@code echo}.
     */
    private Channel dualStackSocket(InetSocketAddress address, AtomicInteger read, boolean echo) {
        return new Bootstrap()
                .group(transport.group())
                .channel(EpollDatagramChannel.class)
                .option(EpollChannelOption.SO_REUSEPORT, true)
                .handler(new SimpleChannelInboundHandler<io.netty.channel.socket.DatagramPacket>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, io.netty.channel.socket.DatagramPacket p) {
                        read.incrementAndGet();
                        if (echo) {
                            ctx.writeAndFlush(new io.netty.channel.socket.DatagramPacket(p.content().retain(), p.sender()));
                        }
                    }
                })
                .bind(address).syncUninterruptibly().channel();
    }

    /**
     * Occupies the transport's only event loop until the returned latch is counted down, so that
     * datagrams sent meanwhile stay queued in the socket.
     */
    private CountDownLatch blockTheEventLoop() throws InterruptedException {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch blocked = new CountDownLatch(1);
        transport.group().next().execute(() -> {
            blocked.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertTrue(blocked.await(5, TimeUnit.SECONDS));
        return release;
    }
}
