package io.nodedns.upstream;

import static io.nodedns.upstream.UpstreamTesting.answer;
import static io.nodedns.upstream.UpstreamTesting.failure;
import static io.nodedns.upstream.UpstreamTesting.firstAddress;
import static io.nodedns.upstream.UpstreamTesting.forward;
import static io.nodedns.upstream.UpstreamTesting.settings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.nodedns.transport.NettyTransport;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xbill.DNS.Message;

/** Timeouts, failover to the next upstream, the deadline, max_concurrent and close(). */
@Timeout(60)
class ForwarderFailoverTest {
    private static NettyTransport transport;

    @BeforeAll
    static void startLoops() {
        transport = NettyTransport.create(2, true);
    }

    @AfterAll
    static void stopLoops() {
        transport.close();
    }

    @Test
    void failsOverToTheNextUpstreamAfterTheTryTimeout() throws Exception {
        try (FakeUpstream silent = FakeUpstream.start("192.0.2.1");
             FakeUpstream healthy = FakeUpstream.start("192.0.2.2")) {
            silent.dropAll(true);
            ForwarderSettings settings = settings(TransportMode.PREFER_UDP, silent, healthy)
                    .withTimeouts(Duration.ofMillis(200), Duration.ofSeconds(3));
            try (Forwarder forwarder = new Forwarder(settings, transport, System::nanoTime)) {
                Message response = answer(forward(forwarder, "failover.example.", 42, false));
                assertEquals(42, response.getHeader().getID());
                assertEquals("192.0.2.2", firstAddress(response));
                assertEquals(1, silent.queries());
                assertEquals(1, healthy.queries());
                UpstreamStats silentStats = forwarder.stats().upstreams().get(0);
                assertEquals(1, silentStats.timeouts());
                assertEquals(1, silentStats.failures());
                assertEquals(0, silentStats.inFlight());
            }
        }
    }

    @Test
    void failsWithUpstreamExceptionWhenNoUpstreamListens() throws Exception {
        List<InetSocketAddress> dead = List.of(unusedPort(), unusedPort());
        for (TransportMode mode : List.of(TransportMode.FORCE_TCP, TransportMode.PREFER_UDP)) {
            ForwarderSettings settings = ForwarderSettings.defaults("dead.", dead)
                    .withTransport(mode)
                    .withTimeouts(Duration.ofMillis(500), Duration.ofSeconds(2));
            try (Forwarder forwarder = new Forwarder(settings, transport, System::nanoTime)) {
                Throwable cause = failure(forward(forwarder, "nobody.example.", 1, false));
                assertInstanceOf(UpstreamException.class, cause);
                for (InetSocketAddress address : dead) {
                    assertTrue(cause.getMessage().contains(address.toString()),
                            mode + ": message does not name " + address + ": " + cause.getMessage());
                }
                assertEquals(1, forwarder.stats().failedForwards());
            }
        }
    }

    @Test
    void failsWithUpstreamExceptionAtTheDeadlineWhenUpstreamsAreSilent() throws Exception {
        try (FakeUpstream first = FakeUpstream.start("192.0.2.1");
             FakeUpstream second = FakeUpstream.start("192.0.2.2")) {
            first.dropAll(true);
            second.dropAll(true);
            ForwarderSettings settings = settings(TransportMode.FORCE_TCP, first, second)
                    .withTimeouts(Duration.ofMillis(400), Duration.ofMillis(600));
            try (Forwarder forwarder = new Forwarder(settings, transport, System::nanoTime)) {
                Throwable cause = failure(forward(forwarder, "silence.example.", 1, false));
                assertInstanceOf(UpstreamException.class, cause);
                assertTrue(cause.getMessage().contains("deadline"), cause.getMessage());
                assertEquals(1, first.queries());
                assertEquals(1, second.queries());
                // Neither the timed-out attempt nor the one cut short by the deadline stays in flight.
                UpstreamTesting.waitUntil("no query is left in flight", () ->
                        forwarder.stats().upstreams().stream().allMatch(s -> s.inFlight() == 0));
                assertEquals(0, forwarder.stats().inFlight());
            }
        }
    }

    @Test
    void rejectsForwardsBeyondMaxConcurrent() throws Exception {
        try (FakeUpstream slow = FakeUpstream.start("192.0.2.1")) {
            slow.delay(Duration.ofMillis(300));
            ForwarderSettings settings = settings(TransportMode.FORCE_TCP, slow).withMaxConcurrent(2);
            try (Forwarder forwarder = new Forwarder(settings, transport, System::nanoTime)) {
                CompletableFuture<ByteBuf> first = forward(forwarder, "one.example.", 1, false);
                CompletableFuture<ByteBuf> second = forward(forwarder, "two.example.", 2, false);
                CompletableFuture<ByteBuf> third = forward(forwarder, "three.example.", 3, false);
                assertInstanceOf(ConcurrencyLimitException.class, failure(third));
                assertEquals(1, answer(first).getHeader().getID());
                assertEquals(2, answer(second).getHeader().getID());
                UpstreamTesting.waitUntil("the first two are counted out", () -> forwarder.stats().inFlight() == 0);
                assertEquals(4, answer(forward(forwarder, "four.example.", 4, false)).getHeader().getID());
                assertEquals(1, forwarder.stats().concurrencyRejects());
                assertEquals(3, forwarder.stats().forwards());
                assertEquals(3, slow.queries());
            }
        }
    }

