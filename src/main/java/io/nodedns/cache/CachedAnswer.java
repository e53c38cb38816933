package io.nodedns.cache;

import io.nodedns.wire.AnswerTemplate;

/**
 * A cache entry: an answer template, how long it may be served and when it was
 * stored (on the cache's ticker, nanoseconds). Immutable.
 */
public record CachedAnswer(AnswerTemplate template, long lifetimeSeconds, long storedAtNanos) {

    /** Whole seconds since the entry was stored, the amount each TTL is lowered by. */
    public long ageSeconds(long nowNanos) {
        return Math.max(0, (nowNanos - storedAtNanos) / 1_000_000_000L);
    }
}
