package io.nodedns.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.nodedns.upstream.Forwarder;
import io.nodedns.upstream.UpstreamStats;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * The {@code nodedns_upstream_*} series of one configuration's forwarders, read from their
 * {@link UpstreamStats} at scrape time. A reload closes them and registers the new
 * configuration's; a forwarder the reload keeps goes on with the same counts.
 */
public final class UpstreamMetrics implements AutoCloseable {
    private final MeterRegistry registry;
    /** What the meters read: Micrometer holds them weakly, this instance strongly. */
    private final List<Object> referents = new ArrayList<>();
    private final List<Meter> meters = new ArrayList<>();

    public UpstreamMetrics(MeterRegistry registry, List<Forwarder> forwarders) {
        this.registry = registry;
        bind(registry, forwarders);
    }

    /** Per upstream ({@code to}); an upstream shared by several forward directives is summed over them. */
    private void bind(MeterRegistry registry, List<Forwarder> forwarders) {
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

    private static long sum(List<UpstreamStats> upstreams, ToLongFunction<UpstreamStats> value) {
        long total = 0;
        for (UpstreamStats u : upstreams) {
            total += value.applyAsLong(u);
        }
        return total;
    }

    private void fcount(MeterRegistry r, String name, String help, Tags tags, List<UpstreamStats> upstreams,
                        ToLongFunction<UpstreamStats> value) {
        referents.add(upstreams);
        meters.add(FunctionCounter.builder(name, upstreams, us -> sum(us, value)).description(help).tags(tags)
                .register(r));
    }

    private void gauge(MeterRegistry r, String name, String help, Tags tags, List<UpstreamStats> upstreams,
                       ToLongFunction<UpstreamStats> value) {
        referents.add(upstreams);
        meters.add(Gauge.builder(name, upstreams, us -> sum(us, value)).description(help).tags(tags).register(r));
    }

    /** Removes the series registered here. */
    @Override
    public void close() {
        meters.forEach(registry::remove);
        meters.clear();
    }
}
