package io.nodedns.upstream;

import static io.nodedns.upstream.UpstreamTesting.answer;
import static io.nodedns.upstream.UpstreamTesting.firstAddress;
import static io.nodedns.upstream.UpstreamTesting.forward;
import static io.nodedns.upstream.UpstreamTesting.forwardAllAtOnce;
import static io.nodedns.upstream.UpstreamTesting.settings;
import static io.nodedns.upstream.UpstreamTesting.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nodedns.transport.NettyTransport;
import java.time.Duration;
import java.util.Collections;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;

/** Pipelined TCP to the upstream: RFC 7766 §6.2.1.1 pipelining, out-of-order answers, pooling. */
@Timeout(60)
class ForwarderTcpTest {
    private static final int LOOPS = 2;
    private static NettyTransport transport;
    private FakeUpstream upstream;

    @BeforeAll
    static void startLoops() {
        transport = NettyTransport.create(LOOPS, true);
    }

    @AfterAll
    static void stopLoops() {
        transport.close();
    }

    @BeforeEach
    void startUpstream() throws Exception {
        upstream = FakeUpstream.start("192.0.2.1");
    }

    @AfterEach
    void stopUpstream() {
        upstream.close();
    }

    @Test
    void pipelinesManyConcurrentQueriesOverAFewConnections() throws Exception {
        upstream.delay(Duration.ofMillis(50));
        try (Forwarder forwarder = new Forwarder(settings(TransportMode.FORCE_TCP, upstream), transport, System::nanoTime)) {
            for (Message response : forwardAllAtOnce(forwarder, "q", 200, 0)) {
                assertEquals("192.0.2.1", firstAddress(response));
            }
            int poolCap = LOOPS * PoolTuning.DEFAULTS.tcpConnectionsPerLoop();
            assertTrue(upstream.tcpConnectionsAccepted() <= poolCap,
                    "connections " + upstream.tcpConnectionsAccepted() + " > cap " + poolCap);
            assertEquals(200, upstream.tcpQueries());
            assertEquals(0, upstream.udpQueries());
            assertTrue(Collections.max(upstream.queriesPerConnection()) >= 200 / poolCap,
                    "queries per connection " + upstream.queriesPerConnection());
            assertTrue(upstream.maxInFlight() > 10, "upstream saw at most " + upstream.maxInFlight() + " at once");
            assertEquals(0, forwarder.stats().upstreams().get(0).inFlight());
            assertEquals(0, forwarder.stats().inFlight());
        }
    }

    @Test
    void matchesAnswersArrivingInReverseOrder() throws Exception {
        upstream.answerInReverseBatches(10);
        try (Forwarder forwarder = new Forwarder(settings(TransportMode.FORCE_TCP, upstream), transport, System::nanoTime)) {
            forwardAllAtOnce(forwarder, "order", 20, 1000);
        }
    }

    @Test
    void ignoresAnswerWithWrongIdAndKeepsWaitingForTheRightOne() throws Exception {
        upstream.wrongIdFirst(true);
        try (Forwarder forwarder = new Forwarder(settings(TransportMode.FORCE_TCP, upstream), transport, System::nanoTime)) {
            for (int i = 0; i < 5; i++) {
                Message response = answer(forward(forwarder, "wrong" + i + ".example.", 77, false));
                assertEquals(77, response.getHeader().getID());
                assertEquals("wrong" + i + ".example.", response.getQuestion().getName().toString());
                assertEquals("192.0.2.1", firstAddress(response));
            }
            assertEquals(10, upstream.responsesSent());
            assertEquals(0, forwarder.stats().upstreams().get(0).failures());
        }
    }

