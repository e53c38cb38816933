package io.nodedns.server;

import java.util.concurrent.atomic.LongAdder;

/**
 * What the query pipeline counts, for logs, tests and the metrics endpoint.
 * LongAdder fields, so counting on the hot path never contends or allocates.
 */
public final class QueryCounters {
    /** Messages shorter than a header (nothing could be answered). */
    public final LongAdder droppedShort = new LongAdder();
    /** Messages with QR=1 sent to the listener. */
    public final LongAdder droppedResponses = new LongAdder();
    public final LongAdder formerr = new LongAdder();
    public final LongAdder notimp = new LongAdder();
    public final LongAdder badvers = new LongAdder();
    /** Names no server block covers, and max_concurrent rejections. */
    public final LongAdder refused = new LongAdder();
    /** Names a block covers but cannot forward (no forward, or outside its FROM): SERVFAIL. */
    public final LongAdder unserved = new LongAdder();
    /**
     * SERVFAIL sent because no upstream gave a usable answer in time (not SERVFAILs
     * relayed from upstream): timeouts, malformed answers, extended RCODEs.
     */
    public final LongAdder upstreamFailures = new LongAdder();
    /**
     * Misses answered at once (stale, else SERVFAIL) because {@link PendingQueries#limit()} queries
     * already waited or the flight for the name had {@code BlockResolver}'s most waiters.
     */
    public final LongAdder overloaded = new LongAdder();
    /** Upstream responses that could not be parsed. */
    public final LongAdder upstreamMalformed = new LongAdder();
    /** Misses that joined an upstream query already in flight for the same key. */
    public final LongAdder coalesced = new LongAdder();
    /** UDP answers sent with TC=1 because they exceeded the client's size. */
    public final LongAdder truncated = new LongAdder();
    /** TCP connections closed for a bad or oversized frame, or refused over the connection cap. */
    public final LongAdder tcpRejected = new LongAdder();
    /** Answers {@code autopath} made: a CNAME from the asked name to the first search name that exists. */
    public final LongAdder autopathAnswers = new LongAdder();
    /**
     * Queries the clients of those answers did not have to send: the search names after the asked
     * one up to the one found.
     */
    public final LongAdder autopathQueriesSaved = new LongAdder();
    /** AAAA queries {@code filter_aaaa} answered NODATA. */
    public final LongAdder filteredAaaa = new LongAdder();
}
