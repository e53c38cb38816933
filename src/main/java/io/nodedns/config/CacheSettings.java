package io.nodedns.config;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The {@code cache} directive: how many responses to keep and for how long.
 *
 * <p>A response is kept for its own TTL (the smallest TTL in it; for a denial, the SOA minimum,
 * RFC 2308 section 5) raised to the minimum and then capped at the maximum, so the maximum wins if
 * a Corefile sets it below the minimum ({@code cache 3} keeps the default minimum of 5 s and caches
 * for 3 s), as in CoreDNS's {@code computeTTL}.
 *
 * @param zones           zones whose answers are cached (lower-case FQDNs); defaults to the block's
 * @param successCapacity most positive responses kept (NOERROR with answers); CoreDNS default 9984
 * @param successMaxTtl   upper bound on a positive response's lifetime; default 3600 s
 * @param successMinTtl   lower bound on a positive response's lifetime; default 5 s
 * @param denialCapacity  most denial responses kept (NXDOMAIN, NODATA); default 9984
 * @param denialMaxTtl    upper bound on a denial's lifetime; default 1800 s
 * @param denialMinTtl    lower bound on a denial's lifetime; default 5 s
 * @param servfailTtl     how long a SERVFAIL is cached (RFC 2308 section 7.1 allows at most 5 minutes);
 *                        default 5 s, zero disables
 */
public record CacheSettings(
        List<String> zones,
        int successCapacity,
        Duration successMaxTtl,
        Duration successMinTtl,
        int denialCapacity,
        Duration denialMaxTtl,
        Duration denialMinTtl,
        Duration servfailTtl) {

    /** CoreDNS: 256 shards of 39 entries. */
    public static final int DEFAULT_CAPACITY = 9984;
    public static final Duration DEFAULT_SUCCESS_MAX_TTL = Duration.ofSeconds(3600);
    public static final Duration DEFAULT_DENIAL_MAX_TTL = Duration.ofSeconds(1800);
    public static final Duration DEFAULT_MIN_TTL = Duration.ofSeconds(5);
    public static final Duration DEFAULT_SERVFAIL_TTL = Duration.ofSeconds(5);
    /** RFC 2308 section 7.1: a server failure MUST NOT be cached for longer than five minutes. */
    public static final Duration MAX_SERVFAIL_TTL = Duration.ofMinutes(5);

    public CacheSettings {
        zones = List.copyOf(zones);
        if (zones.isEmpty()) {
            throw new IllegalArgumentException("cache needs at least one zone");
        }
        requirePositive(successCapacity, "successCapacity");
        requirePositive(denialCapacity, "denialCapacity");
        requirePositive(successMaxTtl, "successMaxTtl");
        requirePositive(denialMaxTtl, "denialMaxTtl");
        requireNonNegative(successMinTtl, "successMinTtl");
        requireNonNegative(denialMinTtl, "denialMinTtl");
        requireNonNegative(servfailTtl, "servfailTtl");
        if (servfailTtl.compareTo(MAX_SERVFAIL_TTL) > 0) {
            throw new IllegalArgumentException("servfailTtl over 5 minutes: " + servfailTtl);
        }
    }

    /** What a bare {@code cache} line in a block serving {@code zones} means. */
    public static CacheSettings defaults(List<String> zones) {
        return new CacheSettings(zones, DEFAULT_CAPACITY, DEFAULT_SUCCESS_MAX_TTL, DEFAULT_MIN_TTL,
                DEFAULT_CAPACITY, DEFAULT_DENIAL_MAX_TTL, DEFAULT_MIN_TTL, DEFAULT_SERVFAIL_TTL);
    }

    private static void requirePositive(int value, String name) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive: " + value);
        }
    }

    private static void requirePositive(Duration value, String name) {
        Objects.requireNonNull(value, name);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be positive: " + value);
        }
    }

    private static void requireNonNegative(Duration value, String name) {
        Objects.requireNonNull(value, name);
        if (value.isNegative()) {
            throw new IllegalArgumentException(name + " must not be negative: " + value);
        }
    }
}
