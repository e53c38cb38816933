package io.nodedns.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Ticker;
import io.nodedns.wire.AnswerTemplate;
import io.nodedns.wire.QuestionKey;
import io.nodedns.wire.ResponseKind;
import java.util.concurrent.atomic.LongAdder;

/**
 * The answers of one server block, in two bounded Caffeine caches as CoreDNS
 * keeps them: positive answers, and denials (NXDOMAIN, NODATA, SERVFAIL), so a
 * flood of non-existent names cannot evict the names that exist.
 *
 * <p>Entries expire after their lifetime on the injected {@link Ticker}. Lookups
 * take a scratch {@link QuestionKey} and allocate nothing; only stored keys are
 * kept. Thread-safe.
 */
public final class ResponseCache {
    private final CachePolicy policy;
    private final Ticker ticker;
    private final Cache<QuestionKey, CachedAnswer> success;
    private final Cache<QuestionKey, CachedAnswer> denial;
    /** Entries pushed out by capacity ({@code coredns_cache_evictions_total}), not expiry. */
    private final LongAdder successEvictions = new LongAdder();
    private final LongAdder denialEvictions = new LongAdder();

    public ResponseCache(CachePolicy policy, Ticker ticker) {
        this.policy = policy;
        this.ticker = ticker;
        this.success = build(policy.successCapacity(), ticker, successEvictions);
        this.denial = build(policy.denialCapacity(), ticker, denialEvictions);
    }

    private static Cache<QuestionKey, CachedAnswer> build(int capacity, Ticker ticker, LongAdder evictions) {
        return Caffeine.newBuilder()
                .maximumSize(capacity)
                // Runs during maintenance (on a writer, see the executor), never on a lookup's path.
                .evictionListener((QuestionKey k, CachedAnswer v, RemovalCause cause) -> {
                    if (cause == RemovalCause.SIZE) {
                        evictions.increment();
                    }
                })
                .ticker(ticker)
                // Maintenance (eviction, expiry) runs on the calling thread, amortised: no
                // hand-off to the common pool per write, and deterministic in tests.
                .executor(Runnable::run)
                .expireAfter(new LifetimeExpiry())
                .build();
    }

    public CachePolicy policy() {
        return policy;
    }

    /** The current time on the cache's ticker, for {@link CachedAnswer#ageSeconds}. */
    public long nowNanos() {
        return ticker.read();
    }

    /** The live entry for {@code key}, or null. {@code key} may be a scratch key. */
    public CachedAnswer get(QuestionKey key) {
        CachedAnswer hit = success.getIfPresent(key);
        return hit != null ? hit : denial.getIfPresent(key);
    }

    /**
     * Stores {@code answer} if the policy gives it a lifetime, and returns the
     * entry the waiting clients should be answered from (with lifetime 0 when it
     * was not cached, which leaves its TTLs as they came).
     *
     * @param key a stored key ({@link QuestionKey#copy()}), never a scratch key
     */
    public CachedAnswer put(QuestionKey key, AnswerTemplate answer) {
        long now = ticker.read();
        long lifetime = policy.lifetimeSeconds(answer);
        if (lifetime <= 0) {
            return new CachedAnswer(answer, Long.MAX_VALUE, now);
        }
        CachedAnswer entry = new CachedAnswer(answer, lifetime, now);
        if (answer.kind() == ResponseKind.SUCCESS) {
            denial.invalidate(key);
            success.put(key, entry);
        } else {
            success.invalidate(key);
            denial.put(key, entry);
        }
        return entry;
    }

    /** Live positive entries (approximate, as Caffeine counts). */
    public long successSize() {
        return success.estimatedSize();
    }

    /** Live denial entries (approximate). */
    public long denialSize() {
        return denial.estimatedSize();
    }

    /** Positive entries evicted for capacity so far. */
    public long successEvictions() {
        return successEvictions.sum();
    }

    /** Denial entries evicted for capacity so far. */
    public long denialEvictions() {
        return denialEvictions.sum();
    }

    /** Runs pending expiry and eviction now; tests use it to observe sizes. */
    public void cleanUp() {
        success.cleanUp();
        denial.cleanUp();
    }

    private static final class LifetimeExpiry implements Expiry<QuestionKey, CachedAnswer> {
        @Override
        public long expireAfterCreate(QuestionKey key, CachedAnswer value, long currentTime) {
            return value.lifetimeSeconds() * 1_000_000_000L;
        }

        @Override
        public long expireAfterUpdate(QuestionKey key, CachedAnswer value, long currentTime, long currentDuration) {
            return value.lifetimeSeconds() * 1_000_000_000L;
        }

        @Override
        public long expireAfterRead(QuestionKey key, CachedAnswer value, long currentTime, long currentDuration) {
            return currentDuration;
        }
    }
}
