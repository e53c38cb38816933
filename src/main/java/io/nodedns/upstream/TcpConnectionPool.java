package io.nodedns.upstream;

import io.netty.channel.EventLoop;

/**
 * The pipelined TCP connections to one upstream on one event loop: a query goes to the least
 * loaded connection; another connection is opened (up to the per-loop cap) when even that one
 * is busy. After a failed connect, new connects wait an exponentially growing backoff, during
 * which attempts that find no connection fail at once instead of hammering a dead upstream.
 */
final class TcpConnectionPool extends UpstreamChannelPool {
    private long backoffUntilNanos;
    /** The current backoff; 0 while the last connect succeeded (or none failed yet). */
    private long backoffNanos;
    private String lastConnectError = "";

    TcpConnectionPool(UpstreamProxy upstream, EventLoop loop, PoolEnvironment environment) {
        super(upstream, loop, environment);
    }

    @Override
    UpstreamChannel choose(Attempt attempt, long nowNanos) {
        UpstreamChannel best = null;
        for (UpstreamChannel channel : active) {
            if (channel.hasCapacity() && (best == null || channel.load() < best.load())) {
                best = channel;
            }
        }
        boolean wantAnother = best == null || best.load() >= tuning().openAnotherConnectionAt();
        if (wantAnother && active.size() < tuning().tcpConnectionsPerLoop()) {
            if (backoffNanos == 0 || nowNanos - backoffUntilNanos >= 0) {
                best = openChannel();
            } else if (best == null) {
                attempt.fail(AttemptFailure.CONNECT, "not reconnecting yet after: " + lastConnectError);
                return null;
            }
        }
        if (best == null) {
            attempt.fail(AttemptFailure.LOCAL, "all " + active.size() + " connections have "
                    + tuning().maxInFlightPerChannel() + " queries in flight");
        }
        return best;
    }

    @Override
    UpstreamChannel newChannel() {
        return new PipelinedTcpConnection(this);
    }

    @Override
    void onConnectFailed(Throwable cause) {
        long min = tuning().reconnectBackoffMin().toNanos();
        long max = tuning().reconnectBackoffMax().toNanos();
        backoffNanos = backoffNanos == 0 ? min : Math.min(max, backoffNanos * 2);
        backoffUntilNanos = nanoTime() + backoffNanos;
        lastConnectError = UpstreamChannel.describe(cause);
    }

    @Override
    void onConnected() {
        backoffNanos = 0;
    }

    @Override
    boolean isTcp() {
        return true;
    }
}
