package io.nodedns.server;

import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * What one listener counts for one of its zones: the series CoreDNS labels {@code server, zone}
 * ({@code coredns_dns_*}, and the cache hits of {@code coredns_cache_*}). One instance per zone
 * route, plus one for the pseudo-zone {@value #DROPPED} (queries no zone takes, as CoreDNS counts
 * them).
 *
 * <p>Hot-path cost: counters, and the duration histograms' buckets, are {@link LongAdder}s in
 * arrays indexed by small bucket numbers ({@link QtypeBuckets}, {@link RcodeBuckets}, duration
 * bucket), so counting is an array load and an uncontended add: no label lookup, no allocation.
 * The metrics package reads the sums at scrape time. Durations are measured only once
 * {@link #measureDurations} was called (metrics are served), saving two clock reads otherwise.
 */
public final class ZoneMetrics {
    /** CoreDNS's zone label for queries no server block takes (plugin/metrics/vars.Dropped). */
    public static final String DROPPED = "dropped";

    /**
     * CoreDNS's plugin.TimeBuckets, prometheus.ExponentialBuckets(0.00025, 2, 16): upper bounds
     * of 0.25 ms doubling to 8.192 s; bucket k holds durations in (0.25 ms * 2^(k-1), 0.25 ms * 2^k].
     */
    public static final int DURATION_BUCKETS = 16;
    private static final long FIRST_BOUND_NANOS = 250_000;

    /** Values of the {@code plugin} label of {@code coredns_dns_responses_total}: who wrote the answer. */
    public static final int PLUGIN_NONE = 0;
    public static final int PLUGIN_CACHE = 1;
    public static final int PLUGIN_FORWARD = 2;
    /** An answer {@code autopath} made (a CNAME to the search name found), as CoreDNS labels its plugin's. */
    public static final int PLUGIN_AUTOPATH = 3;
    /** A NODATA {@code filter_aaaa} made. */
    public static final int PLUGIN_FILTER_AAAA = 4;
    private static final String[] PLUGIN_LABELS = {"", "cache", "forward", "autopath", "filter_aaaa"};
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
    private final LongAdder prefetches = new LongAdder();
    private final LongAdder servedStale = new LongAdder();
    /** Per qtype bucket, then per duration bucket ({@link #DURATION_BUCKETS} bounds, then +Inf): not cumulative. */
    private final LongAdder[] durationCounts = adders(QtypeBuckets.COUNT * (DURATION_BUCKETS + 1));
    private final LongAdder[] durationSumNanos = adders(QtypeBuckets.COUNT);
    /** Null until {@link #measureDurations}: durations are then neither measured nor recorded. */
    private volatile LongSupplier nanoClock;

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

    void countPrefetch() {
        prefetches.increment();
    }

    void countServedStale() {
        servedStale.increment();
    }

    /** When a query's handling starts, for {@link #recordSince}; 0 while durations are not measured. */
    long startNanos() {
        LongSupplier clock = nanoClock;
        return clock == null ? 0 : clock.getAsLong();
    }

    /**
     * Records the time from {@code startNanos} (from {@link #startNanos}) to now: from reading the
     * query to handing its answer to the transport, as CoreDNS measures around its plugin chain.
     * Two adds on pre-allocated adders: no search, no allocation.
     */
    void recordSince(int qtypeBucket, long startNanos) {
        LongSupplier clock = nanoClock;
        if (clock == null || startNanos == 0) {
            return;
        }
        long nanos = Math.max(0, clock.getAsLong() - startNanos);
        durationCounts[qtypeBucket * (DURATION_BUCKETS + 1) + durationBucket(nanos)].increment();
        durationSumNanos[qtypeBucket].add(nanos);
    }

    /** The bucket of a duration: the smallest k with nanos <= 0.25 ms * 2^k, or DURATION_BUCKETS (+Inf). */
    static int durationBucket(long nanos) {
        long quarterMillis = nanos <= 0 ? 0 : (nanos - 1) / FIRST_BOUND_NANOS;
        return Math.min(64 - Long.numberOfLeadingZeros(quarterMillis), DURATION_BUCKETS);
    }

    /** The upper bound of duration bucket {@code k} in seconds (CoreDNS's le values). */
    public static double durationBound(int k) {
        return FIRST_BOUND_NANOS * (double) (1L << k) / 1e9;
    }

    /** Starts measuring request durations with {@code nanoClock} (when metrics are served). */
    public void measureDurations(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
    }

    /** Durations in bucket {@code k} (0..{@link #DURATION_BUCKETS}, the last +Inf), not cumulative. */
    public long durations(int qtypeBucket, int k) {
        return durationCounts[qtypeBucket * (DURATION_BUCKETS + 1) + k].sum();
    }

    /** The sum of recorded durations for a qtype bucket, in seconds. */
    public double durationSumSeconds(int qtypeBucket) {
        return durationSumNanos[qtypeBucket].sum() / 1e9;
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

    /** Background refreshes started: prefetches and stale refreshes ({@code coredns_cache_prefetch_total}). */
    public long prefetches() {
        return prefetches.sum();
    }

    /** Answers given from stale entries ({@code coredns_cache_served_stale_total}). */
    public long servedStale() {
        return servedStale.sum();
    }
}
