package io.nodedns.upstream;

import java.net.InetSocketAddress;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;

/**
 * Read-only counters of one upstream of one {@link Forwarder}, for the metrics package
 * ({@code coredns_proxy_*} and {@code nodedns_*} series). The forwarder updates them with
 * {@link LongAdder}s held directly by the upstream, so counting costs no map lookup per query.
 * Values are monotonic except {@link #inFlight()} and {@link #connectionsOpen()}.
 */
public final class UpstreamStats {
    private final InetSocketAddress address;
    private final BooleanSupplier down;

    final LongAdder connectionsOpened = new LongAdder();
    final LongAdder connectionsClosed = new LongAdder();
    final LongAdder inFlight = new LongAdder();
    final LongAdder attempts = new LongAdder();
    final LongAdder failures = new LongAdder();
    final LongAdder timeouts = new LongAdder();
    final LongAdder healthCheckFailures = new LongAdder();
    final LongAdder truncatedRetries = new LongAdder();

    UpstreamStats(InetSocketAddress address, BooleanSupplier down) {
        this.address = address;
        this.down = down;
    }

    public InetSocketAddress address() {
        return address;
    }

    /** True while the upstream is marked down (max_fails reached, health check not yet answered). */
    public boolean down() {
        return down.getAsBoolean();
    }

    /** TCP connections and UDP sockets that finished connecting. */
    public long connectionsOpened() {
        return connectionsOpened.sum();
    }

    /** TCP connections and UDP sockets closed after having been opened (idle, rotated, failed, shut down). */
    public long connectionsClosed() {
        return connectionsClosed.sum();
    }

    /** Currently open TCP connections and UDP sockets. */
    public long connectionsOpen() {
        return connectionsOpened.sum() - connectionsClosed.sum();
    }

    /** Queries sent (or queued for sending) and not yet answered, timed out or cancelled. */
    public long inFlight() {
        return inFlight.sum();
    }

    /** Attempts of forwards against this upstream, including retries over TCP after truncation. */
    public long attempts() {
        return attempts.sum();
    }

    /** Attempts that counted against the upstream's health: timeouts, connect errors, lost connections. */
    public long failures() {
        return failures.sum();
    }

    /** Attempts that got no response within their try timeout. */
    public long timeouts() {
        return timeouts.sum();
    }

    /** Health probes that got no response ({@code coredns_proxy_healthcheck_failures_total}). */
    public long healthCheckFailures() {
        return healthCheckFailures.sum();
    }

    /** UDP responses with TC=1 that were retried over TCP. */
    public long truncatedRetries() {
        return truncatedRetries.sum();
    }

    @Override
    public String toString() {
        return "UpstreamStats[" + address + (down() ? " down" : " up") + ", open=" + connectionsOpen()
                + ", inFlight=" + inFlight() + ", attempts=" + attempts() + ", failures=" + failures()
                + ", timeouts=" + timeouts() + ", healthCheckFailures=" + healthCheckFailures() + "]";
    }
}
