package io.nodedns.upstream;

import io.netty.channel.EventLoop;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The connected UDP sockets to one upstream on one event loop. Queries are spread over a few
 * sockets at random and each socket is replaced after a bounded number of queries, so that
 * the source port an off-path attacker must guess keeps changing (RFC 5452 §4.5, §10).
 */
final class UdpSocketPool extends UpstreamChannelPool {

    UdpSocketPool(UpstreamProxy upstream, EventLoop loop, PoolEnvironment environment) {
        super(upstream, loop, environment);
    }

    @Override
    UpstreamChannel choose(Attempt attempt, long nowNanos) {
        if (active.size() < tuning().udpSocketsPerLoop()) {
            return openChannel();
        }
        int size = active.size();
        int start = ThreadLocalRandom.current().nextInt(size);
        for (int i = 0; i < size; i++) {
            UpstreamChannel socket = active.get((start + i) % size);
            if (socket.hasCapacity()) {
                return socket;
            }
        }
        attempt.fail(AttemptFailure.LOCAL, "all " + size + " UDP sockets have "
                + tuning().maxInFlightPerChannel() + " queries in flight");
        return null;
    }

    @Override
    UpstreamChannel newChannel() {
        return new UdpSocket(this);
    }

    @Override
    boolean isTcp() {
        return false;
    }
}
