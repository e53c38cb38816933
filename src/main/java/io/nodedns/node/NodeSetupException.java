package io.nodedns.node;

/** A node setup that cannot go ahead; the message is the operator's whole explanation. */
public final class NodeSetupException extends Exception {
    private static final long serialVersionUID = 1L;

    public NodeSetupException(String message) {
        super(message);
    }
}
