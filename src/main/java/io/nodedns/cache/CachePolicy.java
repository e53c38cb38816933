package io.nodedns.cache;

import io.nodedns.wire.AnswerTemplate;
import io.nodedns.wire.QuestionKey;
import java.util.Objects;

/**
 * How long an upstream answer may be served from the cache, following CoreDNS's
 * cache plugin: the answer's own TTL clamped to [min, max] of its class, with
 * separate capacities for positive (success) and negative (denial) entries.
 * All durations are whole seconds.
 *
 * @param successCapacity entries holding NOERROR answers with records
 * @param denialCapacity entries holding NXDOMAIN, NODATA and SERVFAIL answers
 * @param servfailTtl how long a SERVFAIL is cached, 0 = not at all (RFC 2308 §7.1 allows up to 5 minutes)
 * @param prefetch when popular entries are refreshed before they expire
 * @param stale how long entries are kept past their lifetime, and how they are then refreshed
 * @param disabled where answers of one kind are not cached
 * @param maxBytes the most bytes either of the two caches holds, estimated per entry
 *     ({@link ResponseCache}); each one's own bound is {@link #maxBytesFor} its capacity. The entry
 *     capacities keep CoreDNS's meaning, this bounds memory too
 */
public record CachePolicy(int successCapacity, long successMaxTtl, long successMinTtl,
                          int denialCapacity, long denialMaxTtl, long denialMinTtl, long servfailTtl,
                          PrefetchPolicy prefetch, StalePolicy stale, DisabledZones disabled, long maxBytes) {

    /**
     * The default byte bound of each of a block's two caches: 8 MiB. With CoreDNS's 9984 entries
     * that is 840 bytes an entry, above what a usual answer weighs (its message plus
     * {@link ResponseCache#ENTRY_OVERHEAD_BYTES}), so the entry capacity is what binds in normal use;
     * the byte bound only stops answers of many kilobytes (TCP answers may be 64 KiB) from taking
     * 9984 x 64 KiB = 650 MB. The reference Corefile's four blocks stay under 64 MiB in all.
     */
    public static final long DEFAULT_MAX_BYTES = 8L << 20;

    /**
     * The bytes an entry may weigh on average under the default bound at CoreDNS's default capacity
     * (8 MiB / 9984). A larger capacity gets as much per entry, so that {@code success 100000}
     * holds 100,000 usual answers, as in CoreDNS, instead of the ~25,000 that fit in 8 MiB.
     */
    public static final long DEFAULT_BYTES_PER_ENTRY = DEFAULT_MAX_BYTES / 9984;

    /** The default byte bound for these capacities: {@link #DEFAULT_BYTES_PER_ENTRY} each, at least 8 MiB. */
    public static long defaultMaxBytes(int successCapacity, int denialCapacity) {
        return Math.max(DEFAULT_MAX_BYTES, Math.max(successCapacity, denialCapacity) * DEFAULT_BYTES_PER_ENTRY);
    }

    /**
     * The byte bound of one cache of {@code capacity} entries: {@link #DEFAULT_BYTES_PER_ENTRY} an
     * entry, at least 8 MiB, never above {@link #maxBytes}; so the smaller of the two caches keeps
     * its own bound when the other one is large.
     */
    public long maxBytesFor(int capacity) {
        return Math.min(maxBytes, Math.max(DEFAULT_MAX_BYTES, capacity * DEFAULT_BYTES_PER_ENTRY));
    }

    /** As the canonical constructor, with {@link #defaultMaxBytes}. */
    public CachePolicy(int successCapacity, long successMaxTtl, long successMinTtl,
                       int denialCapacity, long denialMaxTtl, long denialMinTtl, long servfailTtl,
                       PrefetchPolicy prefetch, StalePolicy stale, DisabledZones disabled) {
        this(successCapacity, successMaxTtl, successMinTtl, denialCapacity, denialMaxTtl, denialMinTtl, servfailTtl,
                prefetch, stale, disabled, defaultMaxBytes(successCapacity, denialCapacity));
    }

    /** CoreDNS defaults: 9984 entries each, success TTL 5..3600 s, denial 5..1800 s, SERVFAIL 5 s. */
    public static CachePolicy coreDnsDefaults() {
        return new CachePolicy(9984, 3600, 5, 9984, 1800, 5, 5);
    }

    /** A policy without prefetch, serve_stale or disabled zones. */
    public CachePolicy(int successCapacity, long successMaxTtl, long successMinTtl,
                       int denialCapacity, long denialMaxTtl, long denialMinTtl, long servfailTtl) {
        this(successCapacity, successMaxTtl, successMinTtl, denialCapacity, denialMaxTtl, denialMinTtl, servfailTtl,
                PrefetchPolicy.OFF, StalePolicy.OFF, DisabledZones.NONE);
    }

    public CachePolicy {
        Objects.requireNonNull(prefetch, "prefetch");
        Objects.requireNonNull(stale, "stale");
        Objects.requireNonNull(disabled, "disabled");
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes must be positive: " + maxBytes);
        }
        if (successCapacity < 0 || denialCapacity < 0) {
            throw new IllegalArgumentException("capacities must be >= 0");
        }
        if (successMinTtl < 0 || successMaxTtl < 0 || denialMinTtl < 0 || denialMaxTtl < 0 || servfailTtl < 0) {
            throw new IllegalArgumentException("TTLs must be >= 0");
        }
    }

    /**
     * Seconds {@code answer} to {@code key} may be served from the cache: 0 in a zone where
     * {@code disable} turns off caching its kind, else {@link #lifetimeSeconds(AnswerTemplate)}.
     */
    public long lifetimeSeconds(QuestionKey key, AnswerTemplate answer) {
        return disabled.excludes(key, answer.kind()) ? 0 : lifetimeSeconds(answer);
    }

    /**
     * Seconds {@code answer} may be served from the cache; 0 means "do not cache".
     * Truncated answers are never cached (the client must get the full one over
     * TCP); negative answers without an SOA are not cached (RFC 2308 §5).
     */
    public long lifetimeSeconds(AnswerTemplate answer) {
        if (answer.truncated()) {
            return 0;
        }
        switch (answer.kind()) {
            case SUCCESS:
                return clamp(answer.minTtl(), successMinTtl, successMaxTtl);
            case NXDOMAIN:
            case NODATA:
                return answer.negativeTtl() < 0 ? 0 : clamp(answer.negativeTtl(), denialMinTtl, denialMaxTtl);
            case SERVFAIL:
                return servfailTtl;
            default:
                return 0;
        }
    }

    /**
     * Raise to min, then lower to max: with {@code cache 3} (max 3 below the default
     * min 5) the max wins, as in CoreDNS's computeTTL.
     */
    private static long clamp(long ttl, long min, long max) {
        long t = Math.max(ttl, min);
        return Math.min(t, max);
    }
}
