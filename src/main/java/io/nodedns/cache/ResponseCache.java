package io.nodedns.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Ticker;
import io.nodedns.wire.AnswerTemplate;
import io.nodedns.wire.QuestionKey;
import io.nodedns.wire.ResponseKind;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;

/**
 * The answers of one server block, in two bounded Caffeine caches as CoreDNS
 * keeps them: positive answers, and denials (NXDOMAIN, NODATA, SERVFAIL), so a
 * flood of non-existent names cannot evict the names that exist.
 *
 * <p>Entries expire after their lifetime on the injected {@link Ticker}, plus the
 * policy's {@code serve_stale} duration: while that lasts {@link #get} may return a
 * stale entry ({@link CachedAnswer#isFresh} says which). Stale entries count against
 * the same capacities. Lookups take a scratch {@link QuestionKey} and allocate
 * nothing; only stored keys are kept. Thread-safe.
 */
public final class ResponseCache {
    private final CachePolicy policy;
    private final Ticker ticker;
    private final Cache<QuestionKey, CachedAnswer> success;
    private final Cache<QuestionKey, CachedAnswer> denial;
    /** Entries pushed out by capacity ({@code coredns_cache_evictions_total}), not expiry. */
    private final LongAdder successEvictions = new LongAdder();
    private final LongAdder denialEvictions = new LongAdder();
    private final RefreshBackoff refreshBackoff;

    public ResponseCache(CachePolicy policy, Ticker ticker) {
        this.policy = policy;
        this.ticker = ticker;
        LifetimeExpiry expiry = new LifetimeExpiry(policy.stale().maxStaleNanos());
        this.success = build(policy.successCapacity(), policy.maxBytesFor(policy.successCapacity()), ticker,
                successEvictions, expiry);
        this.denial = build(policy.denialCapacity(), policy.maxBytesFor(policy.denialCapacity()), ticker,
                denialEvictions, expiry);
        // Remembers at most as many keys as the cache holds: only held entries are refreshed.
        this.refreshBackoff = new RefreshBackoff(
                (int) Math.min(Integer.MAX_VALUE, Math.max(1L, (long) policy.successCapacity() + policy.denialCapacity())),
                ticker);
    }

    /** The failure recheck backoff of this cache's background refreshes (RFC 8767 section 5). */
    public RefreshBackoff refreshBackoff() {
        return refreshBackoff;
    }

    /**
     * What an entry costs besides its message and name bytes, estimated for a 64-bit JVM with
     * compressed oops: the CachedAnswer, AnswerTemplate, QuestionKey and their arrays' headers, the
     * TTL offsets, Caffeine's node (~64). A round figure on purpose; the bound is about orders of
     * magnitude, not bytes.
     */
    public static final int ENTRY_OVERHEAD_BYTES = 200;

    /**
     * The most entries a cache's hash table is sized for before its first insert (with the lag
     * below, a table of 2^18 slots, 1 MiB). ConcurrentHashMap doubles its table whenever it is three
     * quarters full and moves every entry to the new one on the inserting thread, here an event
     * loop, which answers nothing meanwhile: 0.5-0.6 ms at 6,144 entries, 8-9 ms at 49,152, 18-19 ms
     * at 98,304, about 190 ns an entry (measured alone; benchmarks/RESULTS.md, issue 9's fifth
     * session). A cache of up to this capacity is sized once and should not grow its table; the
     * table (4-byte slots, 1 1/3 to 2 2/3 of them for each entry) is about the one a full cache grows
     * to anyway. Above the limit the table still grows with the entries, so a very large capacity
     * that is never filled does not take memory up front.
     */
    static final int MAX_PRESIZED_ENTRIES = 1 << 17;

    /**
     * Entries a cache can hold beyond its capacity for a moment: Caffeine inserts into the map and
     * evicts afterwards, in its maintenance, and its write buffer holds up to 128 writes per CPU
     * before that maintenance must run (256 with the image's two CPUs).
     */
    static final int EVICTION_LAG_ENTRIES = 256;

    /** The entries a cache of {@code capacity} sizes its hash table for at the start. */
    static int presizedEntries(int capacity) {
        return capacity <= 0 ? 0 : Math.min(capacity, MAX_PRESIZED_ENTRIES) + EVICTION_LAG_ENTRIES;
    }

    /**
     * The bounds of one cache, both in one Caffeine weight: each entry weighs its estimated bytes,
     * but at least {@code unit = ceil(maxBytes / capacity)}, and the cache holds
     * {@code unit * capacity}. So it never holds more than {@code capacity} entries (each weighs at
     * least a unit: CoreDNS's meaning of the capacity), nor more than {@code maxBytes} (rounded up
     * to a multiple of the capacity, under {@code capacity} bytes more) of estimated entry bytes.
     * And its hash table sized for that capacity ({@link #presizedEntries}).
     */
    static Caffeine<QuestionKey, CachedAnswer> bounded(int capacity, long maxBytes) {
        long unit = Math.max(1, (maxBytes + Math.max(1, capacity) - 1) / Math.max(1, capacity));
        return Caffeine.newBuilder()
                .initialCapacity(presizedEntries(capacity))
                .maximumWeight(unit * capacity)
                .weigher((QuestionKey k, CachedAnswer v) -> (int) Math.max(unit, weightBytes(k, v)));
    }

