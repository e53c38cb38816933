package io.nodedns.upstream;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import io.nodedns.transport.NettyTransport;
import io.nodedns.wire.DnsWire;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * Forwards cache misses of one Corefile {@code forward} block to its upstreams: pooled,
 * pipelined TCP connections (RFC 7766) and connected UDP sockets, per-attempt timeouts and
 * failover in policy order, health checking, and a {@code max_concurrent} limit. It does not
 * cache or coalesce; the server does.
 *
 * <p>Threading: {@link #forward} may be called from any thread. Each forward runs on one event
 * loop of the transport (the caller's, when called from one of them) and uses only that loop's
 * connections, so no locks are taken on the query path.
 */
public final class Forwarder implements AutoCloseable {
    /** How long {@link #close()} waits for the event loops to close the pools. */
    private static final long CLOSE_WAIT_MILLIS = 2_000;

    private final ForwarderSettings settings;
    private final LongSupplier nanoClock;
    private final EventLoop[] loops;
    private final List<UpstreamProxy> upstreams;
    private final UpstreamOrder<UpstreamProxy> order;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger nextLoop = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ForwarderStats stats;
    /** {@link PoolTuning#maxForwardsInFlight()}. */
    private final int maxForwardsInFlight;

    /**
     * @param nanoClock {@code System::nanoTime} in production; drives deadlines, connection age
     *                  and idle time (timers themselves run on the event loops)
     */
    public Forwarder(ForwarderSettings settings, NettyTransport transport, LongSupplier nanoClock) {
        this(settings, transport, nanoClock, PoolTuning.DEFAULTS);
    }

    Forwarder(ForwarderSettings settings, NettyTransport transport, LongSupplier nanoClock, PoolTuning tuning) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.maxForwardsInFlight = tuning.maxForwardsInFlight();
        List<EventLoop> loopList = new ArrayList<>();
        for (EventExecutor executor : transport.group()) {
            loopList.add((EventLoop) executor);
        }
        this.loops = loopList.toArray(new EventLoop[0]);
        PoolEnvironment environment = new PoolEnvironment(transport, tuning, nanoClock, new SecureRandom(),
                settings.expire().toNanos(), settings.tryTimeout().toMillis());
        List<UpstreamProxy> proxies = new ArrayList<>();
        List<UpstreamStats> upstreamStats = new ArrayList<>();
        for (int i = 0; i < settings.upstreams().size(); i++) {
            UpstreamProxy proxy = new UpstreamProxy(settings.name(), settings.upstreams().get(i), i, loops,
                    environment, settings, closed::get);
            proxies.add(proxy);
            upstreamStats.add(proxy.stats());
        }
        this.upstreams = List.copyOf(proxies);
        this.order = new UpstreamOrder<>(settings.policy(), upstreams, UpstreamProxy::isDown);
        this.stats = new ForwarderStats(inFlight, upstreamStats);
    }

    /**
     * Forwards one query. The caller keeps ownership of {@code query}: its readable bytes are
     * copied before this returns and the buffer is not referenced afterwards. Its ID is
     * meaningless upstream (each channel allocates its own) and is restored in the response.
     *
     * @param query         a complete query message with exactly one question
     * @param clientUsedTcp the client's transport, for {@link TransportMode#SAME_AS_CLIENT}
     * @return completes with the response message, which the receiver owns and must release,
     *         bearing the ID of {@code query}; or exceptionally with {@link UpstreamException}
     *         (all attempts failed, deadline, closed), {@link ConcurrencyLimitException}
     *         (max_concurrent exceeded) or {@link IllegalArgumentException} (malformed query).
     *         If the future is cancelled or completed by someone else, a late response is released;
     *         but a caller whose {@code cancel} returns false (the response was already there)
     *         owns that response and must release it.
     */
    public CompletableFuture<ByteBuf> forward(ByteBuf query, boolean clientUsedTcp) {
        if (closed.get()) {
            return CompletableFuture.failedFuture(new UpstreamException("forward " + name() + ": forwarder closed"));
        }
        int questionLength;
        try {
            if (query.readableBytes() > DnsWire.MAX_MESSAGE_LENGTH) {
                throw new IllegalArgumentException("query of " + query.readableBytes() + " bytes exceeds "
                        + DnsWire.MAX_MESSAGE_LENGTH);
            }
            questionLength = DnsMessages.questionLength(query, query.readerIndex());
        } catch (IllegalArgumentException malformed) {
            return CompletableFuture.failedFuture(malformed);
        }
        int limit = settings.maxConcurrent();
        int now = inFlight.incrementAndGet();
        if (now > limit && limit > 0) {
            inFlight.decrementAndGet();
            stats.concurrencyRejects.increment();
            return CompletableFuture.failedFuture(new ConcurrencyLimitException(
                    "forward " + name() + ": " + limit + " forwards already in flight (max_concurrent)"));
        }
        if (now > maxForwardsInFlight) {
            // The bound that holds without max_concurrent (CoreDNS has none): fails like a dead
            // upstream, so the client gets SERVFAIL or a stale answer, not CoreDNS's REFUSED.
            inFlight.decrementAndGet();
            stats.overloadRejects.increment();
            return CompletableFuture.failedFuture(new UpstreamException("forward " + name() + ": "
                    + maxForwardsInFlight + " forwards already in flight (overload bound)"));
        }
        stats.forwards.increment();
        int length = query.readableBytes();
        ByteBuf copy = ByteBufAllocator.DEFAULT.buffer(length, length);
        copy.writeBytes(query, query.readerIndex(), length);
        int loopIndex = homeLoopIndex();
        EventLoop loop = loops[loopIndex];
        ForwardRequest request = new ForwardRequest(this, loopIndex, copy, questionLength,
                settings.transport().startsWithTcp(clientUsedTcp));
        if (loop.inEventLoop()) {
            request.start();
        } else {
            try {
                loop.execute(request::start);
            } catch (RejectedExecutionException shutDown) {
                request.abort("event loop shut down");
            }
        }
        return request.result;
    }

    /** The calling event loop if it is one of ours (no thread handoff), otherwise the next in turn. */
    private int homeLoopIndex() {
        for (int i = 0; i < loops.length; i++) {
            if (loops[i].inEventLoop()) {
                return i;
            }
        }
        return Math.floorMod(nextLoop.getAndIncrement(), loops.length);
    }

    /** The forward block's name (its FROM zone), as configured. */
    public String name() {
        return settings.name();
    }

    public List<InetSocketAddress> upstreams() {
        return settings.upstreams();
    }

    public ForwarderSettings settings() {
        return settings;
    }

    /** Live counters, for metrics. */
    public ForwarderStats stats() {
        return stats;
    }

    /**
     * Closes every pooled connection and socket and fails in-flight forwards with
     * {@link UpstreamException}; later forwards fail at once. Idempotent. Waits (up to two
     * seconds) for the event loops to do it, unless called on one of them.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        CountDownLatch closedLoops = new CountDownLatch(loops.length);
        boolean onOwnLoop = false;
        for (int i = 0; i < loops.length; i++) {
            int loopIndex = i;
            Runnable closePools = () -> {
                try {
                    for (UpstreamProxy upstream : upstreams) {
                        upstream.closePools(loopIndex);
                    }
                } finally {
                    closedLoops.countDown();
                }
            };
            if (loops[i].inEventLoop()) {
                onOwnLoop = true;
                closePools.run();
            } else {
                try {
                    loops[i].execute(closePools);
                } catch (RejectedExecutionException shutDown) {
                    closedLoops.countDown();
                }
            }
        }
        if (!onOwnLoop) {
            try {
                closedLoops.await(CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    boolean isClosed() {
        return closed.get();
    }

    long nanoTime() {
        return nanoClock.getAsLong();
    }

    List<UpstreamProxy> nextOrder() {
        return order.next();
    }

    void onForwardFinished() {
        inFlight.decrementAndGet();
    }
}
