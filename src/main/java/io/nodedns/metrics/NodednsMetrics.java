package io.nodedns.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.nodedns.server.DnsServer;
import io.nodedns.server.QueryCounters;
import io.prometheus.metrics.core.metrics.Info;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

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
                          DnsServer server) {
        // CoreDNS: a constant 1 labelled by version, revision and goversion; ours names the JVM there.
        // A Prometheus Info metric, because Micrometer would strip the _info suffix from a gauge's name.
        Info.builder().name("coredns_build")
                .help("A metric with a constant '1' value labeled by version, revision, and goversion from which "
                        + "CoreDNS was built.")
                .labelNames("version", "revision", "goversion")
                .register(registry.getPrometheusRegistry())
                .addLabelValues(version, "", "java" + Runtime.version());
        bindQueries(registry, counters, server);
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
        count(registry, "nodedns_overloaded_queries", "Cache misses answered at once (stale, else SERVFAIL) "
                + "because too many queries already waited for upstream answers.", Tags.empty(), c.overloaded);
        count(registry, "nodedns_tcp_connections_rejected", "TCP client connections closed for a bad or oversized "
                + "frame, or refused over the connection cap.", Tags.empty(), c.tcpRejected);
        count(registry, "nodedns_autopath_answers", "Answers autopath made: a CNAME from the asked name to the "
                + "first name of the search path that exists, with its records.", Tags.empty(), c.autopathAnswers);
        count(registry, "nodedns_autopath_queries_saved", "Queries clients did not send because autopath answered: "
                + "the search names after the asked one, up to the one found.", Tags.empty(), c.autopathQueriesSaved);
        count(registry, "nodedns_filtered_aaaa", "AAAA queries filter_aaaa answered NODATA without forwarding them.",
                Tags.empty(), c.filteredAaaa);
        Gauge.builder("nodedns_tcp_connections_open", keep(server), DnsServer::openTcpConnections)
                .description("TCP client connections open now.").register(registry);
    }

    private <T> T keep(T referent) {
        referents.add(referent);
        return referent;
    }

    private void count(MeterRegistry r, String name, String help, Tags tags, LongAdder adder) {
        FunctionCounter.builder(name, keep(adder), LongAdder::sum).description(help).tags(tags)
                .register(r);
    }

    /** Stops listening for GC notifications. */
    @Override
    public void close() {
        gc.close();
    }
}
