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
 * @param prefetch        when popular entries are refreshed before they expire; {@link Prefetch#OFF} by default
 * @param serveStale      how long expired entries may still answer; {@link ServeStale#OFF} by default
 * @param successDisabledZones zones whose positive answers are not cached ({@code disable success})
 * @param denialDisabledZones  zones whose denials (and SERVFAILs) are not cached ({@code disable denial})
 */
public record CacheSettings(
        List<String> zones,
        int successCapacity,
        Duration successMaxTtl,
        Duration successMinTtl,
        int denialCapacity,
        Duration denialMaxTtl,
        Duration denialMinTtl,
        Duration servfailTtl,
        Prefetch prefetch,
        ServeStale serveStale,
        List<String> successDisabledZones,
        List<String> denialDisabledZones) {

    /** CoreDNS: 256 shards of 39 entries. */
    public static final int DEFAULT_CAPACITY = 9984;
    public static final Duration DEFAULT_SUCCESS_MAX_TTL = Duration.ofSeconds(3600);
    public static final Duration DEFAULT_DENIAL_MAX_TTL = Duration.ofSeconds(1800);
    public static final Duration DEFAULT_MIN_TTL = Duration.ofSeconds(5);
    public static final Duration DEFAULT_SERVFAIL_TTL = Duration.ofSeconds(5);
    /** RFC 2308 section 7.1: a server failure MUST NOT be cached for longer than five minutes. */
    public static final Duration MAX_SERVFAIL_TTL = Duration.ofMinutes(5);

    /**
     * {@code prefetch AMOUNT [[DURATION] [PERCENTAGE%]]}: an entry hit {@code amount} times with no
     * gap of more than {@code duration} between the hits is refreshed when {@code percentage}
     * percent of its TTL is left.
     *
     * @param amount     hits that make an entry popular; 0 turns prefetch off, as in CoreDNS
     * @param duration   the longest gap between hits; default 1m
     * @param percentage of the TTL left when the entry is refreshed, 10 to 90; default 10
     */
    public record Prefetch(int amount, Duration duration, int percentage) {
        public static final Duration DEFAULT_DURATION = Duration.ofMinutes(1);
        public static final int DEFAULT_PERCENTAGE = 10;
        /** CoreDNS refuses percentages outside [10, 90]. */
        public static final int MIN_PERCENTAGE = 10;
        public static final int MAX_PERCENTAGE = 90;
        /** No {@code prefetch} line. */
        public static final Prefetch OFF = new Prefetch(0, DEFAULT_DURATION, DEFAULT_PERCENTAGE);

        public Prefetch {
            if (amount < 0) {
                throw new IllegalArgumentException("prefetch amount must not be negative: " + amount);
            }
            requirePositive(duration, "prefetch duration");
            if (percentage < MIN_PERCENTAGE || percentage > MAX_PERCENTAGE) {
                throw new IllegalArgumentException("prefetch percentage must be 10 to 90: " + percentage);
            }
        }

        public boolean enabled() {
            return amount > 0;
        }
    }

    /**
     * {@code serve_stale [DURATION] [REFRESH_MODE]} (RFC 8767): expired entries are kept
     * {@code duration} longer and may answer while the upstream cannot; with nodedns's
     * {@code serve_stale_ttl DURATION} and {@code serve_stale_nxdomain keep|replace} lines.
     *
     * @param duration    how long past expiry an entry may answer; default 1h, zero turns it off
     * @param refreshMode when the upstream is asked for a stale entry; default immediate
     * @param answerTtl   the TTL of the records of a stale answer, whole seconds, 0 to 1h; default 30s
     *                    (RFC 8767 section 4)
     * @param nxdomain    what an NXDOMAIN does to a positive entry; default {@link Nxdomain#KEEP}
     */
    public record ServeStale(Duration duration, RefreshMode refreshMode, Duration answerTtl, Nxdomain nxdomain) {
        public static final Duration DEFAULT_DURATION = Duration.ofHours(1);
        public static final Duration DEFAULT_ANSWER_TTL = Duration.ofSeconds(30);
        public static final Duration MAX_ANSWER_TTL = Duration.ofHours(1);
        /** No {@code serve_stale} line. */
        public static final ServeStale OFF = new ServeStale(Duration.ZERO, RefreshMode.IMMEDIATE);

        /** CoreDNS's REFRESH_MODE words. */
        public enum RefreshMode {
            /** Answer stale at once, refresh in the background. */
            IMMEDIATE,
            /** Ask the upstream first; answer stale only if it fails. */
            VERIFY
        }

        /** {@code serve_stale_nxdomain keep|replace}. */
        public enum Nxdomain {
            /** A positive entry is not replaced by an NXDOMAIN while it may still answer. */
            KEEP,
            /** An NXDOMAIN replaces a positive entry at once (RFC 8767 section 4). */
            REPLACE
        }

        /** With the default answer TTL and {@link Nxdomain#KEEP}. */
        public ServeStale(Duration duration, RefreshMode refreshMode) {
            this(duration, refreshMode, DEFAULT_ANSWER_TTL, Nxdomain.KEEP);
        }

        public ServeStale {
            requireNonNegative(duration, "serve_stale duration");
            Objects.requireNonNull(refreshMode, "refreshMode");
            requireNonNegative(answerTtl, "serve_stale_ttl");
            if (answerTtl.compareTo(MAX_ANSWER_TTL) > 0 || answerTtl.toNanosPart() != 0) {
                throw new IllegalArgumentException("serve_stale_ttl must be whole seconds up to 1h: " + answerTtl);
            }
            Objects.requireNonNull(nxdomain, "nxdomain");
        }

        public boolean enabled() {
            return !duration.isZero();
        }

        public ServeStale withAnswerTtl(Duration ttl) {
            return new ServeStale(duration, refreshMode, ttl, nxdomain);
        }

        public ServeStale withNxdomain(Nxdomain mode) {
            return new ServeStale(duration, refreshMode, answerTtl, mode);
        }
    }

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
        Objects.requireNonNull(prefetch, "prefetch");
        Objects.requireNonNull(serveStale, "serveStale");
        successDisabledZones = List.copyOf(successDisabledZones);
        denialDisabledZones = List.copyOf(denialDisabledZones);
    }

    /** Settings without prefetch, serve_stale or disable lines. */
    public CacheSettings(List<String> zones, int successCapacity, Duration successMaxTtl, Duration successMinTtl,
                         int denialCapacity, Duration denialMaxTtl, Duration denialMinTtl, Duration servfailTtl) {
        this(zones, successCapacity, successMaxTtl, successMinTtl, denialCapacity, denialMaxTtl, denialMinTtl,
                servfailTtl, Prefetch.OFF, ServeStale.OFF, List.of(), List.of());
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
