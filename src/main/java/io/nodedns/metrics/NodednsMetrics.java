package io.nodedns.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.nodedns.server.DnsServer;
import io.prometheus.metrics.core.metrics.Info;
import io.nodedns.server.QueryCounters;
import io.nodedns.upstream.Forwarder;
import io.nodedns.upstream.UpstreamStats;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * The series only nodedns has ({@code nodedns_*}), {@code coredns_build_info}, and the JVM and
 * process series of Micrometer's binders (memory, GC pauses, threads, CPU, file descriptors).
 * Like {@link CoreDnsMetrics}, everything reads existing counters at scrape time.
 */
public final class NodednsMetrics implements AutoCloseable {
    private final JvmGcMetrics gc = new JvmGcMetrics();
    /** What the meters read: Micrometer holds them weakly, this instance (kept by the daemon) strongly. */
    private final List<Object> referents = new ArrayList<>();

    /**
     * A registry for everything here. Two of Micrometer's processor series break Prometheus's
     * naming rules, so {@code promtool check metrics} rejects them: {@code process_cpu_time_ns_total}
     * (abbreviated unit; {@code process_cpu_usage} says the same) is left out and
     * {@code system_cpu_count} (a {@code _count} suffix outside a histogram) is renamed
     * {@code system_cpus}.
     */
    public static PrometheusMeterRegistry newRegistry() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config()
                .meterFilter(MeterFilter.denyNameStartsWith("process.cpu.time"))
                .meterFilter(new MeterFilter() {
                    @Override
                    public Meter.Id map(Meter.Id id) {
                        return id.getName().equals("system.cpu.count") ? id.withName("system.cpus") : id;
                    }
                });
        return registry;
    }

    /**
     * Registers everything on {@code registry}.
     *
     * @param version the nodedns version, for {@code coredns_build_info{version}}
     */
    public NodednsMetrics(PrometheusMeterRegistry registry, String version, QueryCounters counters,
                          DnsServer server, List<Forwarder> forwarders) {
        // CoreDNS: a constant 1 labelled by version, revision and goversion; ours names the JVM there.
        // A Prometheus Info metric, because Micrometer would strip the _info suffix from a gauge's name.
        Info.builder().name("coredns_build")
                .help("A metric with a constant '1' value labeled by version, revision, and goversion from which "
                        + "CoreDNS was built.")
                .labelNames("version", "revision", "goversion")
                .register(registry.getPrometheusRegistry())
                .addLabelValues(version, "", "java" + Runtime.version());
        bindQueries(registry, counters, server);
        bindUpstreams(registry, forwarders);
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
    }

    private void bindQueries(MeterRegistry registry, QueryCounters c, DnsServer server) {
        count(registry, "nodedns_coalesced_queries", "Cache misses that joined an upstream query already in flight "
                + "for the same question instead of sending their own.", Tags.empty(), c.coalesced);
        String parseHelp = "Queries that could not be answered normally, by kind: short (under 12 bytes, dropped), "
                + "response (QR=1, dropped), formerr, notimp (opcode), badvers (EDNS version).";
        count(registry, "nodedns_query_parse_errors", parseHelp, Tags.of("kind", "short"), c.droppedShort);
        count(registry, "nodedns_query_parse_errors", parseHelp, Tags.of("kind", "response"), c.droppedResponses);
        count(registry, "nodedns_query_parse_errors", parseHelp, Tags.of("kind", "formerr"), c.formerr);
        count(registry, "nodedns_query_parse_errors", parseHelp, Tags.of("kind", "notimp"), c.notimp);
        count(registry, "nodedns_query_parse_errors", parseHelp, Tags.of("kind", "badvers"), c.badvers);
        count(registry, "nodedns_udp_truncated_responses", "UDP answers sent with TC=1 because they exceeded the "
                + "client's size.", Tags.empty(), c.truncated);
        count(registry, "nodedns_upstream_failures", "Queries answered SERVFAIL because no upstream gave a usable "
                + "answer in time (not SERVFAILs relayed from upstream).", Tags.empty(), c.upstreamFailures);
        count(registry, "nodedns_tcp_connections_rejected", "TCP client connections closed for a bad or oversized "
                + "frame, or refused over the connection cap.", Tags.empty(), c.tcpRejected);
        Gauge.builder("nodedns_tcp_connections_open", keep(server), DnsServer::openTcpConnections)
                .description("TCP client connections open now.").register(registry);
    }

    /** Per upstream ({@code to}); an upstream shared by several forward directives is summed over them. */
    private void bindUpstreams(MeterRegistry registry, List<Forwarder> forwarders) {
        for (Map.Entry<String, List<UpstreamStats>> e : CoreDnsMetrics.upstreamsByTo(forwarders).entrySet()) {
            Tags to = Tags.of("to", e.getKey());
            List<UpstreamStats> u = e.getValue();
            gauge(registry, "nodedns_upstream_queries_in_flight", "Queries sent to the upstream and not yet "
                    + "answered, timed out or cancelled.", to, u, UpstreamStats::inFlight);
            gauge(registry, "nodedns_upstream_connections_open", "TCP connections and UDP sockets open to the "
                    + "upstream now (pooled).", to, u, UpstreamStats::connectionsOpen);
            gauge(registry, "nodedns_upstream_down", "Forward directives that have the upstream marked down now "
                    + "(max_fails reached, health check not yet answered).", to, u, s -> s.down() ? 1 : 0);
            fcount(registry, "nodedns_upstream_connections_opened", "TCP connections and UDP sockets to the "
                    + "upstream that finished connecting.", to, u, UpstreamStats::connectionsOpened);
            fcount(registry, "nodedns_upstream_connections_closed", "TCP connections and UDP sockets to the "
                    + "upstream closed after having been opened.", to, u, UpstreamStats::connectionsClosed);
            fcount(registry, "nodedns_upstream_attempts", "Attempts sent to the upstream, retries included.",
                    to, u, UpstreamStats::attempts);
            fcount(registry, "nodedns_upstream_attempt_failures", "Attempts that counted against the "
                    + "upstream's health: timeouts, connect errors, lost connections.", to, u,
                    UpstreamStats::failures);
            fcount(registry, "nodedns_upstream_timeouts", "Attempts that got no response within their try "
                    + "timeout.", to, u, UpstreamStats::timeouts);
            fcount(registry, "nodedns_upstream_truncated_retries", "UDP responses with TC=1 retried over TCP.",
                    to, u, UpstreamStats::truncatedRetries);
        }
    }

    private <T> T keep(T referent) {
        referents.add(referent);
        return referent;
    }

    private static long sum(List<UpstreamStats> upstreams, ToLongFunction<UpstreamStats> value) {
        long total = 0;
        for (UpstreamStats u : upstreams) {
            total += value.applyAsLong(u);
        }
        return total;
    }

    private void count(MeterRegistry r, String name, String help, Tags tags, LongAdder adder) {
        FunctionCounter.builder(name, keep(adder), LongAdder::sum).description(help).tags(tags)
                .register(r);
    }

    private void fcount(MeterRegistry r, String name, String help, Tags tags, List<UpstreamStats> upstreams,
                               ToLongFunction<UpstreamStats> value) {
        FunctionCounter.builder(name, keep(upstreams), us -> sum(us, value)).description(help)
                .tags(tags).register(r);
    }

    private void gauge(MeterRegistry r, String name, String help, Tags tags, List<UpstreamStats> upstreams,
                              ToLongFunction<UpstreamStats> value) {
        Gauge.builder(name, keep(upstreams), us -> sum(us, value)).description(help).tags(tags)
                .register(r);
    }

    /** Stops listening for GC notifications. */
    @Override
    public void close() {
        gc.close();
    }
}
