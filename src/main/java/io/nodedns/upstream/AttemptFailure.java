package io.nodedns.upstream;

/** Why one attempt (one query on one channel to one upstream) ended without a response. */
enum AttemptFailure {
    /** No matching response within the attempt's timeout. Counts against the upstream's health. */
    TIMEOUT(true),
    /** The connection could not be opened (refused, unreachable, ICMP port unreachable). Counts. */
    CONNECT(true),
    /**
     * The connection closed (by the upstream, or after a write error) with the query in flight.
     * Retried on another connection to the same upstream, up to twice (both of a loop's TCP
     * connections may have died together), before it counts (CoreDNS retries a cached connection
     * the upstream closed, too).
     */
    CLOSED(true),
    /** Our own doing: the forwarder is closing, or every local channel is at its in-flight cap. */
    LOCAL(false);

    private final boolean countsAgainstUpstream;

    AttemptFailure(boolean countsAgainstUpstream) {
        this.countsAgainstUpstream = countsAgainstUpstream;
    }

    boolean countsAgainstUpstream() {
        return countsAgainstUpstream;
    }
}
