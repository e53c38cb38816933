package io.nodedns.metrics;

import io.nodedns.server.QtypeBuckets;
import io.nodedns.server.RcodeBuckets;
import io.nodedns.server.ZoneMetrics;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code coredns_dns_requests_total}, {@code coredns_dns_responses_total} and
 * {@code coredns_dns_request_duration_seconds}, read from every listener's {@link ZoneMetrics} at
 * scrape time.
 *
 * <p>Like CoreDNS, which creates a series the first time a label combination is seen, only label
 * sets that counted something are exported: a listener zone has 76 proto/family/type combinations,
 * 75 rcode/plugin ones and 19 histograms, and exporting all of them at zero would multiply a
 * fleet's series count for nothing. A series, once non-zero, stays (counters never go down).
 */
final class DnsSeriesCollector implements MultiCollector {
    /** One zone of one listener and its {@code server} label. */
    record Source(String server, ZoneMetrics zone) {}

    private static final double[] DURATION_BOUNDS = durationBounds();

    private final List<Source> sources;

    DnsSeriesCollector(List<Source> sources) {
        this.sources = List.copyOf(sources);
    }

    private static double[] durationBounds() {
        double[] bounds = new double[ZoneMetrics.DURATION_BUCKETS + 1];
        for (int k = 0; k < ZoneMetrics.DURATION_BUCKETS; k++) {
            bounds[k] = ZoneMetrics.durationBound(k);
        }
        bounds[ZoneMetrics.DURATION_BUCKETS] = Double.POSITIVE_INFINITY;
        return bounds;
    }

    @Override
    public List<String> getPrometheusNames() {
        return List.of("coredns_dns_requests", "coredns_dns_responses", "coredns_dns_request_duration_seconds");
    }

    @Override
    public MetricSnapshots collect() {
        List<CounterSnapshot.CounterDataPointSnapshot> requests = new ArrayList<>();
        List<CounterSnapshot.CounterDataPointSnapshot> responses = new ArrayList<>();
        List<HistogramSnapshot.HistogramDataPointSnapshot> durations = new ArrayList<>();
        for (Source source : sources) {
            collectZone(source.server(), source.zone(), requests, responses, durations);
        }
        return new MetricSnapshots(
                new CounterSnapshot(new MetricMetadata("coredns_dns_requests",
                        "Counter of DNS requests made per zone, protocol and family."), requests),
                new CounterSnapshot(new MetricMetadata("coredns_dns_responses",
                        "Counter of response status codes."), responses),
                new HistogramSnapshot(new MetricMetadata("coredns_dns_request_duration_seconds",
                        "Histogram of the time (in seconds) each request took."), durations));
    }

    private static void collectZone(String server, ZoneMetrics zone,
                                    List<CounterSnapshot.CounterDataPointSnapshot> requests,
                                    List<CounterSnapshot.CounterDataPointSnapshot> responses,
                                    List<HistogramSnapshot.HistogramDataPointSnapshot> durations) {
        for (int proto = 0; proto < 2; proto++) {
            for (int family = 1; family <= 2; family++) {
                for (int type = 0; type < QtypeBuckets.COUNT; type++) {
                    long n = zone.requests(proto == 1, family == 2, type);
                    if (n > 0) {
                        requests.add(new CounterSnapshot.CounterDataPointSnapshot(n, Labels.of(
                                "server", server, "zone", zone.zone(), "view", CoreDnsMetrics.NO_VIEW,
                                "proto", proto == 1 ? "tcp" : "udp", "family", Integer.toString(family),
                                "type", QtypeBuckets.label(type)), null, 0));
                    }
                }
            }
        }
        for (int plugin = 0; plugin < ZoneMetrics.PLUGINS; plugin++) {
            for (int rcode = 0; rcode < RcodeBuckets.COUNT; rcode++) {
                long n = zone.responses(plugin, rcode);
                if (n > 0) {
                    responses.add(new CounterSnapshot.CounterDataPointSnapshot(n, Labels.of(
                            "server", server, "zone", zone.zone(), "view", CoreDnsMetrics.NO_VIEW,
                            "rcode", RcodeBuckets.label(rcode), "plugin", ZoneMetrics.pluginLabel(plugin)), null, 0));
                }
            }
        }
        for (int type = 0; type < QtypeBuckets.COUNT; type++) {
            long[] counts = new long[ZoneMetrics.DURATION_BUCKETS + 1];
            long total = 0;
            for (int k = 0; k < counts.length; k++) {
                counts[k] = zone.durations(type, k);
                total += counts[k];
            }
            if (total > 0) {
                durations.add(new HistogramSnapshot.HistogramDataPointSnapshot(
                        ClassicHistogramBuckets.of(DURATION_BOUNDS, counts), zone.durationSumSeconds(type),
                        Labels.of("server", server, "zone", zone.zone(), "view", CoreDnsMetrics.NO_VIEW,
                                "type", QtypeBuckets.label(type)), null, 0));
            }
        }
    }
}
