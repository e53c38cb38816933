package io.nodedns.upstream;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Read-only counters of one {@link Forwarder} as a whole, plus one {@link UpstreamStats} per
 * upstream in configuration order.
 */
public final class ForwarderStats {
    private final AtomicInteger inFlight;
    private final List<UpstreamStats> upstreams;

    final LongAdder forwards = new LongAdder();
    final LongAdder failedForwards = new LongAdder();
    final LongAdder concurrencyRejects = new LongAdder();
    final LongAdder overloadRejects = new LongAdder();

    ForwarderStats(AtomicInteger inFlight, List<UpstreamStats> upstreams) {
        this.inFlight = inFlight;
        this.upstreams = List.copyOf(upstreams);
    }

    /** Forwards accepted (not rejected by max_concurrent). */
    public long forwards() {
        return forwards.sum();
    }

    /** Forwards that ended in {@link UpstreamException}. */
    public long failedForwards() {
        return failedForwards.sum();
    }

    /** Forwards refused by max_concurrent ({@code coredns_forward_max_concurrent_rejects_total}). */
    public long concurrencyRejects() {
        return concurrencyRejects.sum();
    }

    /**
     * Forwards failed at once because {@link PoolTuning#maxForwardsInFlight()} were in flight (the
     * bound without max_concurrent); exported as {@code nodedns_forward_overload_rejects_total}.
     */
    public long overloadRejects() {
        return overloadRejects.sum();
    }

    /** Forwards currently in flight (the quantity max_concurrent limits). */
    public int inFlight() {
        return inFlight.get();
    }

    public List<UpstreamStats> upstreams() {
        return upstreams;
    }
}