    @Test
    void restoresTheCallersIdWhileUsingRandomIdsUpstream() throws Exception {
        try (Forwarder forwarder = new Forwarder(settings(TransportMode.FORCE_TCP, upstream), transport, System::nanoTime)) {
            int[] callerIds = {0, 1, 0xFFFF, 0x1234, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
            for (int i = 0; i < callerIds.length; i++) {
                Message response = answer(forward(forwarder, "id" + i + ".example.", callerIds[i], false));
                assertEquals(callerIds[i], response.getHeader().getID());
                assertEquals(Rcode.NOERROR, response.getRcode());
            }
            Set<Integer> upstreamIds = new HashSet<>();
            upstream.received().forEach(query -> upstreamIds.add(query.getHeader().getID()));
            // 20 random 16-bit IDs: all equal or a caller's sequence would be a broken allocator.
            assertTrue(upstreamIds.size() >= 15, "upstream IDs not random: " + upstreamIds);
        }
    }

    @Test
    void retriesQueriesWhenTheUpstreamClosesTheConnectionUnderThem() throws Exception {
        upstream.closeNextTcpConnections(1);
        try (Forwarder forwarder = new Forwarder(settings(TransportMode.FORCE_TCP, upstream), transport, System::nanoTime)) {
            Message response = answer(forward(forwarder, "closed.example.", 5, false));
            assertEquals(5, response.getHeader().getID());
            assertEquals("192.0.2.1", firstAddress(response));
            assertEquals(2, upstream.tcpConnectionsAccepted());
            assertEquals(2, upstream.tcpQueries());
            assertEquals(0, forwarder.stats().upstreams().get(0).failures());
        }
    }

    @Test
    void closesIdleConnectionsAfterExpire() throws Exception {
        ForwarderSettings settings = settings(TransportMode.FORCE_TCP, upstream).withExpire(Duration.ofMillis(200));
        try (Forwarder forwarder = new Forwarder(settings, transport, System::nanoTime)) {
            answer(forward(forwarder, "idle.example.", 1, false));
            UpstreamStats stats = forwarder.stats().upstreams().get(0);
            assertEquals(1, stats.connectionsOpened());
            waitUntil("the idle connection is closed", () -> upstream.tcpConnectionsOpen() == 0);
            assertEquals(1, stats.connectionsClosed());
            assertEquals(0, stats.connectionsOpen());
            // The next query simply opens a new one.
            answer(forward(forwarder, "idle2.example.", 2, false));
            assertEquals(2, upstream.tcpConnectionsAccepted());
        }
    }

    @Test
    void keepsBusyConnectionsOpenForReuse() throws Exception {
        try (Forwarder forwarder = new Forwarder(settings(TransportMode.FORCE_TCP, upstream), transport, System::nanoTime)) {
            for (int i = 0; i < 20; i++) {
                answer(forward(forwarder, "reuse" + i + ".example.", i, false));
            }
            assertTrue(upstream.tcpConnectionsAccepted() <= LOOPS,
                    "sequential queries opened " + upstream.tcpConnectionsAccepted() + " connections");
        }
    }

    @Test
    void rotatesConnectionsAfterTheirQueryLimit() throws Exception {
        PoolTuning tuning = PoolTuning.DEFAULTS.withRotation(5, Duration.ofMinutes(5));
        try (Forwarder forwarder = new Forwarder(settings(TransportMode.FORCE_TCP, upstream), transport,
                System::nanoTime, tuning)) {
            for (int i = 0; i < 30; i++) {
                answer(forward(forwarder, "rotate" + i + ".example.", i, false));
            }
            assertTrue(Collections.max(upstream.queriesPerConnection()) <= 5,
                    "per connection: " + upstream.queriesPerConnection());
            assertTrue(upstream.tcpConnectionsAccepted() >= 6, "only " + upstream.tcpConnectionsAccepted());
            // Rotated connections are closed once drained, not left open.
            waitUntil("rotated connections are closed", () -> upstream.tcpConnectionsOpen() <= LOOPS);
        }
    }

    @Test
    void rotatesConnectionsAfterTheirMaximumAge() throws Exception {
        AtomicLong now = new AtomicLong();
        PoolTuning tuning = PoolTuning.DEFAULTS.withRotation(10_000, Duration.ofSeconds(60));
        ForwarderSettings settings = settings(TransportMode.FORCE_TCP, upstream)
                .withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(3));
        try (Forwarder forwarder = new Forwarder(settings, transport, now::get, tuning)) {
            answer(forward(forwarder, "young.example.", 1, false));
            answer(forward(forwarder, "young2.example.", 2, false));
            int before = upstream.tcpConnectionsAccepted();
            now.addAndGet(Duration.ofSeconds(61).toNanos());
            answer(forward(forwarder, "old.example.", 3, false));
            answer(forward(forwarder, "old2.example.", 4, false));
            assertTrue(upstream.tcpConnectionsAccepted() > before,
                    "no new connection after the age limit: " + upstream.tcpConnectionsAccepted());
        }
    }
}
