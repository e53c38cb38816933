package io.nodedns.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nodedns.config.CorefileParser;
import io.nodedns.metrics.Scrape;
import io.nodedns.transport.NettyTransport;
import io.nodedns.upstream.FakeUpstream;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/** {@code /health} and {@code /ready} of a running daemon, through start, lameduck and stop. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HealthAndReadyTest {
    private FakeUpstream upstream;
    private NettyTransport transport;
    private Daemon daemon;

    @AfterEach
    void stop() throws Exception {
        if (daemon != null) {
            daemon.stop();
        }
        if (transport != null) {
            transport.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    private void start(String extra) throws Exception {
        upstream = FakeUpstream.start("127.0.0.11");
        String to = upstream.address().getAddress().getHostAddress() + ":" + upstream.address().getPort();
        transport = NettyTransport.create(1, true);
        daemon = Daemon.start(CorefileParser.parse("test", "example.:0 {\n  bind 127.0.0.1\n  forward . " + to
                + "\n" + extra + "}\n", 53), transport);
    }

    private Message ask(InetSocketAddress dns) throws Exception {
        SimpleResolver r = new SimpleResolver(dns);
        r.setTimeout(Duration.ofSeconds(3));
        return r.send(Message.newQuery(Record.newRecord(Name.fromString("a.example."), Type.A, DClass.IN)));
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
        assertEquals(Rcode.NOERROR, ask(dns).getRcode(), "DNS is answered through lameduck");

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