    private static Cache<QuestionKey, CachedAnswer> build(int capacity, long maxBytes, Ticker ticker,
                                                          LongAdder evictions, LifetimeExpiry expiry) {
        return bounded(capacity, maxBytes)
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
                .expireAfter(expiry)
                .build();
    }

    public CachePolicy policy() {
        return policy;
    }

    /** The current time on the cache's ticker, for {@link CachedAnswer#ageSeconds}. */
    public long nowNanos() {
        return ticker.read();
    }

    /**
     * The entry held for {@code key}, or null: a fresh one, or with {@code serve_stale} possibly
     * one past its lifetime (see {@link CachedAnswer#isFresh}). {@code key} may be a scratch key.
     */
    public CachedAnswer get(QuestionKey key) {
        CachedAnswer hit = success.getIfPresent(key);
        return hit != null ? hit : denial.getIfPresent(key);
    }

    /**
     * Whether {@code answer} brings news about the name: RFC 8767 section 4 counts only NOERROR
     * and NXDOMAIN answers as refreshing cached data. A SERVFAIL, REFUSED or truncated answer says
     * nothing about the name, so it must not replace (or, with serve_stale, end) what is held.
     */
    public static boolean refreshesData(AnswerTemplate answer) {
        if (answer.truncated()) {
            return false;
        }
        ResponseKind kind = answer.kind();
        return kind == ResponseKind.SUCCESS || kind == ResponseKind.NODATA || kind == ResponseKind.NXDOMAIN;
    }

    /**
     * Stores {@code answer} if the policy gives it a lifetime, and returns the
     * entry the waiting clients should be answered from (with lifetime 0 when it
     * was not cached, which leaves its TTLs as they came). An answer that
     * {@link #refreshesData refreshes the data} but is not kept still removes what
     * was held for the key: it is out of date. With prefetch on, a new entry keeps
     * the hit count of the one it replaces (CoreDNS's doPrefetch does the same).
     *
     * @param key a stored key ({@link QuestionKey#copy()}), never a scratch key
     */
    public CachedAnswer put(QuestionKey key, AnswerTemplate answer) {
        long now = ticker.read();
        long lifetime = policy.lifetimeSeconds(key, answer);
        if (lifetime <= 0) {
            if (refreshesData(answer)) {
                forget(success, key);
                forget(denial, key);
            }
            return new CachedAnswer(answer, Long.MAX_VALUE, now);
        }
        HitFrequency hits = null;
        if (policy.prefetch().enabled()) {
            CachedAnswer previous = get(key);
            int carried = previous == null || previous.hits() == null ? 0 : previous.hits().hits();
            hits = new HitFrequency(now, carried);
        }
        CachedAnswer entry = new CachedAnswer(answer, lifetime, now, hits);
        if (answer.kind() == ResponseKind.SUCCESS) {
            forget(denial, key);
            success.put(key, entry);
        } else {
            forget(success, key);
            denial.put(key, entry);
        }
        return entry;
    }

    /**
     * Removes {@code key} from {@code cache} if it is there. Checked first because Caffeine's
     * removal allocates even for an absent key, and a key is rarely in the other cache; containsKey
     * neither allocates nor counts as a read.
     */
    private static void forget(Cache<QuestionKey, CachedAnswer> cache, QuestionKey key) {
        if (cache.asMap().containsKey(key)) {
            cache.invalidate(key);
        }
    }

    /**
     * Hands every entry held now, stale ones included, to {@code sink} one at a time, as a warm
     * restart saves them: key, lifetime, age on the cache's ticker, message bytes. Only the entry
     * being handed over is copied, so saving does not hold a second copy of the cache in heap.
     *
     * @param sink returns false to stop (the file is full)
     */
    public void forEachEntry(Predicate<WarmCacheFile.Entry> sink) {
        long now = ticker.read();
        for (Cache<QuestionKey, CachedAnswer> c : List.of(success, denial)) {
            for (Map.Entry<QuestionKey, CachedAnswer> held : c.asMap().entrySet()) {
                QuestionKey key = held.getKey();
                CachedAnswer entry = held.getValue();
                byte[] name = new byte[key.nameLength()];
                for (int i = 0; i < name.length; i++) {
                    name[i] = key.nameByte(i);
                }
                if (!sink.test(new WarmCacheFile.Entry(name, key.qtype(), key.qclass(), key.dnssecOk(),
                        key.checkingDisabled(), entry.lifetimeSeconds(), Math.max(0, now - entry.storedAtNanos()),
                        entry.template().messageCopy()))) {
                    return;
                }
            }
        }
    }

    /** Every entry held now ({@link #forEachEntry}), as a list: for tests. */
    List<WarmCacheFile.Entry> snapshot() {
        List<WarmCacheFile.Entry> out = new ArrayList<>();
        forEachEntry(out::add);
        return out;
    }

