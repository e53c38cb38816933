package io.nodedns.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * What configuration reloads came to, and which configuration runs now. Exported as CoreDNS's
 * plugin/reload series, {@code coredns_reload_failed_total} and
 * {@code coredns_reload_version_info{hash="sha512",value}}, plus
 * {@code nodedns_config_reloads_total{outcome}}, which also counts the reloads that worked.
 */
public final class ReloadOutcomes {
    /** The {@code outcome} label values. */
    public enum Outcome {
        /** A changed configuration now serves. */
        APPLIED("applied"),
        /** The changed configuration does not parse (or its template cannot be rendered); the old one serves on. */
        INVALID("invalid"),
        /** The changed configuration parses but could not be put in place (e.g. an address cannot be bound); the old one serves on. */
        FAILED("failed");

        private final String label;

        Outcome(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    private final Map<Outcome, LongAdder> counts = new EnumMap<>(Outcome.class);
    /** SHA-512 of the configuration text serving now, lower-case hex; empty before the first. */
    private volatile String version = "";

    public ReloadOutcomes() {
        for (Outcome o : Outcome.values()) {
            counts.put(o, new LongAdder());
        }
    }

    public void count(Outcome outcome) {
        counts.get(outcome).increment();
    }

    public long total(Outcome outcome) {
        return counts.get(outcome).sum();
    }

    /** Records the hash of the configuration that serves from now on. */
    public void version(String sha512Hex) {
        version = sha512Hex;
    }

    public String version() {
        return version;
    }

    /** Registers the series on {@code registry}; they read the counts at scrape time. */
    public void bindTo(PrometheusMeterRegistry registry) {
        FunctionCounter.builder("coredns_reload_failed", this,
                        r -> r.counts.get(Outcome.INVALID).sum() + r.counts.get(Outcome.FAILED).sum())
                .description("Counter of the number of failed reload attempts.")
                .register(registry);
        for (Outcome o : Outcome.values()) {
            FunctionCounter.builder("nodedns_config_reloads", counts.get(o), LongAdder::sum)
                    .description("Configuration reloads by outcome: applied, invalid (does not parse; the old "
                            + "configuration serves on) or failed (could not be put in place; the old one serves on).")
                    .tags("outcome", o.label())
                    .register(registry);
        }
        registry.getPrometheusRegistry().register(new VersionCollector());
    }

    /**
     * {@code coredns_reload_version_info}: an info series whose {@code value} label changes with
     * every reload, so it is built at scrape time rather than registered once.
     */
    private final class VersionCollector implements MultiCollector {
        @Override
        public MetricSnapshots collect() {
            String now = version;
            List<InfoSnapshot.InfoDataPointSnapshot> points = now.isEmpty() ? List.of()
                    : List.of(new InfoSnapshot.InfoDataPointSnapshot(Labels.of("hash", "sha512", "value", now)));
            return new MetricSnapshots(new InfoSnapshot(new MetricMetadata("coredns_reload_version",
                    "A metric with a constant '1' value labeled by hash, and value which type of hash generated, "
                            + "and value of hash"), points));
        }

        @Override
        public List<String> getPrometheusNames() {
            return List.of("coredns_reload_version");
        }
    }
}
