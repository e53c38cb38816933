package io.nodedns.upstream;

import io.netty.buffer.ByteBuf;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One {@link Forwarder#forward} in progress: tries the upstreams in policy order, each at most
 * once (plus up to two retries on another connection if its connection closed under the query, and a
 * retry over TCP after a truncated UDP answer), each attempt bounded by the try timeout and all
 * of it by the deadline. Completes {@link #result} exactly once.
 *
 * <p>Threading: confined to its home event loop, the loop whose channel pools it uses, so
 * attempts report back on the same thread without handoff.
 *
 * <p>Ownership: holds one reference to {@link #query} (a private copy) until it completes;
 * each attempt holds another of its own.
 */
final class ForwardRequest implements AttemptListener {
    private static final Logger LOG = Logger.getLogger(ForwardRequest.class.getName());

    final CompletableFuture<ByteBuf> result = new CompletableFuture<>();
    private final Forwarder forwarder;
    private final int loopIndex;
    /** Owned; replaced once by a copy without its OPT if an upstream rejects EDNS. */
    private ByteBuf query;
    private final int callerId;
    private final int questionLength;
    private final boolean startWithTcp;

    private List<UpstreamProxy> order;
    private int nextUpstream;
    private UpstreamProxy upstream;
    /**
     * Retries on the same upstream after its connection closed under the query. Two, because
     * a loop holds up to two connections to an upstream and both may have died together (seen
     * under load as ENOTCONN on write); the second retry then gets a fresh connection.
     */
    private static final int MAX_CLOSED_RETRIES = 2;
    private int closedRetries;
    private Attempt attempt;
    /** When {@link #attempt} was sent, for {@code coredns_proxy_request_duration_seconds}. */
    private long attemptStartNanos;
    /**
     * When the forward gives up. No timer of its own: every attempt's timeout ends at the deadline
     * at the latest ({@link #send}), and the attempt's failure then ends the forward here; one
     * timer per miss instead of two.
     */
    private long deadlineNanos;
    private StringBuilder failures;
    private boolean done;
    private boolean ednsDropped;

    /** Takes ownership of {@code query}, a copy whose header starts at index 0. */
    ForwardRequest(Forwarder forwarder, int loopIndex, ByteBuf query, int questionLength,
                   boolean startWithTcp) {
        this.forwarder = forwarder;
        this.loopIndex = loopIndex;
        this.query = query;
        this.callerId = DnsMessages.id(query);
        this.questionLength = questionLength;
        this.startWithTcp = startWithTcp;
    }

    /** Runs on the home loop. */
    void start() {
        try {
            if (forwarder.isClosed()) {
                fail("forwarder closed");
                return;
            }
            deadlineNanos = forwarder.nanoTime() + forwarder.settings().deadline().toNanos();
            order = forwarder.nextOrder();
            tryNextUpstream();
        } catch (RuntimeException bug) {
            LOG.log(Level.SEVERE, "forward " + forwarder.name() + " failed unexpectedly", bug);
            fail("internal error: " + bug);
        }
    }

    /** Completes without trying anything, e.g. when the home loop rejected {@link #start()}. */
    void abort(String reason) {
        fail(reason);
    }

    private void tryNextUpstream() {
        if (done) {
            return;
        }
        if (result.isDone()) {
            // Cancelled by the caller: stop trying, just clean up.
            done = true;
            cleanUp();
            return;
        }
        if (forwarder.isClosed()) {
            fail("forwarder closed");
            return;
        }
        if (deadlineNanos - forwarder.nanoTime() <= 0) {
            onDeadline();
            return;
        }
        if (nextUpstream >= order.size()) {
            fail("all upstreams failed");
            return;
        }
        upstream = order.get(nextUpstream++);
        closedRetries = 0;
        send(startWithTcp);
    }

    private void send(boolean tcp) {
        long remaining = deadlineNanos - forwarder.nanoTime();
        if (remaining <= 0) {
            onDeadline();
            return;
        }
        long timeout = Math.min(forwarder.settings().tryTimeout().toNanos(), remaining);
        Attempt next = new Attempt(query.retain(), questionLength, timeout, tcp, upstream, this);
        attempt = next;
        attemptStartNanos = forwarder.nanoTime();
        upstream.stats().attempts.increment();
        // May report a failure before returning; onFailure then moves on by itself.
        upstream.pool(loopIndex, tcp).send(next);
    }

    @Override
    public void onResponse(Attempt finished, ByteBuf response) {
        if (finished != attempt || done) {
            response.release();
            return;
        }
        attempt = null;
        upstream.recordSuccess();
        upstream.stats().recordResponse(DnsMessages.rcode(response), forwarder.nanoTime() - attemptStartNanos);
        if (!finished.tcp && DnsMessages.isTruncated(response)) {
            // RFC 7766 §5 (and RFC 1035 §4.2.1): a truncated UDP answer is retried over TCP.
            response.release();
            upstream.stats().truncatedRetries.increment();
            send(true);
            return;
        }
        if (!ednsDropped && DnsMessages.rejectsEdns(response) && DnsMessages.hasAdditional(query)) {
            // RFC 6891 §7: FORMERR or NOTIMP without an OPT means the responder does not speak
            // EDNS; ask it again without the OPT rather than hand the client our problem.
            response.release();
            ednsDropped = true;
            ByteBuf plain = DnsMessages.withoutAdditional(query, questionLength);
            query.release();
            query = plain;
            send(finished.tcp);
            return;
        }
        response.setShort(0, callerId);
        done = true;
        cleanUp();
        if (!result.complete(response)) {
            response.release();
        }
    }

    @Override
    public void onFailure(Attempt finished, AttemptFailure kind, String detail) {
        if (finished != attempt || done) {
            return;
        }
        attempt = null;
        noteFailure(finished, detail);
        if (kind == AttemptFailure.TIMEOUT && finished.timeoutNanos < forwarder.settings().tryTimeout().toNanos()) {
            // Its timeout was cut to the deadline: the forward's time is up, which says nothing
            // against the upstream (it might have had the full try timeout left).
            onDeadline();
            return;
        }
        if (kind == AttemptFailure.CLOSED && closedRetries < MAX_CLOSED_RETRIES && !forwarder.isClosed()) {
            closedRetries++;
            send(finished.tcp);
            return;
        }
        if (kind.countsAgainstUpstream()) {
            upstream.recordFailure(kind, detail);
        }
        tryNextUpstream();
    }

    private void onDeadline() {
        if (!done) {
            fail("deadline of " + forwarder.settings().deadline().toMillis() + " ms exceeded");
        }
    }

    private void noteFailure(Attempt finished, String detail) {
        if (failures == null) {
            failures = new StringBuilder();
        } else {
            failures.append("; ");
        }
        failures.append(finished.describe()).append(": ").append(detail);
    }

    private void fail(String reason) {
        if (done) {
            return;
        }
        done = true;
        cleanUp();
        forwarder.stats().failedForwards.increment();
        StringBuilder message = new StringBuilder("forward ").append(forwarder.name()).append(": ").append(reason);
        if (failures != null) {
            message.append(" (").append(failures).append(')');
        }
        result.completeExceptionally(new UpstreamException(message.toString()));
    }

    /** Releases everything this forward holds; runs once, when it completes. */
    private void cleanUp() {
        if (attempt != null) {
            Attempt pending = attempt;
            attempt = null;
            pending.cancel();
        }
        query.release();
        forwarder.onForwardFinished();
    }
}
