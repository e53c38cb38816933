package io.nodedns.server;

import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * What one listener counts for one of its zones: the series CoreDNS labels {@code server, zone}
 * ({@code coredns_dns_*}, and the cache hits of {@code coredns_cache_*}). One instance per zone
 * route, plus one for the pseudo-zone {@value #DROPPED} (queries no zone takes, as CoreDNS counts
 * them).
 *
 * <p>Hot-path cost: counters are {@link LongAdder}s in arrays indexed by small bucket numbers
 * ({@link QtypeBuckets}, {@link RcodeBuckets}), so counting is an array load and an uncontended
 * add: no label lookup, no allocation. The metrics package reads the sums at scrape time. The
 * duration histograms are Micrometer timers resolved once per label set and attached after the
 * listener is bound (its port is part of their labels); until then durations are not recorded.
 */
public final class ZoneMetrics {
    /** CoreDNS's zone label for queries no server block takes (plugin/metrics/vars.Dropped). */
    public static final String DROPPED = "dropped";

    /** Values of the {@code plugin} label of {@code coredns_dns_responses_total}: who wrote the answer. */
    public static final int PLUGIN_NONE = 0;
    public static final int PLUGIN_CACHE = 1;
    public static final int PLUGIN_FORWARD = 2;
    private static final String[] PLUGIN_LABELS = {"", "cache", "forward"};
    public static final int PLUGINS = PLUGIN_LABELS.length;

    private final String zone;
    private final BlockResolver resolver;
    /** Indexed by {@link #requestIndex}: proto (udp, tcp) x family (1, 2) x qtype bucket. */
    private final LongAdder[] requests = adders(2 * 2 * QtypeBuckets.COUNT);
    /** Indexed by plugin x rcode bucket. */
    private final LongAdder[] responses = adders(PLUGINS * RcodeBuckets.COUNT);
    private final LongAdder successHits = new LongAdder();
    private final LongAdder denialHits = new LongAdder();
    private final LongAdder cacheMisses = new LongAdder();
    /** Null until {@link #attachDurations}: durations are then neither measured nor recorded. */
    private volatile Timing timing;

    /** The histograms by qtype bucket and the clock they are measured with. */
    private record Timing(Timer[] byQtypeBucket, LongSupplier nanoClock) {}

    /**
     * @param zone the zone label: the server block key's zone with its trailing dot, or {@value #DROPPED}
     * @param resolver the block this zone routes to, or null for {@value #DROPPED}
     */
    public ZoneMetrics(String zone, BlockResolver resolver) {
        this.zone = zone;
        this.resolver = resolver;
    }

    private static LongAdder[] adders(int n) {
        LongAdder[] out = new LongAdder[n];
        for (int i = 0; i < n; i++) {
            out[i] = new LongAdder();
        }
        return out;
    }

    public String zone() {
        return zone;
    }

    /** The block this zone routes to, or null for {@value #DROPPED}. */
    public BlockResolver resolver() {
        return resolver;
    }

    private static int requestIndex(boolean tcp, boolean ipv6, int qtypeBucket) {
        return ((tcp ? 2 : 0) + (ipv6 ? 1 : 0)) * QtypeBuckets.COUNT + qtypeBucket;
    }

    /** Counts one query; returns its qtype bucket, for {@link #recordDuration}. */
    int countRequest(boolean tcp, boolean ipv6, int qtype) {
        int bucket = QtypeBuckets.of(qtype);
        requests[requestIndex(tcp, ipv6, bucket)].increment();
        return bucket;
    }

    void countResponse(int plugin, int rcode) {
        responses[plugin * RcodeBuckets.COUNT + RcodeBuckets.of(rcode)].increment();
    }

    void countCacheHit(boolean success) {
        (success ? successHits : denialHits).increment();
    }

    void countCacheMiss() {
        cacheMisses.increment();
    }

    /** When a query's handling starts, for {@link #recordSince}; 0 while durations are not recorded. */
    long startNanos() {
        Timing t = timing;
        return t == null ? 0 : t.nanoClock.getAsLong();
    }

    /**
     * Records the time from {@code startNanos} (from {@link #startNanos}) to now: from reading the
     * query to handing its answer to the transport, as CoreDNS measures around its plugin chain.
     */
    void recordSince(int qtypeBucket, long startNanos) {
        Timing t = timing;
        if (t != null && startNanos != 0) {
            t.byQtypeBucket[qtypeBucket].record(t.nanoClock.getAsLong() - startNanos, TimeUnit.NANOSECONDS);
        }
    }

    /**
     * Attaches the duration histograms, one per {@link QtypeBuckets} bucket (indexed by bucket), and
     * the clock to measure with. Called once the listener's address, part of their labels, is known.
     */
    public void attachDurations(Timer[] timersByQtypeBucket, LongSupplier nanoClock) {
        if (timersByQtypeBucket.length != QtypeBuckets.COUNT) {
            throw new IllegalArgumentException("need one timer per qtype bucket");
        }
        timing = new Timing(timersByQtypeBucket.clone(), nanoClock);
    }

    /** Queries counted for this proto ({@code tcp}), family ({@code ipv6}: family 2) and qtype bucket. */
    public long requests(boolean tcp, boolean ipv6, int qtypeBucket) {
        return requests[requestIndex(tcp, ipv6, qtypeBucket)].sum();
    }

    public long responses(int plugin, int rcodeBucket) {
        return responses[plugin * RcodeBuckets.COUNT + rcodeBucket].sum();
    }

    public static String pluginLabel(int plugin) {
        return PLUGIN_LABELS[plugin];
    }

    /** Cache hits on positive answers ({@code coredns_cache_hits_total{type="success"}}). */
    public long successHits() {
        return successHits.sum();
    }

    /** Cache hits on NXDOMAIN, NODATA and cached SERVFAIL ({@code type="denial"}). */
    public long denialHits() {
        return denialHits.sum();
    }

    /** Queries the cache did not answer and that went upstream ({@code coredns_cache_misses_total}). */
    public long cacheMisses() {
        return cacheMisses.sum();
    }
}
