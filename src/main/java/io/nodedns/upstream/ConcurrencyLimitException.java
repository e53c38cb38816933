package io.nodedns.upstream;

/**
 * A forward was refused because {@code max_concurrent} forwards were already in flight.
 * The server answers REFUSED, as CoreDNS does. Thrown often under overload, so it carries
 * no stack trace.
 */
public final class ConcurrencyLimitException extends Exception {
    private static final long serialVersionUID = 1L;

    public ConcurrencyLimitException(String message) {
        super(message, null, false, false);
    }
}
