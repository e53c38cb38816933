package io.nodedns.cache;

/**
 * CoreDNS cache's {@code serve_stale [DURATION] [REFRESH_MODE]} (RFC 8767, "Serving Stale Data to
 * Improve DNS Resiliency"): entries are kept {@code maxStaleNanos} past their lifetime, and such a
 * stale entry answers when the upstream cannot be asked or does not answer in time.
 *
 * @param maxStaleNanos how long past its lifetime an entry may still answer; 0 turns serving
 *     stale off (CoreDNS: {@code staleUpTo > 0})
 * @param refresh when the upstream is asked for a stale entry
 */
public record StalePolicy(long maxStaleNanos, Refresh refresh) {
    /**
     * The TTL of every record of a stale answer. RFC 8767 section 4 recommends 30 seconds: long
     * enough that a client does not come straight back while the upstream is failing, short enough
     * that it soon retries. (CoreDNS answers stale with TTL 0.)
     */
    public static final long STALE_TTL_SECONDS = 30;

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

    public StalePolicy {
        if (maxStaleNanos < 0) {
            throw new IllegalArgumentException("maxStaleNanos must be >= 0: " + maxStaleNanos);
        }
        if (refresh == null) {
            throw new NullPointerException("refresh");
        }
    }

    public boolean enabled() {
        return maxStaleNanos > 0;
    }
}
