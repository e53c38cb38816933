package io.nodedns.cache;

import io.nodedns.wire.AnswerTemplate;

/**
 * A cache entry: an answer template, how long it may be served and when it was stored (on the
 * cache's ticker, nanoseconds). Immutable but for its hit count.
 *
 * @param hits how often the entry was hit, for {@code prefetch}; null when prefetch is off (no
 *     counting on the hit path) and for answers that were not cached
 */
public record CachedAnswer(AnswerTemplate template, long lifetimeSeconds, long storedAtNanos, HitFrequency hits) {
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    /** An entry that counts no hits. */
    public CachedAnswer(AnswerTemplate template, long lifetimeSeconds, long storedAtNanos) {
        this(template, lifetimeSeconds, storedAtNanos, null);
    }

    /** Whole seconds since the entry was stored, the amount each TTL is lowered by. */
    public long ageSeconds(long nowNanos) {
        return Math.max(0, (nowNanos - storedAtNanos) / NANOS_PER_SECOND);
    }

    /** Whole seconds of its lifetime left, negative once it is stale (CoreDNS's item.ttl). */
    public long remainingSeconds(long nowNanos) {
        return lifetimeSeconds - ageSeconds(nowNanos);
    }

    /** Whether the entry is within its lifetime; past it, only {@code serve_stale} may answer from it. */
    public boolean isFresh(long nowNanos) {
        if (lifetimeSeconds >= Long.MAX_VALUE / NANOS_PER_SECOND) {
            return true;
        }
        return nowNanos - storedAtNanos < lifetimeSeconds * NANOS_PER_SECOND;
    }

    /**
     * This entry as a stale answer given at {@code nowNanos}: every TTL becomes at most
     * {@code answerTtlSeconds} ({@link StalePolicy#answerTtlSeconds()}; a record with a smaller TTL
     * keeps it), with no age to subtract. Allocates; only stale answers pay for it.
     */
    public CachedAnswer staleView(long nowNanos, long answerTtlSeconds) {
        return new CachedAnswer(template, answerTtlSeconds, nowNanos);
    }
}
