package io.nodedns.upstream;

import static io.nodedns.upstream.UpstreamTesting.forward;
import static io.nodedns.upstream.UpstreamTesting.settings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.nodedns.testing.NettyLeakCheck;
import io.nodedns.transport.NettyTransport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A dead (silent) or slow kube-dns and many more distinct queries than the forwarder's bound: the
 * forwards in flight never exceed it, those over it fail at once, the rest fail at the deadline,
 * and nothing stays held or leaks.
 */
@ExtendWith(NettyLeakCheck.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ForwarderOverloadTest {
    private static final int BOUND = 50;
    private static final int QUERIES = 500;
    private static final Duration DEADLINE = Duration.ofMillis(500);
    private static NettyTransport transport;
    private FakeUpstream upstream;

    @BeforeAll
    static void startTransport() {
        transport = NettyTransport.create(2, true);
    }

    @AfterAll
    static void stopTransport() {
        transport.close();
    }

    @BeforeEach
    void startUpstream() throws Exception {
        upstream = FakeUpstream.start("192.0.2.1");
    }

    @AfterEach
    void stopUpstream() throws Exception {
        upstream.close();
    }

    private Forwarder forwarder(TransportMode mode) {
        // One attempt per forward (try timeout = deadline): the upstream sees each accepted query once.
        return new Forwarder(settings(mode, upstream).withTimeouts(DEADLINE, DEADLINE), transport,
                System::nanoTime, PoolTuning.DEFAULTS.withMaxForwardsInFlight(BOUND));
    }

    private void overload(Forwarder forwarder) throws Exception {
        List<CompletableFuture<ByteBuf>> futures = new ArrayList<>();
        long started = System.nanoTime();
        for (int i = 0; i < QUERIES; i++) {
            futures.add(forward(forwarder, "n" + i + ".example.", i, false));
        }
        assertEquals(QUERIES - BOUND, forwarder.stats().overloadRejects(), "all over the bound, failed at once");
        assertEquals(BOUND, forwarder.stats().inFlight());
        for (int i = BOUND; i < QUERIES; i++) {
            assertTrue(futures.get(i).isCompletedExceptionally(), "query " + i + " failed before forward returned");
        }
        long maxUpstreamInFlight = 0;
        while (!futures.stream().allMatch(CompletableFuture::isDone)) {
            maxUpstreamInFlight = Math.max(maxUpstreamInFlight, forwarder.stats().upstreams().get(0).inFlight());
            assertTrue(forwarder.stats().inFlight() <= BOUND);
            Thread.sleep(2);
        }
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        assertTrue(maxUpstreamInFlight <= BOUND, "upstream in flight " + maxUpstreamInFlight);
        for (CompletableFuture<ByteBuf> f : futures) {
            CompletionException e = org.junit.jupiter.api.Assertions.assertThrows(CompletionException.class, f::join);
            assertInstanceOf(UpstreamException.class, e.getCause());
        }
        // Bounded by the deadline, not by the queue: a correctness bound with slack for a loaded machine.
        assertTrue(tookMillis < DEADLINE.toMillis() + 4_000, "all answered within the deadline: " + tookMillis);
        assertEquals(BOUND, forwarder.stats().failedForwards(), "the accepted ones failed at the deadline");
        assertEquals(0, forwarder.stats().inFlight());
        assertEquals(0, forwarder.stats().upstreams().get(0).inFlight());
    }

    @Test
    void aSilentUpstreamOverTcpHoldsAtMostTheBound() throws Exception {
        upstream.dropAll(true);
        try (Forwarder forwarder = forwarder(TransportMode.FORCE_TCP)) {
            overload(forwarder);
            assertEquals(BOUND, upstream.tcpQueries(), "only the forwards within the bound reached the upstream");
        }
    }

    @Test
    void aSlowUpstreamOverUdpHoldsAtMostTheBound() throws Exception {
        upstream.delay(Duration.ofSeconds(2));
        try (Forwarder forwarder = forwarder(TransportMode.PREFER_UDP)) {
            overload(forwarder);
            UpstreamTesting.waitUntil("the upstream to see the queries", () -> upstream.udpQueries() >= BOUND);
            assertEquals(BOUND, upstream.udpQueries());
        }
    }

    @Test
    void maxConcurrentBelowTheBoundStillRefusesAsCoreDnsDoes() throws Exception {
        assertEquals(10_000, PoolTuning.DEFAULTS.maxForwardsInFlight());
        upstream.dropAll(true);
        try (Forwarder forwarder = new Forwarder(settings(TransportMode.FORCE_TCP, upstream)
                .withTimeouts(DEADLINE, DEADLINE).withMaxConcurrent(5), transport, System::nanoTime,
                PoolTuning.DEFAULTS.withMaxForwardsInFlight(BOUND))) {
            List<CompletableFuture<ByteBuf>> futures = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                futures.add(forward(forwarder, "m" + i + ".example.", i, false));
            }
            assertEquals(15, forwarder.stats().concurrencyRejects());
            assertEquals(0, forwarder.stats().overloadRejects());
            for (int i = 5; i < 20; i++) {
                CompletionException e = org.junit.jupiter.api.Assertions.assertThrows(CompletionException.class,
                        futures.get(i)::join);
                assertInstanceOf(ConcurrencyLimitException.class, e.getCause());
            }
            for (int i = 0; i < 5; i++) {
                org.junit.jupiter.api.Assertions.assertThrows(CompletionException.class, futures.get(i)::join);
            }
        }
    }
}
