package io.nodedns.server;

import io.nodedns.wire.DnsTypes;
import io.nodedns.wire.QuestionKey;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * The {@code errors} directive: one log line per failed query, like CoreDNS's
 * {@code [ERROR] plugin/errors: 2 name. A: cause}, at most one line per second
 * so that a dead upstream under load cannot flood the log; the lines held back
 * are counted in the next one.
 */
public final class ErrorLog {
    private static final Logger LOG = Logger.getLogger("io.nodedns.errors");
    private static final long INTERVAL_NANOS = 1_000_000_000L;

    private final LongSupplier nanoClock;
    private long lastNanos;
    private boolean logged;
    private long suppressed;

    public ErrorLog(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
    }

    void log(String block, QuestionKey key, int rcode, Throwable cause) {
        long held;
        synchronized (this) {
            long now = nanoClock.getAsLong();
            if (logged && now - lastNanos < INTERVAL_NANOS) {
                suppressed++;
                return;
            }
            logged = true;
            lastNanos = now;
            held = suppressed;
            suppressed = 0;
        }
        LOG.warning(String.format("[ERROR] %s: %d %s %s: %s%s", block, rcode, key.nameText(),
                DnsTypes.name(key.qtype()),
                cause.getMessage() != null ? cause.getMessage() : cause.toString(),
                held > 0 ? " (" + held + " similar errors not logged)" : ""));
    }
}
