package io.nodedns.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * Probes an upstream that is marked down, as CoreDNS forward does: {@code . IN NS} every
 * {@code health_check} interval over the configured transport, until any response at all
 * (NXDOMAIN, REFUSED, SERVFAIL included: the upstream is alive) marks it up again. At most one
 * probe is in flight. Runs on one fixed event loop and uses that loop's channel pools.
 */
final class HealthChecker implements AttemptListener {
    private final UpstreamProxy upstream;
    private final int loopIndex;
    private final EventLoop loop;
    private final long intervalNanos;
    private final long probeTimeoutNanos;
    private final boolean tcp;
    private final BooleanSupplier forwarderClosed;
    private final AtomicBoolean running = new AtomicBoolean();

    HealthChecker(UpstreamProxy upstream, int loopIndex, EventLoop loop, long intervalNanos,
                  long probeTimeoutNanos, boolean tcp, BooleanSupplier forwarderClosed) {
        this.upstream = upstream;
        this.loopIndex = loopIndex;
        this.loop = loop;
        this.intervalNanos = intervalNanos;
        this.probeTimeoutNanos = probeTimeoutNanos;
        this.tcp = tcp;
        this.forwarderClosed = forwarderClosed;
    }

    /** Starts probing now unless already probing. Any thread. */
    void start() {
        if (running.compareAndSet(false, true)) {
            try {
                loop.execute(this::probe);
            } catch (RejectedExecutionException shuttingDown) {
                running.set(false);
            }
        }
    }

    private void probe() {
        if (forwarderClosed.getAsBoolean() || !upstream.isDown()) {
            stop();
            return;
        }
        ByteBuf probe = DnsMessages.healthProbe(ByteBufAllocator.DEFAULT);
        int questionLength = DnsMessages.questionLength(probe, 0);
        upstream.pool(loopIndex, tcp).send(new Attempt(probe, questionLength, probeTimeoutNanos, tcp, upstream, this));
    }

    @Override
    public void onResponse(Attempt attempt, ByteBuf response) {
        response.release();
        upstream.markUp("answered a health check");
        stop();
    }

    @Override
    public void onFailure(Attempt attempt, AttemptFailure kind, String detail) {
        if (forwarderClosed.getAsBoolean()) {
            stop();
            return;
        }
        upstream.stats().healthCheckFailures.increment();
        loop.schedule(this::probe, intervalNanos, TimeUnit.NANOSECONDS);
    }

    /** Ends this probing round; starts another if the upstream went down again meanwhile. */
    private void stop() {
        running.set(false);
        if (upstream.isDown() && !forwarderClosed.getAsBoolean() && running.compareAndSet(false, true)) {
            loop.schedule(this::probe, intervalNanos, TimeUnit.NANOSECONDS);
        }
    }
}
