package io.nodedns.upstream;

import java.net.InetSocketAddress;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;

/**
 * Read-only counters of one upstream of one {@link Forwarder}, for the metrics package
 * ({@code coredns_proxy_*} and {@code nodedns_*} series). The forwarder updates them with
 * {@link LongAdder}s held directly by the upstream, so counting costs no map lookup per query.
 * Values are monotonic except {@link #inFlight()} and {@link #connectionsOpen()}.
 */
public final class UpstreamStats {
    /**
     * CoreDNS's plugin.TimeBuckets (as {@code io.nodedns.server.ZoneMetrics}): upper bounds 0.25 ms
     * doubling to 8.192 s, then +Inf.
     */
    public static final int DURATION_BUCKETS = 16;
    private static final long FIRST_BOUND_NANOS = 250_000;
    /** The header RCODE of an upstream response: 4 bits (RFC 1035 §4.1.1). */
    public static final int RCODES = 16;

    private final InetSocketAddress address;
    private final BooleanSupplier down;

    final LongAdder connectionsOpened = new LongAdder();
    final LongAdder connectionsClosed = new LongAdder();
    final LongAdder inFlight = new LongAdder();
    final LongAdder attempts = new LongAdder();
    final LongAdder failures = new LongAdder();
    final LongAdder timeouts = new LongAdder();
    final LongAdder healthCheckFailures = new LongAdder();
    final LongAdder truncatedRetries = new LongAdder();

    /** Queries that found a pooled connection (hits) or opened one (misses), [0] UDP, [1] TCP. */
    private final LongAdder[] connectionReuses = adders(2);
    private final LongAdder[] connectionOpensForQuery = adders(2);
    /** Attempt durations by header RCODE, then bucket (not cumulative); sums in nanoseconds by RCODE. */
    private final LongAdder[] durationCounts = adders(RCODES * (DURATION_BUCKETS + 1));
    private final LongAdder[] durationSumNanos = adders(RCODES);

    UpstreamStats(InetSocketAddress address, BooleanSupplier down) {
        this.address = address;
        this.down = down;
    }

    private static LongAdder[] adders(int n) {
        LongAdder[] out = new LongAdder[n];
        for (int i = 0; i < n; i++) {
            out[i] = new LongAdder();
        }
        return out;
    }

    /**
     * Records one exchange that got a response ({@code coredns_proxy_request_duration_seconds}):
     * from sending the attempt to its response, by the response's header RCODE.
     */
    void recordResponse(int rcode, long nanos) {
        int r = rcode & 0x0F;
        long quarterMillis = nanos <= 0 ? 0 : (nanos - 1) / FIRST_BOUND_NANOS;
        int bucket = Math.min(64 - Long.numberOfLeadingZeros(quarterMillis), DURATION_BUCKETS);
        durationCounts[r * (DURATION_BUCKETS + 1) + bucket].increment();
        durationSumNanos[r].add(Math.max(0, nanos));
    }

    /** Responses with header RCODE {@code rcode} whose exchange took bucket {@code k}'s time (not cumulative). */
    public long responseDurations(int rcode, int k) {
        return durationCounts[rcode * (DURATION_BUCKETS + 1) + k].sum();
    }

    /** The total time of the exchanges answered with {@code rcode}, in seconds. */
    public double responseDurationSumSeconds(int rcode) {
        return durationSumNanos[rcode].sum() / 1e9;
    }

    void countConnectionReuse(boolean tcp, boolean reused) {
        (reused ? connectionReuses : connectionOpensForQuery)[tcp ? 1 : 0].increment();
    }

    /** Queries sent on a connection (TCP) or socket (UDP) that was already open. */
    public long connectionCacheHits(boolean tcp) {
        return connectionReuses[tcp ? 1 : 0].sum();
    }

    /** Queries that had to open a connection or socket first. */
    public long connectionCacheMisses(boolean tcp) {
        return connectionOpensForQuery[tcp ? 1 : 0].sum();
    }

    public InetSocketAddress address() {
        return address;
    }

    /** True while the upstream is marked down (max_fails reached, health check not yet answered). */
    public boolean down() {
        return down.getAsBoolean();
    }

    /** TCP connections and UDP sockets that finished connecting. */
    public long connectionsOpened() {
        return connectionsOpened.sum();
    }

    /** TCP connections and UDP sockets closed after having been opened (idle, rotated, failed, shut down). */
    public long connectionsClosed() {
        return connectionsClosed.sum();
    }

    /** Currently open TCP connections and UDP sockets. */
    public long connectionsOpen() {
        return connectionsOpened.sum() - connectionsClosed.sum();
    }

    /** Queries sent (or queued for sending) and not yet answered, timed out or cancelled. */
    public long inFlight() {
        return inFlight.sum();
    }

    /** Attempts of forwards against this upstream, including retries over TCP after truncation. */
    public long attempts() {
        return attempts.sum();
    }

    /** Attempts that counted against the upstream's health: timeouts, connect errors, lost connections. */
    public long failures() {
        return failures.sum();
    }

    /** Attempts that got no response within their try timeout. */
    public long timeouts() {
        return timeouts.sum();
    }

    /** Health probes that got no response ({@code coredns_proxy_healthcheck_failures_total}). */
    public long healthCheckFailures() {
        return healthCheckFailures.sum();
    }

    /** UDP responses with TC=1 that were retried over TCP. */
    public long truncatedRetries() {
        return truncatedRetries.sum();
    }

    @Override
    public String toString() {
        return "UpstreamStats[" + address + (down() ? " down" : " up") + ", open=" + connectionsOpen()
                + ", inFlight=" + inFlight() + ", attempts=" + attempts() + ", failures=" + failures()
                + ", timeouts=" + timeouts() + ", healthCheckFailures=" + healthCheckFailures() + "]";
    }
}