    @Test
    void closeFailsForwardsInFlightAndLaterOnes() throws Exception {
        try (FakeUpstream silent = FakeUpstream.start("192.0.2.1")) {
            silent.dropAll(true);
            ForwarderSettings settings = settings(TransportMode.FORCE_TCP, silent)
                    .withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(8));
            Forwarder forwarder = new Forwarder(settings, transport, System::nanoTime);
            CompletableFuture<ByteBuf> pending = forward(forwarder, "pending.example.", 1, false);
            UpstreamTesting.waitUntil("the query reached the upstream", () -> silent.queries() == 1);
            forwarder.close();
            Throwable cause = failure(pending);
            assertInstanceOf(UpstreamException.class, cause);
            assertTrue(cause.getMessage().contains("closed"), cause.getMessage());
            assertEquals(0, forwarder.stats().upstreams().get(0).connectionsOpen());
            assertInstanceOf(UpstreamException.class, failure(forward(forwarder, "later.example.", 2, false)));
            forwarder.close(); // idempotent
            UpstreamTesting.waitUntil("the upstream sees the connection close", () -> silent.tcpConnectionsOpen() == 0);
        }
    }

    @Test
    void releasesALateAnswerWhenTheCallerCancelled() throws Exception {
        try (FakeUpstream slow = FakeUpstream.start("192.0.2.1")) {
            slow.delay(Duration.ofMillis(200));
            try (Forwarder forwarder = new Forwarder(settings(TransportMode.FORCE_TCP, slow), transport,
                    System::nanoTime)) {
                CompletableFuture<ByteBuf> cancelled = forward(forwarder, "cancel.example.", 1, false);
                UpstreamTesting.waitUntil("the query reached the upstream", () -> slow.queries() == 1);
                cancelled.cancel(false);
                UpstreamTesting.waitUntil("the answer arrived and was dropped",
                        () -> slow.responsesSent() == 1 && forwarder.stats().inFlight() == 0);
                // The leak check extension fails this class if the late answer was not released.
            }
        }
    }

    @Test
    void sendsNothingWhenCancelledBeforeItStarted() throws Exception {
        // One event loop, held busy until every forward is cancelled: none can start before.
        try (FakeUpstream upstream = FakeUpstream.start("192.0.2.1");
             NettyTransport single = NettyTransport.create(1, true);
             Forwarder forwarder = new Forwarder(settings(TransportMode.FORCE_TCP, upstream), single,
                     System::nanoTime)) {
            CountDownLatch cancelled = new CountDownLatch(1);
            single.group().execute(() -> {
                try {
                    cancelled.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            for (int i = 0; i < 20; i++) {
                assertTrue(forward(forwarder, "c" + i + ".example.", i, false).cancel(false));
            }
            cancelled.countDown();
            UpstreamTesting.waitUntil("all are counted out", () -> forwarder.stats().inFlight() == 0);
            assertEquals(0, upstream.queries());
        }
    }

    @Test
    void rejectsAMalformedQuery() throws Exception {
        try (FakeUpstream upstream = FakeUpstream.start("192.0.2.1");
             Forwarder forwarder = new Forwarder(settings(TransportMode.FORCE_TCP, upstream), transport,
                     System::nanoTime)) {
            ByteBuf truncated = UpstreamTesting.query("x.example.", 1).writerIndex(14);
            try {
                assertInstanceOf(IllegalArgumentException.class, failure(forwarder.forward(truncated, false)));
            } finally {
                truncated.release();
            }
            assertEquals(0, forwarder.stats().inFlight());
            assertEquals(0, upstream.queries());
        }
    }

    @Test
    void backsOffReconnectingAfterAFailedConnect() throws Exception {
        PoolTuning slowReconnect = PoolTuning.DEFAULTS.withReconnectBackoff(Duration.ofSeconds(20),
                Duration.ofSeconds(20));
        ForwarderSettings settings = ForwarderSettings.defaults("dead.", List.of(unusedPort()))
                .withTransport(TransportMode.FORCE_TCP)
                .withTimeouts(Duration.ofMillis(500), Duration.ofSeconds(2));
        // One event loop, so both forwards share one connection pool.
        try (NettyTransport single = NettyTransport.create(1, true);
             Forwarder forwarder = new Forwarder(settings, single, System::nanoTime, slowReconnect)) {
            Throwable refused = failure(forward(forwarder, "first.example.", 1, false));
            assertTrue(refused.getMessage().contains("connect failed"), refused.getMessage());
            Throwable backingOff = failure(forward(forwarder, "second.example.", 2, false));
            assertTrue(backingOff.getMessage().contains("not reconnecting yet"), backingOff.getMessage());
            assertEquals(0, forwarder.stats().upstreams().get(0).connectionsOpened());
        }
    }

    /** A loopback port with (almost certainly) nothing on it, TCP or UDP. */
    private static InetSocketAddress unusedPort() throws Exception {
        try (ServerSocket probe = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            return new InetSocketAddress(probe.getInetAddress(), probe.getLocalPort());
        }
    }
}
