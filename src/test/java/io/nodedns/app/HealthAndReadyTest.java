package io.nodedns.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nodedns.metrics.Scrape;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/** {@code /health} and {@code /ready} of a running daemon, through start, lameduck and stop. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HealthAndReadyTest {
    private final DaemonFixture fixture = new DaemonFixture(1);
    private Daemon daemon;
    /** The forward target of the daemon {@link #start} starts. */
    private String to;

    @AfterEach
    void stop() throws Exception {
        fixture.close();
    }

    private void start(String extra) throws Exception {
        to = DaemonFixture.hostPort(fixture.upstream("127.0.0.11"));
        daemon = fixture.start("example.:0 {\n  bind 127.0.0.1\n  forward . " + to + "\n" + extra + "}\n");
    }

    private static void assertAnswer(int status, String body, HttpResponse<String> response) {
        assertEquals(status, response.statusCode());
        assertEquals(body, response.body());
    }

    @Test
    void readyOnceListeningThenUnhealthyThroughLameduckWhileDnsIsStillAnswered() throws Exception {
        start("  health 127.0.0.1:0 {\n    lameduck 1500ms\n  }\n  ready 127.0.0.2:0\n");
        InetSocketAddress health = daemon.endpointAddresses("/health").get(0);
        InetSocketAddress ready = daemon.endpointAddresses("/ready").get(0);
        InetSocketAddress dns = daemon.listeners().get(0);
        assertAnswer(200, "OK", Scrape.get(health, "/health", null));
        assertAnswer(200, "OK", Scrape.get(ready, "/ready", null));

        long t0 = System.nanoTime();
        CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> daemon.close());
        while (!daemon.health().isStopping()) {
            Thread.sleep(5);
        }
        assertAnswer(503, "Shutting down", Scrape.get(health, "/health", null));
        assertAnswer(503, "Shutting down", Scrape.get(ready, "/ready", null));
        assertEquals(Rcode.NOERROR, DaemonFixture.ask(dns, "a.example.", Type.A).getRcode(),
                "DNS is answered through lameduck");

        stopping.get(20, TimeUnit.SECONDS);
        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(1500), "the stop waited the lameduck");
        assertThrows(java.io.IOException.class, () -> Scrape.get(health, "/health", null), "closed after the stop");
    }

    @Test
    void theHealthSelfCheckFeedsCoreDnsHealthSeries() throws Exception {
        start("  health 127.0.0.1:0\n  prometheus 127.0.0.1:0\n");
        InetSocketAddress metrics = daemon.metricsAddresses().get(0);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        double checks = 0;
        while (checks < 2 && System.nanoTime() < deadline) {
            Thread.sleep(200);
            checks = Scrape.of(metrics).value("coredns_health_request_duration_seconds_count");
        }
        assertTrue(checks >= 2, "the self check polls /health every second: " + checks);
        assertEquals(0, Scrape.of(metrics).value("coredns_health_request_failures_total"));
    }

    @Test
    void aReloadMovingHealthToATakenPortKeepsTheOldHealthEndpoint() throws Exception {
        start("  health 127.0.0.1:0\n");
        InetSocketAddress health = daemon.endpointAddresses("/health").get(0);
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            daemon.reconfigure(io.nodedns.config.CorefileParser.parse("test", "example.:0 {\n  bind 127.0.0.1\n"
                    + "  cache\n  forward . " + to + "\n  health 127.0.0.1:" + taken.getLocalPort() + "\n}\n", 53));
        }
        assertTrue(daemon.corefile().blocks().get(0).cache().isPresent(), "DNS took the new configuration");
        assertAnswer(200, "OK", Scrape.get(daemon.endpointAddresses("/health").get(0), "/health", null));
        assertEquals(health.getAddress(), daemon.endpointAddresses("/health").get(0).getAddress());
    }

    @Test
    void aStopSoonAfterAReloadThatRetiredAForwarderFinishes() throws Exception {
        start("  health 127.0.0.1:0 {\n    lameduck 6s\n  }\n");
        String other = DaemonFixture.hostPort(fixture.upstream("127.0.0.12"));
        daemon.reconfigure(io.nodedns.config.CorefileParser.parse("test", "example.:0 {\n  bind 127.0.0.1\n"
                + "  forward . " + other + "\n  health 127.0.0.1:0 {\n    lameduck 6s\n  }\n}\n", 53));
        InetSocketAddress dns = daemon.listeners().get(0);
        long t0 = System.nanoTime();
        CompletableFuture<Void> stopping = CompletableFuture.runAsync(() -> daemon.close());
        // The retired forwarder closes 5 s after the reload, inside the 6 s lameduck; queries on
        // every event loop must still be answered then, and the stop must finish.
        Thread.sleep(5500);
        for (int i = 0; i < 4; i++) {
            assertEquals(Rcode.NOERROR, DaemonFixture.ask(dns, "q" + i + ".example.", Type.A).getRcode());
        }
        stopping.get(20, TimeUnit.SECONDS);
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(15), "the stop did not hang");
    }

    @Test
    void withoutHealthOrReadyNothingIsServed() throws Exception {
        start("");
        assertEquals(java.util.List.of(), daemon.endpointAddresses("/health"));
        assertEquals(java.util.List.of(), daemon.endpointAddresses("/ready"));
    }
}
