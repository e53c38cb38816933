package io.nodedns.upstream;

import io.netty.buffer.ByteBuf;

/**
 * Receives the outcome of an {@link Attempt}, exactly once, on the event loop of the channel
 * the attempt was sent on (which is also the loop of the forward that made it).
 */
interface AttemptListener {
    /**
     * A response matching the attempt's ID and question arrived; its ID is still the upstream
     * ID. Takes ownership of {@code response}.
     */
    void onResponse(Attempt attempt, ByteBuf response);

    /** The attempt ended without a response; {@code detail} says why, for the error message. */
    void onFailure(Attempt attempt, AttemptFailure kind, String detail);
}
