package io.nodedns.cache;

import java.util.concurrent.TimeUnit;

/**
 * CoreDNS cache's {@code prefetch AMOUNT [[DURATION] [PERCENTAGE%]]}: an entry hit {@code amount}
 * times with no gap longer than {@code windowNanos} between the hits is refreshed from upstream
 * once no more than {@code percentage} percent of its lifetime is left, so a popular name is
 * renewed before it expires instead of costing its next client a miss.
 *
 * @param amount hits that make an entry popular; 0 turns prefetch off (CoreDNS: {@code prefetch <= 0})
 * @param windowNanos the longest gap between two hits that still counts them together (DURATION,
 *     default 1 minute)
 * @param percentage of the entry's lifetime left when it is refreshed (default 10; CoreDNS allows 10 to 90)
 */
public record PrefetchPolicy(int amount, long windowNanos, int percentage) {
    /** No prefetching, with CoreDNS's defaults for the other two values. */
    public static final PrefetchPolicy OFF = new PrefetchPolicy(0, TimeUnit.MINUTES.toNanos(1), 10);

    public PrefetchPolicy {
        if (amount < 0) {
            throw new IllegalArgumentException("amount must be >= 0: " + amount);
        }
        if (windowNanos <= 0) {
            throw new IllegalArgumentException("window must be positive: " + windowNanos);
        }
        if (percentage < 1 || percentage > 100) {
            throw new IllegalArgumentException("percentage must be 1 to 100: " + percentage);
        }
    }

    public boolean enabled() {
        return amount > 0;
    }

    /**
     * Counts a hit on {@code entry} at {@code nowNanos} and says whether it is due for a refresh:
     * popular enough, and at most the threshold of its lifetime left (CoreDNS's shouldPrefetch).
     * Entries stored without a {@link HitFrequency} are never due.
     */
    public boolean countHitAndCheckDue(CachedAnswer entry, long nowNanos) {
        HitFrequency frequency = entry.hits();
        if (!enabled() || frequency == null) {
            return false;
        }
        int hits = frequency.record(nowNanos, windowNanos);
        return hits >= amount && entry.remainingSeconds(nowNanos) <= thresholdSeconds(entry.lifetimeSeconds());
    }

    /** CoreDNS's threshold: {@code ceil(percentage / 100 * lifetime)} seconds. */
    long thresholdSeconds(long lifetimeSeconds) {
        return (lifetimeSeconds * percentage + 99) / 100;
    }
}
