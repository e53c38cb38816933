package io.nodedns.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code /health} and {@code /ready} over HTTP, with CoreDNS's statuses and bodies. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HealthAndReadyEndpointsTest {
    private static final InetSocketAddress HEALTH = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private static final InetSocketAddress READY = new InetSocketAddress("127.0.0.2", 0);

    private final HealthState state = new HealthState();
    private HttpEndpointServer server;
    private InetSocketAddress health;
    private InetSocketAddress ready;

    @BeforeEach
    void start() throws Exception {
        server = HttpEndpointServer.builder("health")
                .serve(HEALTH, "/health", new HealthEndpoint(state))
                .serve(READY, "/ready", new ReadyEndpoint(state))
                .start();
        health = server.boundAddressesServing("/health").get(0);
        ready = server.boundAddressesServing("/ready").get(0);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private static void assertAnswer(int status, String body, HttpResponse<String> response) {
        assertEquals(status, response.statusCode());
        assertEquals(body, response.body());
        assertEquals("text/plain; charset=utf-8", response.headers().firstValue("Content-Type").orElseThrow());
    }

    @Test
    void healthTurnsUnhealthyWhenAStopBeginsWhileTheProcessStillAnswers() throws Exception {
        assertAnswer(200, "OK", Scrape.get(health, "/health", null));

        state.markStopping();

        assertAnswer(503, "Shutting down", Scrape.get(health, "/health", null));
        assertEquals(404, Scrape.get(health, "/ready", null).statusCode(), "/ready is on its own address");
        assertEquals(404, Scrape.get(health, "/healthz", null).statusCode());
    }

    @Test
    void readyWithoutConditionsIsReady() throws Exception {
        assertTrue(state.isReady());
        assertAnswer(200, "OK", Scrape.get(ready, "/ready", null));
    }

    @Test
    void readyListsWhatIsNotReadySortedUntilEverythingIs() throws Exception {
        state.notReady("listener udp://169.254.20.10:53");
        state.notReady("upstream");
        state.notReady("iptables");
        state.notReady("conntrack");
        state.ready("interface");

        assertFalse(state.isReady());
        assertEquals(List.of("conntrack", "iptables", "listener udp://169.254.20.10:53", "upstream"),
                state.notReadyConditions());
        assertAnswer(503, "conntrack,iptables,listener udp://169.254.20.10:53,upstream",
                Scrape.get(ready, "/ready", null));

        state.ready("iptables");
        state.ready("upstream");
        state.ready("conntrack");
        assertAnswer(503, "listener udp://169.254.20.10:53", Scrape.get(ready, "/ready", null));

        state.ready("listener udp://169.254.20.10:53");
        assertTrue(state.isReady());
        assertAnswer(200, "OK", Scrape.get(ready, "/ready", null));

        state.notReady("iptables");
        assertAnswer(503, "iptables", Scrape.get(ready, "/ready", null));
        assertEquals(404, Scrape.get(ready, "/health", null).statusCode());
    }

    @Test
    void readyAnswersShuttingDownOnceAStopBegins() throws Exception {
        state.ready("listener");
        assertAnswer(200, "OK", Scrape.get(ready, "/ready", null));

        state.markStopping();

        assertTrue(state.isStopping());
        assertFalse(state.isReady());
        assertAnswer(503, "Shutting down", Scrape.get(ready, "/ready", null));
        state.ready("listener");
        assertAnswer(503, "Shutting down", Scrape.get(ready, "/ready", null), "no way back from a stop");
    }

    private static void assertAnswer(int status, String body, HttpResponse<String> response, String message) {
        assertEquals(status, response.statusCode(), message);
        assertEquals(body, response.body(), message);
    }

    @Test
    void oneListenerServesMetricsHealthAndReadyWhenTheirAddressesCoincide() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.counter("nodedns_test_things").increment(3);
        InetSocketAddress shared = new InetSocketAddress("127.0.0.3", 0);
        try (HttpEndpointServer all = HttpEndpointServer.builder("metrics and health")
                .serve(shared, "/metrics", new MetricsEndpoint(registry))
                .serve(shared, "/health", new HealthEndpoint(state))
                .serve(shared, "/ready", new ReadyEndpoint(state))
                .start()) {
            assertEquals(1, all.boundAddresses().size());
            InetSocketAddress at = all.boundAddresses().get(0);
            assertEquals(3, Scrape.of(at).value("nodedns_test_things_total"));
            assertAnswer(200, "OK", Scrape.get(at, "/health", null));
            assertAnswer(200, "OK", Scrape.get(at, "/ready", null));
        } finally {
            registry.close();
        }
    }
}