    /**
     * Puts back an entry a warm restart saved, {@code ageNanos} old now (its age when saved plus the
     * time nodedns was down): its TTLs are lowered by that age, and it expires (or leaves the
     * serve_stale window) when it would have had nodedns kept running. Caches nothing the policy
     * would not (an entry without lifetime, a disabled zone).
     *
     * @param key a stored key
     * @return false if the entry is past its lifetime and the serve_stale window, or not cacheable
     */
    public boolean restore(QuestionKey key, AnswerTemplate answer, long lifetimeSeconds, long ageNanos) {
        return restore(key, answer, lifetimeSeconds, ageNanos, false);
    }

    /**
     * {@link #restore(QuestionKey, AnswerTemplate, long, long)}, but only if the cache holds nothing
     * (fresh or stale) for {@code key}: a successor merging its predecessor's file keeps what it
     * fetched itself, which is newer.
     *
     * @return false also when the key was held
     */
    public boolean restoreIfAbsent(QuestionKey key, AnswerTemplate answer, long lifetimeSeconds, long ageNanos) {
        return restore(key, answer, lifetimeSeconds, ageNanos, true);
    }

    /** Whether an entry, fresh or stale, is held for {@code key}; records no hit or miss. */
    public boolean holds(QuestionKey key) {
        return success.asMap().containsKey(key) || denial.asMap().containsKey(key);
    }

    private boolean restore(QuestionKey key, AnswerTemplate answer, long lifetimeSeconds, long ageNanos,
                            boolean onlyIfAbsent) {
        if (lifetimeSeconds <= 0 || policy.lifetimeSeconds(key, answer) <= 0 || ageNanos < 0) {
            return false;
        }
        long lifetimeNanos = lifetimeSeconds * 1_000_000_000L;
        if (ageNanos >= lifetimeNanos + policy.stale().maxStaleNanos()) {
            return false;
        }
        long now = ticker.read();
        HitFrequency hits = policy.prefetch().enabled() ? new HitFrequency(now, 0) : null;
        CachedAnswer entry = new CachedAnswer(answer, lifetimeSeconds, now - ageNanos, hits);
        Cache<QuestionKey, CachedAnswer> target = answer.kind() == ResponseKind.SUCCESS ? success : denial;
        if (!onlyIfAbsent) {
            target.put(key, entry);
            return true;
        }
        // asMap() lookups record no hit or miss. putIfAbsent: an answer fetched between the check
        // and the put wins.
        Cache<QuestionKey, CachedAnswer> other = target == success ? denial : success;
        return !other.asMap().containsKey(key) && target.asMap().putIfAbsent(key, entry) == null;
    }

    /** An entry's estimated heap bytes: message, name, {@link #ENTRY_OVERHEAD_BYTES}. */
    static long weightBytes(QuestionKey key, CachedAnswer entry) {
        return (long) entry.template().length() + key.nameLength() + ENTRY_OVERHEAD_BYTES;
    }

    /** The positive cache's total weight now: estimated bytes, small entries counted as a unit. */
    public long successWeight() {
        return success.policy().eviction().orElseThrow().weightedSize().orElse(0);
    }

    /** The positive cache's bound in weight ({@link #successWeight()}). */
    public long successMaxWeight() {
        return success.policy().eviction().orElseThrow().getMaximum();
    }

    /** Live positive entries, stale ones included (approximate, as Caffeine counts). */
    public long successSize() {
        return success.estimatedSize();
    }

    /** Live denial entries, stale ones included (approximate). */
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

    /** An entry lives its lifetime, then {@code staleNanos} more (serve_stale; 0 without). */
    private static final class LifetimeExpiry implements Expiry<QuestionKey, CachedAnswer> {
        private final long staleNanos;

        LifetimeExpiry(long staleNanos) {
            this.staleNanos = staleNanos;
        }

        /**
         * Lifetime plus the stale window, less the entry's age at {@code currentTime}: 0 for a
         * fresh put, the time nodedns was down for an entry a warm restart put back.
         */
        private long expiresAfter(CachedAnswer value, long currentTime) {
            long lifetimeNanos = value.lifetimeSeconds() * 1_000_000_000L;
            long total = lifetimeNanos + staleNanos;
            // Saturate: a long serve_stale must not wrap around into "expired at once".
            if (total < lifetimeNanos) {
                return Long.MAX_VALUE;
            }
            long age = Math.max(0, currentTime - value.storedAtNanos());
            return Math.max(1, total - age);
        }

        @Override
        public long expireAfterCreate(QuestionKey key, CachedAnswer value, long currentTime) {
            return expiresAfter(value, currentTime);
        }

        @Override
        public long expireAfterUpdate(QuestionKey key, CachedAnswer value, long currentTime, long currentDuration) {
            return expiresAfter(value, currentTime);
        }

        @Override
        public long expireAfterRead(QuestionKey key, CachedAnswer value, long currentTime, long currentDuration) {
            return currentDuration;
        }
    }
}
