package io.nodedns.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nodedns.cache.CachePolicy;
import io.nodedns.cache.ResponseCache;
import io.nodedns.transport.NettyTransport;
import io.nodedns.upstream.ConcurrencyLimitException;
import io.nodedns.wire.WireNames;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/**
 * The listeners and query pipeline end to end, in process: UDP and TCP clients
 * on loopback, a server block with a cache, and a scripted upstream.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DnsServerTest {
    private final AtomicLong nanos = new AtomicLong(5_000_000_000L);
    private NettyTransport transport;
    private DnsServer server;
    private ScriptedUpstream upstream;
    private ResponseCache cache;
    private QueryCounters counters;
    private PendingQueries pending;
    private InetSocketAddress address;
    private ZoneRouter router;

    /** The counters of one zone of the listener, as /metrics exports them. */
    private ZoneMetrics zone(String name) {
        return router.zoneMetrics().stream().filter(z -> z.zone().equals(name)).findFirst().orElseThrow();
    }

    /** Every name under example. has A 127.0.0.7 (TTL 60); "big." names have 30 TXT records; "nx." names do not exist. */
    static Message answer(Message q) {
        Message r = ScriptedUpstream.responseTo(q);
        Name name = q.getQuestion().getName();
        try {
            if (name.toString().startsWith("nx.")) {
                r.getHeader().setRcode(Rcode.NXDOMAIN);
                r.addRecord(new SOARecord(Name.fromString("example."), DClass.IN, 30, Name.fromString("ns.example."),
                        Name.fromString("h.example."), 1, 1, 1, 1, 10), Section.AUTHORITY);
            } else if (name.toString().startsWith("big.")) {
                for (int i = 0; i < 30; i++) {
                    r.addRecord(new TXTRecord(name, DClass.IN, 60, "t".repeat(60) + i), Section.ANSWER);
                }
            } else {
                r.addRecord(new ARecord(name, DClass.IN, 60, InetAddress.getByName("127.0.0.7")), Section.ANSWER);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return r;
    }

    @BeforeEach
    void start() throws Exception {
        start(DnsServer.Limits.defaults());
    }

    void start(DnsServer.Limits limits) throws Exception {
        transport = NettyTransport.create(2, true);
        upstream = new ScriptedUpstream(DnsServerTest::answer);
        cache = new ResponseCache(new CachePolicy(1000, 3600, 5, 1000, 1800, 5, 5), nanos::get);
        counters = new QueryCounters();
        pending = new PendingQueries();
        BlockResolver block = new BlockResolver("example.:0", cache, null, WireNames.toWire("example."), upstream,
                counters, pending, null, false);
        BlockResolver noForward = new BlockResolver("local.:0", null, null, null, null, counters, pending, null, false);
        router = ZoneRouter.of(List.of(
                new ZoneRouter.Route(WireNames.toWire("example."), block),
                new ZoneRouter.Route(WireNames.toWire("local."), noForward)));
        server = new DnsServer(transport, List.of(new DnsServer.Listener(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), router)), limits, counters, pending);
        server.start();
        address = server.boundAddresses().get(0);
    }

    @AfterEach
    void stop() throws Exception {
        server.stop(Duration.ofSeconds(1));
        transport.close();
    }

    /** Polls {@code condition} for up to 5 s; the test's own assertions say what a timeout means. */
    private static void waitUpTo5Seconds(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
    }

    /**
     * {@link Clients#readFrame}, with a reset taken as the end of the stream: the kernel resets a
     * connection closed with bytes it never handed to the server, which is how a query that was
     * never read may end, depending on timing.
     */
    private static byte[] readFrameOrNullOnReset(DataInputStream in) throws IOException {
        try {
            return Clients.readFrame(in);
        } catch (SocketException e) {
            if (String.valueOf(e.getMessage()).startsWith("Connection reset")) {
                return null;
            }
            throw e;
        }
    }

    /** Starts {@code server.stop} with a 5 s drain on its own thread, as a signal handler would. */
    private Thread stopInBackground() {
        Thread stopper = new Thread(() -> {
            try {
                server.stop(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        stopper.start();
        return stopper;
    }

    @Test
    void missGoesUpstreamOnceThenHitsAreServedFromCacheWithDecayingTtl() throws Exception {
        Message first = Clients.udp(address, Clients.query("Www.Example.", Type.A, 100));
        assertEquals(Rcode.NOERROR, first.getRcode());
        assertEquals(100, first.getHeader().getID());
        assertEquals("Www.Example.", first.getQuestion().getName().toString());
        assertEquals(60, first.getSection(Section.ANSWER).get(0).getTTL());
        assertEquals(1, upstream.calls.get());
        assertEquals("www.example.", upstream.queries.get(0).getQuestion().getName().toString(),
                "the upstream query is built from the lower-cased key");

        nanos.addAndGet(Duration.ofSeconds(25).toNanos());
        Message second = Clients.udp(address, Clients.query("WWW.example.", Type.A, 101));
        assertEquals(101, second.getHeader().getID());
        assertEquals("WWW.example.", second.getQuestion().getName().toString());
        assertEquals(35, second.getSection(Section.ANSWER).get(0).getTTL());
        Message overTcp = Clients.tcp(address, Clients.query("www.example.", Type.A, 102));
        assertEquals(35, overTcp.getSection(Section.ANSWER).get(0).getTTL());
        assertEquals(1, upstream.calls.get(), "hits do not go upstream");
        ZoneMetrics example = zone("example.");
        assertEquals(2, example.successHits() + example.denialHits());
        assertEquals(1, example.cacheMisses());
    }

    @Test
    void negativeAnswersAreCachedForTheSoaTtl() throws Exception {
        Message nx = Clients.udp(address, Clients.query("nx.example.", Type.A, 1));
        assertEquals(Rcode.NXDOMAIN, nx.getRcode());
        nanos.addAndGet(Duration.ofSeconds(9).toNanos());
        assertEquals(Rcode.NXDOMAIN, Clients.udp(address, Clients.query("nx.example.", Type.A, 2)).getRcode());
        assertEquals(1, upstream.calls.get());
        nanos.addAndGet(Duration.ofSeconds(1).toNanos());
        Clients.udp(address, Clients.query("nx.example.", Type.A, 3));
        assertEquals(2, upstream.calls.get(), "min(SOA TTL 30, MINIMUM 10) = 10 s");
    }

    @Test
    void concurrentIdenticalMissesSendOneUpstreamQuery() throws Exception {
        CompletableFuture<Void> release = upstream.hold();
        int clients = 20;
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            List<Future<Message>> answers = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                int id = 1000 + i;
                String name = i % 2 == 0 ? "same.example." : "SAME.EXAMPLE.";
                answers.add(pool.submit(() -> Clients.udp(address, Clients.query(name, Type.A, id))));
            }
            waitUpTo5Seconds(() -> counters.coalesced.sum() >= clients - 1);
            release.complete(null);
            for (int i = 0; i < clients; i++) {
                Message m = answers.get(i).get(5, TimeUnit.SECONDS);
                assertEquals(1000 + i, m.getHeader().getID());
                assertEquals(i % 2 == 0 ? "same.example." : "SAME.EXAMPLE.", m.getQuestion().getName().toString());
                assertEquals(1, m.getSection(Section.ANSWER).size());
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, upstream.calls.get());
        assertEquals(clients - 1, counters.coalesced.sum());
        assertEquals(0, pending.count());
    }

    @Test
    void upstreamFailureIsServfailAndOverLimitIsRefused() throws Exception {
        upstream.failWith(new IOException("all upstreams timed out"));
        Message m = Clients.udp(address, Clients.query("down.example.", Type.A, 7));
        assertEquals(Rcode.SERVFAIL, m.getRcode());
        assertEquals(7, m.getHeader().getID());
        assertEquals(1, counters.upstreamFailures.sum());
        upstream.failWith(new ConcurrencyLimitException("max_concurrent 1 reached"));
        assertEquals(Rcode.REFUSED, Clients.udp(address, Clients.query("busy.example.", Type.A, 8)).getRcode());
        upstream.failWith(null);
        assertEquals(Rcode.NOERROR, Clients.udp(address, Clients.query("down.example.", Type.A, 9)).getRcode(),
                "a failure is not cached");
    }

    @Test
    void namesNoBlockServesAreRefusedAndNamesNothingForwardsAreServfail() throws Exception {
        assertEquals(Rcode.REFUSED, Clients.udp(address, Clients.query("example.org.", Type.A, 1)).getRcode());
        assertEquals(Rcode.SERVFAIL, Clients.udp(address, Clients.query("host.local.", Type.A, 2)).getRcode(),
                "a block without forward has nowhere to send the query (CoreDNS: no next plugin)");
        assertEquals(0, upstream.calls.get());
        assertEquals(1, counters.refused.sum());
        assertEquals(1, counters.unserved.sum());
    }

    @Test
    void upstreamExtendedRcodeIsServfailNotPassedOn() throws Exception {
        upstream.answerWith(q -> {
            Message r = ScriptedUpstream.responseTo(q);
            r.addRecord(new org.xbill.DNS.OPTRecord(1232, 1, 0), Section.ADDITIONAL); // BADVERS
            return r;
        });
        assertEquals(Rcode.SERVFAIL, Clients.udp(address, Clients.ednsQuery("x.example.", Type.A, 3, 1232)).getRcode());
        assertEquals(1, counters.upstreamFailures.sum());
    }

    @Test
    void clientThatDoesNotReadItsAnswersIsNotBufferedWithoutBound() throws Exception {
        Clients.udp(address, Clients.query("hot.example.", Type.A, 1)); // cached from now on
        byte[] query = Clients.query("hot.example.", Type.A, 2).toWire();
        byte[] burst = new byte[(query.length + 2) * 1000];
        for (int i = 0; i < 1000; i++) {
            burst[i * (query.length + 2)] = (byte) (query.length >>> 8);
            burst[i * (query.length + 2) + 1] = (byte) query.length;
            System.arraycopy(query, 0, burst, i * (query.length + 2) + 2, query.length);
        }
        ZoneMetrics example = zone("example.");
        int typeA = QtypeBuckets.of(Type.A);
        try (Socket s = new Socket()) {
            // A small receive buffer, set before connecting so the window starts small: the
            // kernel's buffers between the two fill after a few thousand answers, not after
            // megabytes of autotuned window, so the pause comes quickly even on a loaded machine.
            s.setReceiveBufferSize(16 * 1024);
            s.connect(address, 2000);
            Thread writer = new Thread(() -> {
                try {
                    // 400k queries, about 20 MB; their answers about 28 MB.
                    for (int i = 0; i < 400; i++) {
                        s.getOutputStream().write(burst);
                    }
                } catch (IOException closed) {
                    // the socket is closed below
                }
            });
            writer.start();
            // Wait until the server's count of TCP queries read stops moving for a second.
            long read = example.requests(true, false, typeA);
            long before = -1;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (read != before && System.nanoTime() < deadline) {
                before = read;
                Thread.sleep(1000);
                read = example.requests(true, false, typeA);
            }
            assertEquals(before, read, "the server stopped reading the client that does not read");
            assertTrue(read < 200_000, "and stopped long before its 400,000 queries: read " + read);
            assertTrue(writer.isAlive(), "so the client's writes block");
            s.close();
            writer.join(3000);
        }
    }

    @Test
    void clientTricklingBytesIsClosedAfterTheIdleTimeout() throws Exception {
        stop();
        start(new DnsServer.Limits(1232, 10, Duration.ofMillis(300), 4096));
        try (Socket s = Clients.tcpConnect(address)) {
            s.setSoTimeout(100);
            long started = System.nanoTime();
            boolean closed = false;
            byte[] query = Clients.query("slow.example.", Type.A, 1).toWire();
            for (int i = 0; i < 30 && !closed; i++) {
                try {
                    s.getOutputStream().write(i == 0 ? new byte[] {0, (byte) query.length} : new byte[] {query[i]});
                    closed = s.getInputStream().read() < 0;
                } catch (java.net.SocketTimeoutException stillOpen) {
                    // no answer yet: keep trickling
                } catch (IOException reset) {
                    closed = true;
                }
            }
            assertTrue(closed, "a frame that never completes does not keep the connection open");
            assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(2));
        }
    }

    @Test
    void drainingConnectionsDoNotResumeReading() throws Exception {
        CompletableFuture<Void> release = upstream.hold();
        try (Socket a = Clients.tcpConnect(address); Socket b = Clients.tcpConnect(address)) {
            Clients.writeFrame(a.getOutputStream(), Clients.query("a.example.", Type.A, 61).toWire());
            Clients.writeFrame(b.getOutputStream(), Clients.query("b.example.", Type.A, 62).toWire());
            waitUpTo5Seconds(() -> pending.count() >= 2);
            Thread stopper = stopInBackground();
            Thread.sleep(100);
            Clients.writeFrame(b.getOutputStream(), Clients.query("c.example.", Type.A, 63).toWire());
            release.complete(null);
            DataInputStream in = new DataInputStream(b.getInputStream());
            assertEquals(62, new Message(Clients.readFrame(in)).getHeader().getID());
            assertNull(readFrameOrNullOnReset(in), "the query sent after stop began was never read");
            assertEquals(61, new Message(Clients.readFrame(new DataInputStream(a.getInputStream())))
                    .getHeader().getID());
            stopper.join(5000);
        }
    }

    @Test
    void oversizedUdpAnswerIsTruncatedAndComesWholeOverTcp() throws Exception {
        Message udp = Clients.udp(address, Clients.query("big.example.", Type.TXT, 5));
        assertTrue(udp.getHeader().getFlag(Flags.TC));
        assertEquals(0, udp.getSection(Section.ANSWER).size());
        Message edns = Clients.udp(address, Clients.ednsQuery("big.example.", Type.TXT, 6, 65000));
        assertTrue(edns.getHeader().getFlag(Flags.TC), "our UDP limit is 1232 whatever the client offers");
        Message tcp = Clients.tcp(address, Clients.query("big.example.", Type.TXT, 7));
        assertFalse(tcp.getHeader().getFlag(Flags.TC));
        assertEquals(30, tcp.getSection(Section.ANSWER).size());
        assertEquals(2, counters.truncated.sum());
        assertEquals(1, upstream.calls.get());
    }

    @Test
    void protocolErrorsGetTheirRcodes() throws Exception {
        byte[] wire = Clients.ednsQuery("x.example.", Type.A, 11, 1232).toWire();
        wire[wire.length - 5] = 1; // OPT: ... ext-rcode, VERSION, flags(2), rdlength(2)
        Message bv = new Message(Clients.udp(address, wire, 3000));
        assertEquals(Rcode.BADVERS, bv.getRcode());

        Message notify = Clients.query("x.example.", Type.SOA, 12);
        notify.getHeader().setOpcode(org.xbill.DNS.Opcode.NOTIFY);
        assertEquals(Rcode.NOTIMP, Clients.udp(address, notify).getRcode());

        byte[] twoQuestions = Clients.query("x.example.", Type.A, 13).toWire();
        twoQuestions[5] = 2;
        Message fe = new Message(Clients.udp(address, twoQuestions, 3000));
        assertEquals(Rcode.FORMERR, fe.getRcode());
        assertEquals(13, fe.getHeader().getID());
        assertEquals(0, upstream.calls.get());
    }

    @Test
    void unanswerablePacketsAreDroppedAndCounted() throws Exception {
        assertNull(Clients.udp(address, new byte[] {1, 2, 3}, 300));
        byte[] response = Clients.query("x.example.", Type.A, 14).toWire();
        response[2] |= (byte) 0x80;
        assertNull(Clients.udp(address, response, 300));
        assertEquals(1, counters.droppedShort.sum());
        assertEquals(1, counters.droppedResponses.sum());
        assertEquals(Rcode.NOERROR, Clients.udp(address, Clients.query("x.example.", Type.A, 15)).getRcode(),
                "the listener keeps serving");
    }

    @Test
    void tcpPipelinedQueriesAreAnsweredAsTheyComplete() throws Exception {
        upstream.delay(q -> q.getQuestion().getName().toString().startsWith("slow.") ? 300 : 0);
        try (Socket s = Clients.tcpConnect(address)) {
            Clients.writeFrame(s.getOutputStream(), Clients.query("slow.example.", Type.A, 1).toWire());
            for (int i = 2; i <= 10; i++) {
                Clients.writeFrame(s.getOutputStream(), Clients.query("fast" + i + ".example.", Type.A, i).toWire());
            }
            DataInputStream in = new DataInputStream(s.getInputStream());
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                order.add(new Message(Clients.readFrame(in)).getHeader().getID());
            }
            assertEquals(10, new HashSet<>(order).size());
            assertEquals(1, order.get(9), "the slow query's answer came last: " + order);
        }
    }

    @Test
    void halfClosedConnectionStillGetsItsAnswers() throws Exception {
        CompletableFuture<Void> release = upstream.hold();
        try (Socket s = Clients.tcpConnect(address)) {
            Clients.writeFrame(s.getOutputStream(), Clients.query("a.example.", Type.A, 21).toWire());
            Clients.writeFrame(s.getOutputStream(), Clients.query("b.example.", Type.A, 22).toWire());
            s.shutdownOutput();
            Thread.sleep(100);
            release.complete(null);
            DataInputStream in = new DataInputStream(s.getInputStream());
            Set<Integer> ids = new HashSet<>();
            ids.add(new Message(Clients.readFrame(in)).getHeader().getID());
            ids.add(new Message(Clients.readFrame(in)).getHeader().getID());
            assertEquals(Set.of(21, 22), ids);
            assertNull(Clients.readFrame(in), "then the server closes");
        }
    }

    @Test
    void garbageFrameClosesOnlyThatConnection() throws Exception {
        try (Socket good = Clients.tcpConnect(address); Socket bad = Clients.tcpConnect(address)) {
            Clients.writeFrame(bad.getOutputStream(), new byte[] {1, 2, 3, 4});
            assertNull(Clients.readFrame(new DataInputStream(bad.getInputStream())));
            Clients.writeFrame(good.getOutputStream(), Clients.query("ok.example.", Type.A, 31).toWire());
            assertEquals(31, new Message(Clients.readFrame(new DataInputStream(good.getInputStream())))
                    .getHeader().getID());
        }
        assertEquals(1, counters.tcpRejected.sum());
    }

    @Test
    void oversizedFrameClosesTheConnection() throws Exception {
        try (Socket s = Clients.tcpConnect(address)) {
            s.getOutputStream().write(new byte[] {(byte) 0xFF, (byte) 0xFF, 0, 0, 0});
            s.getOutputStream().flush();
            assertNull(Clients.readFrame(new DataInputStream(s.getInputStream())));
        }
        assertEquals(Rcode.NOERROR, Clients.tcp(address, Clients.query("ok.example.", Type.A, 32)).getRcode());
    }

    @Test
    void idleConnectionsAreClosed() throws Exception {
        stop();
        start(new DnsServer.Limits(1232, 10, Duration.ofMillis(200), 4096));
        try (Socket s = Clients.tcpConnect(address)) {
            long started = System.nanoTime();
            assertNull(Clients.readFrame(new DataInputStream(s.getInputStream())));
            assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(3));
        }
    }

    @Test
    void connectionsBeyondTheCapAreClosed() throws Exception {
        stop();
        start(new DnsServer.Limits(1232, 2, Duration.ofSeconds(10), 4096));
        try (Socket a = Clients.tcpConnect(address); Socket b = Clients.tcpConnect(address);
             Socket c = Clients.tcpConnect(address)) {
            assertNull(Clients.readFrame(new DataInputStream(c.getInputStream())), "the third is closed");
            Clients.writeFrame(a.getOutputStream(), Clients.query("ok.example.", Type.A, 41).toWire());
            assertNotNull(Clients.readFrame(new DataInputStream(a.getInputStream())));
        }
    }

    @Test
    void stopAnswersQueriesAlreadyInFlight() throws Exception {
        CompletableFuture<Void> release = upstream.hold();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Message> answer = pool.submit(() -> Clients.udp(address, Clients.query("late.example.", Type.A, 51)));
            waitUpTo5Seconds(() -> pending.count() > 0);
            Thread stopper = stopInBackground();
            Thread.sleep(200);
            assertTrue(stopper.isAlive(), "stop waits for the pending query");
            release.complete(null);
            assertEquals(51, answer.get(5, TimeUnit.SECONDS).getHeader().getID());
            stopper.join(5000);
            assertFalse(stopper.isAlive());
            assertNull(Clients.udp(address, Clients.query("after.example.", Type.A, 52).toWire(), 300),
                    "nothing is served after stop");
        } finally {
            pool.shutdownNow();
        }
    }
}
