package io.nodedns.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * CoreDNS's once-a-second self check of {@code /health} and its two series, driven by hand: a
 * clock that returns scripted instants and a repeater that runs the task when the test says.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HealthSelfCheckTest {
    private static final InetSocketAddress LOOPBACK_ANY_PORT =
            new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    private PrometheusMeterRegistry registry;
    private HttpEndpointServer server;
    private InetSocketAddress health;

    /** Instants in nanoseconds, handed out in order; running out fails the test. */
    private static final class ScriptedClock implements LongSupplier {
        private final Deque<Long> instants = new ArrayDeque<>();

        /** Adds a check that takes {@code micros}: a start and an end instant. */
        ScriptedClock check(long micros) {
            long start = instants.isEmpty() ? 1_000_000_000L : instants.peekLast() + 7_000L;
            instants.add(start);
            instants.add(start + micros * 1_000L);
            return this;
        }

        @Override
        public long getAsLong() {
            Long next = instants.poll();
            if (next == null) {
                throw new AssertionError("the clock was read more often than scripted");
            }
            return next;
        }

        boolean used() {
            return instants.isEmpty();
        }
    }

    /** Records what was scheduled; {@link #tick} runs it. */
    private static final class ManualRepeater implements Repeater {
        final List<Duration> periods = new ArrayList<>();
        final List<Runnable> tasks = new ArrayList<>();
        boolean cancelled;

        @Override
        public AutoCloseable every(Duration period, Runnable task) {
            periods.add(period);
            tasks.add(task);
            return () -> cancelled = true;
        }

        void tick() {
            tasks.forEach(Runnable::run);
        }
    }

    @BeforeEach
    void start() throws Exception {
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        server = HttpEndpointServer.builder("health").serve(LOOPBACK_ANY_PORT, "/health", new HealthEndpoint(new HealthState())).start();
        health = server.boundAddress(LOOPBACK_ANY_PORT);
    }

    @AfterEach
    void stop() {
        server.close();
        registry.close();
    }

    private Scrape scrape() throws Exception {
        try (HttpEndpointServer metrics = HttpEndpointServer.builder("metrics")
                .serve(LOOPBACK_ANY_PORT, "/metrics", new MetricsEndpoint(registry)).start()) {
            return Scrape.of(metrics.boundAddress(LOOPBACK_ANY_PORT));
        }
    }

    @Test
    void everyCheckLandsInCoreDnsSlimBuckets() throws Exception {
        // 0.1 ms, 1 ms, 2 ms, 30 ms, 0.3 s, 3 s: one in each bucket and one above the last.
        ScriptedClock clock = new ScriptedClock().check(100).check(1_000).check(2_000).check(30_000)
                .check(300_000).check(3_000_000);
        HealthSelfCheck check = new HealthSelfCheck(List.of(health), new SocketHealthProbe(SocketHealthProbe.TIMEOUT),
                clock);
        check.bindTo(registry);
        ManualRepeater repeater = new ManualRepeater();
        check.start(repeater);
        assertEquals(List.of(Duration.ofSeconds(1)), repeater.periods, "CoreDNS checks once a second");

        for (int i = 0; i < 6; i++) {
            repeater.tick();
        }

        assertTrue(clock.used());
        Scrape s = scrape();
        String name = "coredns_health_request_duration_seconds";
        assertEquals(1, s.value(name + "_bucket", "le", "2.5E-4"));
        assertEquals(3, s.value(name + "_bucket", "le", "0.0025"));
        assertEquals(3, s.value(name + "_bucket", "le", "0.025"));
        assertEquals(4, s.value(name + "_bucket", "le", "0.25"));
        assertEquals(5, s.value(name + "_bucket", "le", "2.5"));
        assertEquals(6, s.value(name + "_bucket", "le", "+Inf"));
        assertEquals(6, s.find(name + "_bucket").size(), "five CoreDNS buckets and +Inf, nothing else");
        assertEquals(6, s.value(name + "_count"));
        assertEquals(3.3331, s.value(name + "_sum"), 1e-9);
        assertEquals(0, s.value("coredns_health_request_failures_total"));
        for (Scrape.Sample bucket : s.find(name + "_bucket")) {
            assertEquals(Set.of("le"), bucket.labels().keySet(), "no labels but le");
        }

        check.close();
        assertTrue(repeater.cancelled);
        assertTrue(scrape().find(name + "_count").isEmpty(), "closing removes the series");
    }

    @Test
    void aCheckWithoutAnHttpResponseIsAFailureAndStillTimed() throws Exception {
        int closedPort;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = probe.getLocalPort();
        }
        InetSocketAddress nothing = new InetSocketAddress(InetAddress.getLoopbackAddress(), closedPort);
        ScriptedClock clock = new ScriptedClock().check(500).check(800);
        HealthSelfCheck check = new HealthSelfCheck(List.of(nothing, health),
                new SocketHealthProbe(Duration.ofSeconds(2)), clock);
        check.bindTo(registry);

        check.checkOnce();
        clock.check(200).check(100);
        check.checkOnce();
        assertTrue(clock.used());

        Scrape s = scrape();
        assertEquals(2, s.value("coredns_health_request_failures_total"), "refused twice; the live address never");
        assertEquals(4, s.value("coredns_health_request_duration_seconds_count"), "failures are timed too");
        check.close();
    }

    @Test
    void aProbeThatThrowsAnythingCountsAsAFailureAndTheScheduleGoesOn() throws Exception {
        ScriptedClock clock = new ScriptedClock().check(10).check(10);
        HealthSelfCheck check = new HealthSelfCheck(List.of(health), target -> {
            throw new IllegalStateException("expected by the test");
        }, clock);
        check.bindTo(registry);

        check.checkOnce();
        check.checkOnce();

        assertEquals(2, scrape().value("coredns_health_request_failures_total"));
        check.close();
    }

    @Test
    void seriesAreOnlyExportedWhenBound() throws Exception {
        HealthSelfCheck check = new HealthSelfCheck(List.of(health), target -> { }, new ScriptedClock().check(1));
        check.checkOnce();

        assertTrue(scrape().find("coredns_health_request_failures_total").isEmpty());
        check.bindTo(registry);
        assertEquals(1, scrape().value("coredns_health_request_duration_seconds_count"), "counted before binding");
        assertThrows(IllegalStateException.class, () -> check.bindTo(registry));
        check.close();
    }

    @Test
    void aWildcardAddressIsCheckedThroughLoopbackAsGoDialsIt() throws Exception {
        assertEquals(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 8080),
                HealthSelfCheck.target(new InetSocketAddress(8080)));
        assertEquals(new InetSocketAddress(InetAddress.getByName("::1"), 8080),
                HealthSelfCheck.target(new InetSocketAddress(InetAddress.getByName("::"), 8080)));
        InetSocketAddress specific = new InetSocketAddress(InetAddress.getByName("169.254.20.10"), 8080);
        assertEquals(specific, HealthSelfCheck.target(specific));

        List<InetSocketAddress> asked = new ArrayList<>();
        HealthSelfCheck check = new HealthSelfCheck(List.of(new InetSocketAddress(8080)), asked::add,
                new ScriptedClock().check(1));
        check.checkOnce();
        assertEquals(List.of(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 8080)), asked);
    }

    @Test
    void theSocketProbeReadsAStatusLineAndRefusesWhatIsNotHttp() throws Exception {
        new SocketHealthProbe(SocketHealthProbe.TIMEOUT).get(health);

        try (ServerSocket notHttp = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread answer = new Thread(() -> {
                try (var s = notHttp.accept()) {
                    s.getOutputStream().write("SSH-2.0-OpenSSH\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                } catch (IOException ignored) {
                    // The assertion below reports what matters.
                }
            });
            answer.start();
            IOException e = assertThrows(IOException.class, () -> new SocketHealthProbe(Duration.ofSeconds(5)).get(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), notHttp.getLocalPort())));
            assertEquals("not an HTTP response: SSH-2.0-OpenSSH", e.getMessage());
            answer.join(5000);
            assertFalse(answer.isAlive());
        }
    }
}
