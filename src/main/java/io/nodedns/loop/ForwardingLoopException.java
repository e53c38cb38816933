package io.nodedns.loop;

/**
 * Why a looped probe was not forwarded again: the block answers it SERVFAIL at once (the
 * server maps any forward failure but the {@code max_concurrent} one to SERVFAIL).
 */
public final class ForwardingLoopException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ForwardingLoopException(String message) {
        super(message, null, false, false);
    }
}
