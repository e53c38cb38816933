package io.nodedns.metrics;

import io.nodedns.server.RcodeBuckets;
import io.nodedns.upstream.UpstreamStats;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code coredns_proxy_request_duration_seconds{proxy_name="forward",to,rcode}}: the time of each
 * exchange with an upstream that got a response, by its RCODE (CoreDNS plugin/pkg/proxy records it
 * per exchange, retries included), read from {@link UpstreamStats} at scrape time. An upstream
 * shared by several {@code forward} directives is one series; label sets appear once seen.
 */
final class ProxySeriesCollector implements MultiCollector {
    private static final double[] BOUNDS = bounds();

    /** In configuration order, as the other series: Map.copyOf would give an order that changes between runs. */
    private final Map<String, List<UpstreamStats>> upstreamsByTo;

    ProxySeriesCollector(Map<String, List<UpstreamStats>> upstreamsByTo) {
        this.upstreamsByTo = Collections.unmodifiableMap(new LinkedHashMap<>(upstreamsByTo));
    }

    private static double[] bounds() {
        double[] out = new double[UpstreamStats.DURATION_BUCKETS + 1];
        for (int k = 0; k < UpstreamStats.DURATION_BUCKETS; k++) {
            out[k] = 0.00025 * (1L << k);
        }
        out[UpstreamStats.DURATION_BUCKETS] = Double.POSITIVE_INFINITY;
        return out;
    }

    @Override
    public List<String> getPrometheusNames() {
        return List.of("coredns_proxy_request_duration_seconds");
    }

    @Override
    public MetricSnapshots collect() {
        List<HistogramSnapshot.HistogramDataPointSnapshot> points = new ArrayList<>();
        upstreamsByTo.forEach((to, upstreams) -> {
            for (int rcode = 0; rcode < UpstreamStats.RCODES; rcode++) {
                long[] counts = new long[UpstreamStats.DURATION_BUCKETS + 1];
                long total = 0;
                double sum = 0;
                for (UpstreamStats u : upstreams) {
                    for (int k = 0; k < counts.length; k++) {
                        long n = u.responseDurations(rcode, k);
                        counts[k] += n;
                        total += n;
                    }
                    sum += u.responseDurationSumSeconds(rcode);
                }
                if (total > 0) {
                    points.add(new HistogramSnapshot.HistogramDataPointSnapshot(ClassicHistogramBuckets.of(BOUNDS, counts),
                            sum, Labels.of("proxy_name", CoreDnsMetrics.PROXY_NAME, "to", to,
                                    "rcode", RcodeBuckets.label(RcodeBuckets.of(rcode))), null, 0));
                }
            }
        });
        return new MetricSnapshots(new HistogramSnapshot(new MetricMetadata("coredns_proxy_request_duration_seconds",
                "Histogram of the time each request took."), points));
    }
}
