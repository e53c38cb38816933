package io.nodedns.upstream;

import io.nodedns.transport.NettyTransport;
import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The channels of one transport to one upstream on one event loop. A forward homed on a loop
 * only uses that loop's pools, so the forward, its attempts and their channels all run on one
 * thread and share nothing. Subclasses choose a channel per query ({@link #send}).
 *
 * <p>Threading: confined to {@link #loop()}.
 */
abstract class UpstreamChannelPool {
    private final UpstreamProxy upstream;
    private final EventLoop loop;
    private final PoolEnvironment environment;
    private final IdAllocator ids;
    /** Channels taking new queries. */
    final List<UpstreamChannel> active = new ArrayList<>();
    /** Channels rotated out, closing once their in-flight queries are done. */
    private final List<UpstreamChannel> draining = new ArrayList<>();
    private boolean closed;
    /** Set by {@link #openChannel()}: the channel {@link #choose} returns was opened for this query. */
    private boolean openedForThisQuery;

    UpstreamChannelPool(UpstreamProxy upstream, EventLoop loop, PoolEnvironment environment) {
        this.upstream = upstream;
        this.loop = loop;
        this.environment = environment;
        this.ids = new IdAllocator(environment.random());
    }

    /**
     * Sends the attempt on a channel of this pool, opening one if needed; or fails it at once
     * (through its listener, possibly before this returns) when no channel can take it.
     */
    final void send(Attempt attempt) {
        if (closed) {
            attempt.fail(AttemptFailure.LOCAL, "forwarder closed");
            return;
        }
        long now = nanoTime();
        for (int i = active.size() - 1; i >= 0; i--) {
            UpstreamChannel channel = active.get(i);
            if (channel.dueForRotation(now)) {
                active.remove(i);
                draining.add(channel);
                channel.drain();
            }
        }
        openedForThisQuery = false;
        UpstreamChannel channel = choose(attempt, now);
        if (channel != null) {
            // CoreDNS's conn_cache_{hits,misses}: did the query find a pooled connection?
            stats().countConnectionReuse(isTcp(), !openedForThisQuery);
            channel.send(attempt);
        }
    }

    /** Whether this pool's channels are TCP connections (else UDP sockets). */
    abstract boolean isTcp();

    /**
     * A channel for the attempt, opened via {@link #openChannel()} if the policy says so, or null
     * after failing the attempt. Rotated channels have already been removed from {@link #active}.
     */
    abstract UpstreamChannel choose(Attempt attempt, long nowNanos);

    abstract UpstreamChannel newChannel();

    /** Creates a channel, starts connecting it and adds it to {@link #active}. */
    final UpstreamChannel openChannel() {
        openedForThisQuery = true;
        UpstreamChannel channel = newChannel();
        active.add(channel);
        channel.open();
        return channel;
    }

    /** The connect of one of this pool's channels failed (before its attempts are failed). */
    void onConnectFailed(Throwable cause) {
    }

    void onConnected() {
    }

    final void onChannelClosed(UpstreamChannel channel) {
        active.remove(channel);
        draining.remove(channel);
    }

    /** Closes every channel, failing their attempts with {@link AttemptFailure#LOCAL}; then refuses new ones. */
    final void close() {
        closed = true;
        List<UpstreamChannel> all = new ArrayList<>(active);
        all.addAll(draining);
        for (UpstreamChannel channel : all) {
            channel.close(AttemptFailure.LOCAL, "forwarder closed");
        }
    }

    final EventLoop loop() {
        return loop;
    }

    final InetSocketAddress address() {
        return upstream.address();
    }

    final UpstreamStats stats() {
        return upstream.stats();
    }

    final PoolTuning tuning() {
        return environment.tuning();
    }

    final NettyTransport transport() {
        return environment.transport();
    }

    final IdAllocator ids() {
        return ids;
    }

    final long nanoTime() {
        return environment.nanoClock().getAsLong();
    }

    final long expireNanos() {
        return environment.expireNanos();
    }

    final long connectTimeoutMillis() {
        return environment.connectTimeoutMillis();
    }
}
