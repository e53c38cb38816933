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

    @AfterEach
    void stop() throws Exception {
        fixture.close();
    }

    private void start(String extra) throws Exception {
        String to = DaemonFixture.hostPort(fixture.upstream("127.0.0.11"));
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
    void withoutHealthOrReadyNothingIsServed() throws Exception {
        start("");
        assertEquals(java.util.List.of(), daemon.endpointAddresses("/health"));
        assertEquals(java.util.List.of(), daemon.endpointAddresses("/ready"));
    }
}
