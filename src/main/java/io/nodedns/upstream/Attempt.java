package io.nodedns.upstream;

import io.netty.buffer.ByteBuf;
import java.util.concurrent.ScheduledFuture;

/**
 * One query sent to one upstream over one transport: a forward makes one per upstream it
 * tries (plus retries), a health check one per probe. Confined to the event loop of the
 * channel it is sent on.
 *
 * <p>Ownership: an attempt owns one reference to {@link #query} from construction until it
 * finishes (response, failure or discard), which releases it exactly once. It therefore stays
 * readable for the channel (framing, question matching) even after the forward that made the
 * attempt has completed and released its own reference.
 */
final class Attempt {
    /** The query as the forward holds it (ID field meaningless here); index 0 is the header. */
    final ByteBuf query;
    final int questionLength;
    final long timeoutNanos;
    final boolean tcp;
    final UpstreamProxy upstream;
    private final AttemptListener listener;

    private UpstreamChannel channel;
    private int upstreamId = -1;
    private ScheduledFuture<?> timer;
    private boolean finished;

    /** Takes ownership of one reference to {@code query}. */
    Attempt(ByteBuf query, int questionLength, long timeoutNanos, boolean tcp, UpstreamProxy upstream,
            AttemptListener listener) {
        this.query = query;
        this.questionLength = questionLength;
        this.timeoutNanos = timeoutNanos;
        this.tcp = tcp;
        this.upstream = upstream;
        this.listener = listener;
    }

    /** Called by the channel that accepted the attempt, with the ID it allocated and its timer. */
    void assign(UpstreamChannel acceptingChannel, int id, ScheduledFuture<?> timeoutTimer) {
        this.channel = acceptingChannel;
        this.upstreamId = id;
        this.timer = timeoutTimer;
    }

    int upstreamId() {
        return upstreamId;
    }

    /** Delivers a matched response; takes ownership of it (released if already finished). */
    void succeed(ByteBuf response) {
        if (finish()) {
            listener.onResponse(this, response);
        } else {
            response.release();
        }
    }

    void fail(AttemptFailure kind, String detail) {
        if (finish()) {
            listener.onFailure(this, kind, detail);
        }
    }

    /**
     * Withdraws the attempt because its forward no longer needs it: removes it from its
     * channel (so no in-flight entry or timer is left behind) without notifying the listener.
     */
    void cancel() {
        if (finished) {
            return;
        }
        if (channel != null) {
            channel.cancel(this);
        }
        finish();
    }

    private boolean finish() {
        if (finished) {
            return false;
        }
        finished = true;
        if (timer != null) {
            timer.cancel(false);
        }
        query.release();
        return true;
    }

    String describe() {
        return upstream.address() + (tcp ? "/tcp" : "/udp");
    }
}
