package io.nodedns.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import io.nodedns.wire.QuestionKey;

/**
 * RFC 8767 section 5's "failure recheck timer" for the background refreshes of one block's cache
 * (prefetch, stale refresh) and for {@code verify}: after a refresh of a key fails (the upstream
 * failed, timed out, or answered something that does not refresh the data), that key is not
 * refreshed again until a backoff has passed, doubling per consecutive failure from
 * {@link #MIN_BACKOFF_NANOS} to {@link #MAX_BACKOFF_NANOS} (the RFC suggests 30 s). Without it, a
 * popular stale name under a dead upstream is refreshed once per round trip, forever.
 *
 * <p>Memory is bounded: at most {@code maxKeys} keys are remembered (Caffeine, size-bounded), and
 * a key's state is forgotten {@link #FORGET_AFTER_NANOS} after its last failure, so a key that
 * fails again much later starts over at the minimum (a key failing every 30 s stays at 30 s). Lookups take a scratch key and allocate nothing;
 * only failures store a copy. Thread-safe; time comes from the cache's {@link Ticker}.
 */
public final class RefreshBackoff {
    /** The first wait after a failed refresh. */
    public static final long MIN_BACKOFF_NANOS = 1_000_000_000L;
    /** The longest wait: RFC 8767 section 5's suggested failure recheck timer, 30 s. */
    public static final long MAX_BACKOFF_NANOS = 30_000_000_000L;

    /** Twice the longest wait: a key still failing at every recheck keeps its count. */
    static final long FORGET_AFTER_NANOS = 2 * MAX_BACKOFF_NANOS;

    private final Ticker ticker;
    private final Cache<QuestionKey, Failures> failures;

    /**
     * @param maxKeys the most keys whose failures are remembered at once
     * @param ticker the cache's clock
     */
    public RefreshBackoff(int maxKeys, Ticker ticker) {
        if (maxKeys < 1) {
            throw new IllegalArgumentException("maxKeys must be positive: " + maxKeys);
        }
        this.ticker = ticker;
        this.failures = Caffeine.newBuilder()
                .maximumSize(maxKeys)
                .expireAfterWrite(java.time.Duration.ofNanos(FORGET_AFTER_NANOS))
                .ticker(ticker)
                .executor(Runnable::run)
                .build();
    }

    /** Whether {@code key} (a scratch key is fine) may be refreshed now: no failure, or its backoff passed. */
    public boolean mayRefresh(QuestionKey key) {
        Failures state = failures.getIfPresent(key);
        return state == null || ticker.read() - state.retryAtNanos >= 0;
    }

    /**
     * Counts a failed refresh of {@code key} (a stored key) and returns the nanoseconds until it
     * may be refreshed again.
     */
    public long failed(QuestionKey key) {
        long now = ticker.read();
        Failures next = failures.asMap().compute(key, (k, previous) -> {
            int count = previous == null ? 1 : Math.min(previous.count + 1, 31);
            return new Failures(count, now + backoffNanos(count));
        });
        return next.retryAtNanos - now;
    }

    /** A refresh of {@code key} succeeded: the next failure starts over at the minimum backoff. */
    public void succeeded(QuestionKey key) {
        // Checked first, as ResponseCache.forget does: Caffeine's removal allocates even for an
        // absent key, and most keys never failed; containsKey neither allocates nor counts as a read.
        if (failures.asMap().containsKey(key)) {
            failures.invalidate(key);
        }
    }

    /** The backoff after {@code count} consecutive failures: 1 s, 2 s, 4 s ... 30 s. */
    static long backoffNanos(int count) {
        long backoff = MIN_BACKOFF_NANOS << Math.min(count - 1, 5);
        return Math.min(backoff, MAX_BACKOFF_NANOS);
    }

    /** Keys remembered now (approximate). */
    public long size() {
        failures.cleanUp();
        return failures.estimatedSize();
    }

    private record Failures(int count, long retryAtNanos) {}
}
