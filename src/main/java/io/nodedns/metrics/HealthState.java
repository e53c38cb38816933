package io.nodedns.metrics;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The process's health and readiness, as {@code /health} ({@link HealthEndpoint}) and
 * {@code /ready} ({@link ReadyEndpoint}) report them. Thread-safe: the daemon writes from its
 * start and stop code, the HTTP thread reads.
 *
 * <p>Readiness is a set of named conditions (a listener bound, node networking in place...), each
 * ready or not; the process is ready when every registered condition is, and when none is
 * registered (CoreDNS's ready plugin with no plugin reporting readiness answers 200 too). Unlike
 * CoreDNS's default {@code monitor until-ready}, a condition may become not ready again.
 *
 * <p>{@link #markStopping()} turns both {@code /ready} and {@code /health} to 503 for the lameduck
 * period, while DNS is still answered. CoreDNS 1.5 and later keep {@code /health} at 200 there and
 * turn only {@code /ready} off; nodedns reports the stop on both (see {@link HealthEndpoint}), a
 * deliberate difference. Both stop answering when their listener closes after the lameduck.
 */
public final class HealthState {
    private final Map<String, Boolean> conditions = new ConcurrentHashMap<>();
    private volatile boolean stopping;

    /** Registers {@code what} as ready, or marks it ready again. */
    public void ready(String what) {
        conditions.put(what, Boolean.TRUE);
    }

    /** Registers {@code what} as not ready, or marks it not ready again. */
    public void notReady(String what) {
        conditions.put(what, Boolean.FALSE);
    }

    /** From now on {@code /ready} answers 503 "Shutting down"; there is no way back. */
    public void markStopping() {
        stopping = true;
    }

    public boolean isStopping() {
        return stopping;
    }

    /** Whether every registered condition is ready and no stop has begun. */
    public boolean isReady() {
        return !stopping && notReadyConditions().isEmpty();
    }

    /** The registered conditions that are not ready, sorted by name (as CoreDNS lists plugins). */
    public List<String> notReadyConditions() {
        List<String> out = new ArrayList<>();
        conditions.forEach((what, ready) -> {
            if (!ready) {
                out.add(what);
            }
        });
        Collections.sort(out);
        return out;
    }
}
