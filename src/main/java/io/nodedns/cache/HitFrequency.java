package io.nodedns.cache;

import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;

/**
 * How popular one cache entry is, for {@code prefetch}: its hits since the last gap between two
 * hits longer than a window, counted as CoreDNS's {@code plugin/pkg/freq} counts them.
 *
 * <p>Lock-free, because it is updated on cache hits: two hits racing with a window reset may count
 * one hit too few, which moves a prefetch by one hit (CoreDNS takes a mutex here; a lock on the hit
 * path is what nodedns avoids).
 */
public final class HitFrequency {
    private static final AtomicLongFieldUpdater<HitFrequency> LAST_HIT =
            AtomicLongFieldUpdater.newUpdater(HitFrequency.class, "lastHitNanos");
    private static final AtomicIntegerFieldUpdater<HitFrequency> HITS =
            AtomicIntegerFieldUpdater.newUpdater(HitFrequency.class, "hits");

    private volatile long lastHitNanos;
    private volatile int hits;

    /**
     * @param sinceNanos when the last of {@code hits} hits was seen, on the cache's ticker (a new
     *     entry: when it was stored, with 0 hits)
     * @param hits hits already counted (a refreshed entry keeps its predecessor's, as CoreDNS's
     *     doPrefetch does with {@code Freq.Reset})
     */
    public HitFrequency(long sinceNanos, int hits) {
        if (hits < 0) {
            throw new IllegalArgumentException("hits must be >= 0: " + hits);
        }
        this.lastHitNanos = sinceNanos;
        this.hits = hits;
    }

    /**
     * Counts a hit at {@code nowNanos}: one more if the previous hit was at most {@code windowNanos}
     * ago, otherwise the count restarts at 1.
     *
     * @return the hits counted, this one included
     */
    public int record(long nowNanos, long windowNanos) {
        long previous = LAST_HIT.getAndSet(this, nowNanos);
        if (nowNanos - previous > windowNanos) {
            hits = 1;
            return 1;
        }
        return HITS.incrementAndGet(this);
    }

    /** The hits counted so far. */
    public int hits() {
        return hits;
    }
}
