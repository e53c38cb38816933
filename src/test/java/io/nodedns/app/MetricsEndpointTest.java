package io.nodedns.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nodedns.config.CorefileParser;
import io.nodedns.metrics.Scrape;
import io.nodedns.upstream.FakeUpstream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
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

/**
 * The {@code /metrics} endpoint of a daemon built from a Corefile with {@code prometheus}, scraped
 * after known traffic from dnsjava: the CoreDNS series count exactly what was asked.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MetricsEndpointTest {
    private final DaemonFixture fixture = new DaemonFixture(2);
    private FakeUpstream upstream;
    private Daemon daemon;
    private InetSocketAddress dns;
    private InetSocketAddress metrics;
    private String server;

    private void start(String extra) throws Exception {
        upstream = fixture.upstream("127.0.0.11");
        daemon = fixture.start("example.:0 {\n  bind 127.0.0.1\n  cache\n  forward . " + DaemonFixture.hostPort(upstream)
                + " { force_tcp }\n  prometheus 127.0.0.1:0\n" + extra + "}\n");
        dns = daemon.listeners().get(0);
        metrics = daemon.metricsAddresses().get(0);
        server = "dns://127.0.0.1:" + dns.getPort();
    }

    @AfterEach
    void stop() throws Exception {
        if (daemon != null) {
            daemon.stop(); // a daemon a test started without the fixture
        }
        fixture.close();
    }

    private Message ask(String name, int type, boolean tcp) throws Exception {
        SimpleResolver r = new SimpleResolver(dns);
        r.setTCP(tcp);
        r.setTimeout(Duration.ofSeconds(8));
        return r.send(Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN)));
    }

    /**
     * Scrapes until {@code coredns_dns_responses_total} adds up to {@code answered}: a response is
     * counted just after it is handed to the socket, so the client may read it a moment earlier.
     */
    private Scrape scrapeAfter(int answered) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            Scrape s = Scrape.of(metrics);
            double total = s.find("coredns_dns_responses_total").stream().mapToDouble(Scrape.Sample::value).sum();
            if (total >= answered || System.nanoTime() > deadline) {
                return s;
            }
            Thread.sleep(20);
        }
    }

    @Test
    void countsKnownTrafficExactlyUnderCoreDnsNames() throws Exception {
        start("");
        for (int i = 0; i < 3; i++) {
            assertEquals(Rcode.NOERROR, ask("a.example.", Type.A, false).getRcode());
        }
        assertEquals(Rcode.NOERROR, ask("a.example.", Type.A, true).getRcode());
        assertEquals(Rcode.NOERROR, ask("b.example.", Type.MX, false).getRcode());
        assertEquals(Rcode.NOERROR, ask("c.example.", Type.NAPTR, false).getRcode());
        assertEquals(Rcode.REFUSED, ask("x.outside.", Type.A, false).getRcode());

        System.gc(); // Micrometer holds function meters' objects weakly: they must survive a collection.
        Scrape s = scrapeAfter(7);
        String[] zone = {"server", server, "zone", "example.", "view", ""};
        assertEquals(3, s.value("coredns_dns_requests_total", with(zone, "proto", "udp", "family", "1", "type", "A")));
        assertEquals(1, s.value("coredns_dns_requests_total", with(zone, "proto", "tcp", "family", "1", "type", "A")));
        assertEquals(1, s.value("coredns_dns_requests_total", with(zone, "proto", "udp", "family", "1", "type", "MX")));
        assertEquals(1, s.value("coredns_dns_requests_total",
                with(zone, "proto", "udp", "family", "1", "type", "other")), "NAPTR is not a CoreDNS type label");
        assertEquals(1, s.value("coredns_dns_requests_total",
                "server", server, "zone", "dropped", "proto", "udp", "family", "1", "type", "A"));
        assertEquals(List.of(), s.find("coredns_dns_requests_total", with(zone, "family", "2")),
                "label sets never seen are not exported, as in CoreDNS");

        assertEquals(3, s.value("coredns_dns_responses_total", with(zone, "rcode", "NOERROR", "plugin", "cache")));
        assertEquals(3, s.value("coredns_dns_responses_total", with(zone, "rcode", "NOERROR", "plugin", "forward")));
        assertEquals(1, s.value("coredns_dns_responses_total",
                "server", server, "zone", "dropped", "rcode", "REFUSED", "plugin", ""));

        assertEquals(4, s.value("coredns_dns_request_duration_seconds_count", with(zone, "type", "A")));
        assertEquals(4, s.value("coredns_dns_request_duration_seconds_bucket", with(zone, "type", "A", "le", "+Inf")));
        assertEquals(17, s.find("coredns_dns_request_duration_seconds_bucket", with(zone, "type", "A")).size(),
                "CoreDNS's 16 buckets (0.25 ms to 8.192 s) and +Inf");
        assertEquals(1, s.find("coredns_dns_request_duration_seconds_bucket", with(zone, "type", "A", "le", "2.5E-4"))
                .size());
        assertEquals(1, s.find("coredns_dns_request_duration_seconds_bucket", with(zone, "type", "A", "le", "8.192"))
                .size());

        String[] cache = {"server", server, "zones", "example.", "view", ""};
        assertEquals(3, s.value("coredns_cache_hits_total", with(cache, "type", "success")));
        assertEquals(0, s.value("coredns_cache_hits_total", with(cache, "type", "denial")));
        assertEquals(3, s.value("coredns_cache_misses_total", cache));
        assertEquals(6, s.value("coredns_cache_requests_total", cache));
        assertEquals(1, s.value("coredns_cache_entries", with(cache, "type", "success")));
        assertEquals(0, s.value("coredns_cache_evictions_total", with(cache, "type", "success")));

        String to = DaemonFixture.hostPort(upstream);
        assertEquals(0, s.value("coredns_proxy_healthcheck_failures_total", "proxy_name", "forward", "to", to));
        assertEquals(0, s.value("coredns_forward_max_concurrent_rejects_total"));
        assertEquals(3, s.value("coredns_proxy_request_duration_seconds_count",
                "proxy_name", "forward", "to", to, "rcode", "NOERROR"), "one exchange per miss");
        assertEquals(17, s.find("coredns_proxy_request_duration_seconds_bucket", "to", to).size());
        assertEquals(3, s.value("nodedns_upstream_attempts_total", "to", to));
        assertEquals(0, s.value("nodedns_upstream_queries_in_flight", "to", to));
        double opened = s.value("nodedns_upstream_connections_opened_total", "to", to);
        assertTrue(opened >= 1, "the force_tcp forwards opened a connection");
        assertEquals(opened - s.value("nodedns_upstream_connections_closed_total", "to", to),
                s.value("nodedns_upstream_connections_open", "to", to));
        String[] tcp = {"proxy_name", "forward", "to", to, "proto", "tcp"};
        String[] udp = {"proxy_name", "forward", "to", to, "proto", "udp"};
        assertEquals(3, s.value("coredns_proxy_conn_cache_hits_total", tcp)
                + s.value("coredns_proxy_conn_cache_misses_total", tcp),
                "every exchange found a pooled connection or opened one");
        assertEquals(opened, s.value("coredns_proxy_conn_cache_misses_total", tcp),
                "each connection was opened by the query that needed it");
        assertEquals(0, s.value("coredns_proxy_conn_cache_hits_total", udp));
        assertEquals(0, s.value("coredns_proxy_conn_cache_misses_total", udp));
        assertEquals(0, s.value("nodedns_coalesced_queries_total"));
        assertEquals(0, s.value("nodedns_query_parse_errors_total", "kind", "formerr"));
        assertEquals(1, s.value("coredns_build_info", "version", Main.version()));
        assertFalse(s.find("jvm_memory_used_bytes").isEmpty(), "JVM binders registered");
        assertFalse(s.find("process_cpu_usage").isEmpty(), "process binders registered");
    }

    @Test
    void parseErrorsAreCountedByKind() throws Exception {
        start("");
        Message notify = Message.newQuery(Record.newRecord(Name.fromString("a.example."), Type.SOA, DClass.IN));
        notify.getHeader().setOpcode(org.xbill.DNS.Opcode.NOTIFY);
        SimpleResolver r = new SimpleResolver(dns);
        r.setTimeout(Duration.ofSeconds(8));
        assertEquals(Rcode.NOTIMP, r.send(notify).getRcode());
        Scrape s = Scrape.of(metrics);
        assertEquals(1, s.value("nodedns_query_parse_errors_total", "kind", "notimp"));
        assertEquals(0, s.value("nodedns_query_parse_errors_total", "kind", "badvers"));
    }

    @Test
    void servesPrometheusTextUnlessOpenMetricsIsAccepted() throws Exception {
        start("");
        ask("a.example.", Type.A, false);
        scrapeAfter(1);
        HttpResponse<String> plain = Scrape.get(metrics, "/metrics", null);
        assertEquals(200, plain.statusCode());
        assertEquals("text/plain; version=0.0.4; charset=utf-8", plain.headers().firstValue("Content-Type").get());
        assertTrue(plain.body().contains("# TYPE coredns_dns_requests_total counter"), plain.body());
        assertFalse(plain.body().contains("# EOF"));

        // What Prometheus 2.x sends.
        HttpResponse<String> open = Scrape.get(metrics, "/metrics", "application/openmetrics-text;version=1.0.0,"
                + "application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1");
        assertEquals(200, open.statusCode());
        assertEquals("application/openmetrics-text; version=1.0.0; charset=utf-8",
                open.headers().firstValue("Content-Type").get());
        assertTrue(open.body().endsWith("# EOF\n"), "OpenMetrics ends with # EOF");
        assertTrue(open.body().contains("# TYPE coredns_dns_requests counter"), "OpenMetrics names the family");

        assertEquals(404, Scrape.get(metrics, "/other", null).statusCode());
    }

    @Test
    void labelsStayBoundedWhateverTheNamesAsked() throws Exception {
        start("");
        // One query per type and transport used below: a series appears the first time its labels are seen.
        ask("first.example.", Type.A, false);
        ask("first.example.", Type.TXT, false);
        ask("first.example.", Type.A, true);
        ask("first.example.", Type.TXT, true);
        Set<String> before = seriesOf(scrapeAfter(4));
        for (int i = 0; i < 100; i++) {
            ask("svc-" + i + ".example.", i % 2 == 0 ? Type.A : Type.TXT, i % 3 == 0);
        }
        Scrape after = scrapeAfter(104);
        assertEquals(before, seriesOf(after), "no new coredns_/nodedns_ series for new names or clients");
        assertFalse(after.body().contains("svc-"), "no query name in any label");
    }

    /** The label sets of the DNS series (JVM series come and go with the collector's pools). */
    private static Set<String> seriesOf(Scrape s) {
        return s.samples().stream()
                .filter(x -> x.name().startsWith("coredns_") || x.name().startsWith("nodedns_"))
                .map(x -> x.name() + x.labels())
                .collect(Collectors.toSet());
    }

    @Test
    void servesNodeCacheSetupErrorsAtZeroOnTheMetricsListenAddress() throws Exception {
        io.nodedns.metrics.SetupErrors setupErrors = new io.nodedns.metrics.SetupErrors();
        daemon = Daemon.start(CorefileParser.parse("test", "example.:0 {\n  bind 127.0.0.1\n}\n", 53),
                fixture.transport(), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), setupErrors,
                message -> { });
        assertEquals(List.of(), daemon.metricsAddresses(), "no prometheus directive, no /metrics");
        Scrape s = Scrape.of(daemon.setupMetricsAddresses().get(0));
        for (String type : List.of("iptables", "iptables_lock", "interface_add", "interface_check", "configmap")) {
            assertEquals(0, s.value("coredns_nodecache_setup_errors_total", "errortype", type), type);
        }
        setupErrors.count(io.nodedns.metrics.SetupErrors.Type.CONFIGMAP);
        assertEquals(1, Scrape.of(daemon.setupMetricsAddresses().get(0))
                .value("coredns_nodecache_setup_errors_total", "errortype", "configmap"));
    }

    @Test
    void aTakenMetricsAddressFailsTheStartAndFreesTheDnsListener() throws Exception {
        int dnsPort = DaemonFixture.freeDnsPort();
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            String corefile = "example.:" + dnsPort + " {\n  bind 127.0.0.1\n  prometheus 127.0.0.1:"
                    + taken.getLocalPort() + "\n}\n";
            java.io.IOException e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                    () -> fixture.start(corefile));
            assertTrue(e.getMessage().contains("cannot serve metrics on")
                    && e.getMessage().contains(":" + taken.getLocalPort()), e.getMessage());
        }
        // The DNS port bound before the failure was released: the same Corefile port binds again.
        daemon = fixture.start("example.:" + dnsPort + " {\n  bind 127.0.0.1\n  prometheus 127.0.0.1:0\n}\n");
        assertEquals(dnsPort, daemon.listeners().get(0).getPort());
        assertEquals(200, Scrape.get(daemon.metricsAddresses().get(0), "/metrics", null).statusCode());
    }

    @Test
    void seriesOfAKeptBlockGoOnCountingAcrossAReloadAndNewBlocksGetTheirOwn() throws Exception {
        start("");
        assertEquals(Rcode.NOERROR, ask("a.example.", Type.A, false).getRcode());
        assertEquals(Rcode.NOERROR, ask("a.example.", Type.A, false).getRcode());
        String to = DaemonFixture.hostPort(upstream);
        String example = "example.:0 {\n  bind 127.0.0.1\n  cache\n  forward . " + to + " { force_tcp }\n"
                + "  prometheus 127.0.0.1:0\n}\n";

        daemon.reconfigure(CorefileParser.parse("test", example + "other.:0 {\n  bind 127.0.0.1\n  cache 10\n"
                + "  forward . " + to + "\n  prometheus 127.0.0.1:0\n}\n", 53));
        daemon.reloads().version("f00d");
        assertEquals(metrics, daemon.metricsAddresses().get(0), "the same prometheus address keeps its server");
        assertEquals(Rcode.NOERROR, ask("a.example.", Type.A, false).getRcode());
        assertEquals(Rcode.NOERROR, ask("b.other.", Type.A, false).getRcode());

        System.gc();
        Scrape s = scrapeAfter(4);
        String[] zone = {"server", server, "zone", "example.", "view", ""};
        assertEquals(3, s.value("coredns_dns_requests_total", with(zone, "proto", "udp", "family", "1", "type", "A")),
                "two before the reload, one after, in one series");
        assertEquals(2, s.value("coredns_cache_hits_total", "server", server, "zones", "example.", "view", "",
                "type", "success"));
        assertEquals(1, s.value("coredns_cache_entries", "server", server, "zones", "other.", "view", "",
                "type", "success"));
        assertEquals(1, s.value("coredns_reload_version_info", "hash", "sha512", "value", "f00d"));
        assertEquals(1, s.find("coredns_proxy_request_duration_seconds_count").stream()
                .map(x -> x.labels().get("to")).distinct().count(), "one upstream, one series, no duplicates");

        daemon.reconfigure(CorefileParser.parse("test", "example.:0 {\n  bind 127.0.0.1\n}\n", 53));
        assertEquals(List.of(), daemon.metricsAddresses(), "no prometheus directive left: no endpoint");
    }

    private static String[] with(String[] base, String... more) {
        String[] out = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, out, base.length, more.length);
        return out;
    }
}
