package io.nodedns.cache;

/**
 * CoreDNS cache's {@code serve_stale [DURATION] [REFRESH_MODE]} (RFC 8767, "Serving Stale Data to
 * Improve DNS Resiliency"): entries are kept {@code maxStaleNanos} past their lifetime, and such a
 * stale entry answers when the upstream cannot be asked or does not answer in time.
 *
 * @param maxStaleNanos how long past its lifetime an entry may still answer; 0 turns serving
 *     stale off (CoreDNS: {@code staleUpTo > 0})
 * @param refresh when the upstream is asked for a stale entry
 * @param answerTtlSeconds the TTL of every record of a stale answer ({@code serve_stale_ttl});
 *     {@link #STALE_TTL_SECONDS} by default
 * @param nxdomain whether an NXDOMAIN may replace a positive entry ({@code serve_stale_nxdomain})
 */
public record StalePolicy(long maxStaleNanos, Refresh refresh, long answerTtlSeconds, Nxdomain nxdomain) {
    /**
     * The default TTL of every record of a stale answer. RFC 8767 section 4 recommends 30 seconds:
     * long enough that a client does not come straight back while the upstream is failing, short
     * enough that it soon retries. (CoreDNS answers stale with TTL 0.)
     */
    public static final long STALE_TTL_SECONDS = 30;

    /** The largest {@code serve_stale_ttl}: a stale answer must not outlive the outage by much. */
    public static final long MAX_ANSWER_TTL_SECONDS = 3600;

    /** Serves nothing stale. */
    public static final StalePolicy OFF = new StalePolicy(0, Refresh.IMMEDIATE);

    /** CoreDNS's REFRESH_MODE. */
    public enum Refresh {
        /** Answer from the stale entry at once and refresh it in the background (CoreDNS's default). */
        IMMEDIATE,
        /**
         * Ask the upstream first; answer from the stale entry only if the upstream fails, times out,
         * or answers with something other than NOERROR or NXDOMAIN (RFC 8767 section 4: only those
         * refresh the data).
         */
        VERIFY
    }

    /**
     * What an NXDOMAIN from the upstream does to a positive entry held for the same question while
     * serve_stale is on.
     */
    public enum Nxdomain {
        /**
         * The default: the positive entry stays and answers (as a hit while fresh, stale after), the
         * NXDOMAIN is treated as a failure to refresh, and the entry is retried after the failure
         * recheck backoff. Past its serve_stale window the entry is gone and the NXDOMAIN is cached
         * as usual. Why: a kube-dns pod that answers before its informers have synced, or a
         * restarted upstream, answers NXDOMAIN for names that exist; RFC 8767 section 5's method
         * ("failure recheck timer") keeps serving the stale data while refreshes fail, and for a
         * node cache a wrong NXDOMAIN is a hard outage of that name for every pod on the node,
         * while a stale address is at worst the one it was a minute ago.
         */
        KEEP_POSITIVE,
        /**
         * RFC 8767 section 4 to the letter: an NXDOMAIN refreshes the data, so it replaces the
         * positive entry at once (a deleted Service stops resolving as soon as kube-dns says so).
         */
        REPLACE
    }

    /** With the default stale answer TTL and {@link Nxdomain#KEEP_POSITIVE}. */
    public StalePolicy(long maxStaleNanos, Refresh refresh) {
        this(maxStaleNanos, refresh, STALE_TTL_SECONDS, Nxdomain.KEEP_POSITIVE);
    }

    public StalePolicy {
        if (maxStaleNanos < 0) {
            throw new IllegalArgumentException("maxStaleNanos must be >= 0: " + maxStaleNanos);
        }
        if (refresh == null) {
            throw new NullPointerException("refresh");
        }
        if (answerTtlSeconds < 0 || answerTtlSeconds > MAX_ANSWER_TTL_SECONDS) {
            throw new IllegalArgumentException("answerTtlSeconds must be 0.." + MAX_ANSWER_TTL_SECONDS + ": "
                    + answerTtlSeconds);
        }
        if (nxdomain == null) {
            throw new NullPointerException("nxdomain");
        }
    }

    public boolean enabled() {
        return maxStaleNanos > 0;
    }

    /** Whether a positive entry survives an NXDOMAIN for its question (serve_stale on, {@link Nxdomain#KEEP_POSITIVE}). */
    public boolean keepsPositiveOnNxdomain() {
        return enabled() && nxdomain == Nxdomain.KEEP_POSITIVE;
    }
}
