package io.nodedns.upstream;

import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.logging.Logger;

/**
 * One upstream address of a forwarder: its health (consecutive failures, down/up), its
 * counters and its channel pools, one TCP and one UDP pool per event loop.
 *
 * <p>Health follows CoreDNS forward with the count taken from attempts: {@code maxFails}
 * consecutive failed attempts mark it down and start the {@link HealthChecker}; any response
 * (to a query or a probe) marks it up. Each change of state is logged once, at WARNING.
 */
final class UpstreamProxy {
    private static final Logger LOG = Logger.getLogger(UpstreamProxy.class.getName());

    private final String forwarderName;
    private final InetSocketAddress address;
    private final int maxFails;
    private final TcpConnectionPool[] tcpPools;
    private final UdpSocketPool[] udpPools;
    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    private final AtomicBoolean down = new AtomicBoolean();
    private final UpstreamStats stats;
    private final HealthChecker healthChecker;

    UpstreamProxy(String forwarderName, InetSocketAddress address, int index, EventLoop[] loops,
                  PoolEnvironment environment, ForwarderSettings settings, BooleanSupplier forwarderClosed) {
        this.forwarderName = forwarderName;
        this.address = address;
        // Without probes nothing could bring a down upstream back but luck: never mark down then.
        this.maxFails = settings.healthCheck().isZero() ? 0 : settings.maxFails();
        this.stats = new UpstreamStats(address, down::get);
        this.tcpPools = new TcpConnectionPool[loops.length];
        this.udpPools = new UdpSocketPool[loops.length];
        for (int i = 0; i < loops.length; i++) {
            tcpPools[i] = new TcpConnectionPool(this, loops[i], environment);
            udpPools[i] = new UdpSocketPool(this, loops[i], environment);
        }
        // Spread the probing of different upstreams over the loops.
        int probeLoop = index % loops.length;
        boolean probeOverTcp = settings.transport() == TransportMode.FORCE_TCP;
        this.healthChecker = new HealthChecker(this, probeLoop, loops[probeLoop], settings.healthCheck().toNanos(),
                settings.tryTimeout().toNanos(), probeOverTcp, forwarderClosed);
    }

    InetSocketAddress address() {
        return address;
    }

    UpstreamStats stats() {
        return stats;
    }

    boolean isDown() {
        return down.get();
    }

    /** The pool for the event loop with index {@code loopIndex}; use it only on that loop. */
    UpstreamChannelPool pool(int loopIndex, boolean tcp) {
        return tcp ? tcpPools[loopIndex] : udpPools[loopIndex];
    }

    /** Closes the pools of loop {@code loopIndex}; call on that loop. */
    void closePools(int loopIndex) {
        tcpPools[loopIndex].close();
        udpPools[loopIndex].close();
    }

    /** An attempt failed in a way that says something about the upstream. Any thread. */
    void recordFailure(AttemptFailure kind, String detail) {
        stats.failures.increment();
        if (maxFails == 0) {
            return;
        }
        int failures = consecutiveFailures.incrementAndGet();
        if (failures >= maxFails && down.compareAndSet(false, true)) {
            LOG.warning("forward " + forwarderName + ": upstream " + address + " marked down after " + failures
                    + " consecutive failures, last: " + kind.name().toLowerCase() + ", " + detail
                    + "; health checking it");
            healthChecker.start();
        }
    }

    /** An attempt got a response. Any thread; writes shared state only on a change. */
    void recordSuccess() {
        if (consecutiveFailures.get() != 0) {
            consecutiveFailures.set(0);
        }
        if (down.get()) {
            markUp("answered a query");
        }
    }

    void markUp(String why) {
        consecutiveFailures.set(0);
        if (down.compareAndSet(true, false)) {
            LOG.warning("forward " + forwarderName + ": upstream " + address + " is up again: " + why);
        }
    }
}
