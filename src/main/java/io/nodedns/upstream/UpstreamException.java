package io.nodedns.upstream;

/**
 * A forward got no usable answer: every upstream it tried failed, the deadline passed,
 * or the forwarder was closed. The message names each upstream tried and why it failed;
 * the server answers SERVFAIL.
 */
public final class UpstreamException extends Exception {
    private static final long serialVersionUID = 1L;

    public UpstreamException(String message) {
        super(message);
    }
}
