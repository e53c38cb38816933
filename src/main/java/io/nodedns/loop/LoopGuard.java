package io.nodedns.loop;

import io.netty.buffer.ByteBuf;
import io.nodedns.server.UpstreamClient;
import java.util.concurrent.CompletableFuture;

/**
 * Stands in front of a server block's forwarder and watches what the block forwards for its own
 * loop probe coming back (CoreDNS loop.go {@code ServeDNS}, which counts arrivals of the probe
 * name).
 *
 * <p>One arrival is a loop, where CoreDNS waits for a third. CoreDNS sends its probe to its own
 * listener, so the first arrival is the probe itself, and each trip round the loop adds one.
 * nodedns hands the probe straight to the forwarder, so the first arrival here has already been
 * round. It is also the only one: the block coalesces misses by key, so while the looped copy is
 * forwarded any further copy of it joins that flight instead of going out again, and so does the
 * upstream's copy if the upstream is another nodedns. The name is random, so no client asks it.
 *
 * <p>The looped query fails at once, which the block answers SERVFAIL, rather than going round
 * again until a timeout somewhere ends it.
 *
 * <p>Cost while no probe is armed (after start, i.e. nearly always): one volatile read per
 * forwarded miss, no allocation.
 */
final class LoopGuard implements UpstreamClient {
    private final LoopProbe probe;
    private final UpstreamClient next;

    LoopGuard(LoopProbe probe, UpstreamClient next) {
        this.probe = probe;
        this.next = next;
    }

    /** As {@link UpstreamClient#forward}: the caller keeps {@code query}; the response is the caller's. */
    @Override
    public CompletableFuture<ByteBuf> forward(ByteBuf query, boolean clientUsedTcp) {
        if (probe.isArmed() && probe.matches(query)) {
            probe.reportLoop();
            return CompletableFuture.failedFuture(new ForwardingLoopException(probe.message()));
        }
        return next.forward(query, clientUsedTcp);
    }
}
