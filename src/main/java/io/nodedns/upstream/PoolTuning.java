package io.nodedns.upstream;

import java.time.Duration;

/**
 * Sizes and limits of the per-event-loop channel pools. Not part of the Corefile; fixed
 * defaults in production, shrunk by tests to exercise rotation and caps.
 *
 * @param tcpConnectionsPerLoop   TCP connections per upstream per event loop, opened on demand
 * @param openAnotherConnectionAt in-flight count on the least loaded connection at which another
 *                                one is opened (if below the cap); spreads load over the pods
 *                                behind a Service IP without a connection per query
 * @param maxInFlightPerChannel   queries in flight on one TCP connection or UDP socket; keeps the
 *                                random ID search short and far from exhausting 65536 IDs
 * @param maxQueriesPerConnection TCP connection rotated (no new queries, closed when drained)
 *                                after this many queries...
 * @param maxConnectionAge        ...or this age, so kube-proxy spreads new connections over pods
 * @param reconnectBackoffMin     first wait after a failed TCP connect, doubled per failure...
 * @param reconnectBackoffMax     ...up to this
 * @param udpSocketsPerLoop       connected UDP sockets per upstream per event loop
 * @param maxQueriesPerUdpSocket  UDP socket rotated after this many queries, so the source port
 *                                keeps changing (RFC 5452 §4.5)
 * @param maxForwardsInFlight     forwards of one Forwarder in flight at once when {@code max_concurrent}
 *                                sets no lower limit; more fail at once with {@link UpstreamException}
 *                                (the client gets SERVFAIL, or stale): a dead or slow kube-dns must not
 *                                make the queries held for it grow without bound. Each holds well under
 *                                1 KiB (query copy, request, timers), so 10000 is under 10 MiB.
 */
record PoolTuning(
        int tcpConnectionsPerLoop,
        int openAnotherConnectionAt,
        int maxInFlightPerChannel,
        long maxQueriesPerConnection,
        Duration maxConnectionAge,
        Duration reconnectBackoffMin,
        Duration reconnectBackoffMax,
        int udpSocketsPerLoop,
        long maxQueriesPerUdpSocket,
        int maxForwardsInFlight) {

    static final PoolTuning DEFAULTS = new PoolTuning(2, 32, 1024, 10_000, Duration.ofSeconds(60),
            Duration.ofMillis(50), Duration.ofSeconds(2), 4, 256, 10_000);

    PoolTuning {
        if (tcpConnectionsPerLoop < 1 || udpSocketsPerLoop < 1) {
            throw new IllegalArgumentException("need at least one channel per loop");
        }
        if (maxInFlightPerChannel < 1 || maxInFlightPerChannel > 0x8000) {
            throw new IllegalArgumentException("maxInFlightPerChannel must be 1..32768");
        }
        if (maxForwardsInFlight < 1) {
            throw new IllegalArgumentException("maxForwardsInFlight must be positive");
        }
        if (openAnotherConnectionAt < 1 || maxQueriesPerConnection < 1 || maxQueriesPerUdpSocket < 1) {
            throw new IllegalArgumentException("limits must be positive");
        }
    }

    PoolTuning withRotation(long queriesPerConnection, Duration age) {
        return new PoolTuning(tcpConnectionsPerLoop, openAnotherConnectionAt, maxInFlightPerChannel,
                queriesPerConnection, age, reconnectBackoffMin, reconnectBackoffMax, udpSocketsPerLoop,
                maxQueriesPerUdpSocket, maxForwardsInFlight);
    }

    PoolTuning withReconnectBackoff(Duration min, Duration max) {
        return new PoolTuning(tcpConnectionsPerLoop, openAnotherConnectionAt, maxInFlightPerChannel,
                maxQueriesPerConnection, maxConnectionAge, min, max, udpSocketsPerLoop, maxQueriesPerUdpSocket,
                maxForwardsInFlight);
    }

    PoolTuning withUdpSockets(int perLoop, long maxQueriesPerSocket) {
        return new PoolTuning(tcpConnectionsPerLoop, openAnotherConnectionAt, maxInFlightPerChannel,
                maxQueriesPerConnection, maxConnectionAge, reconnectBackoffMin, reconnectBackoffMax, perLoop,
                maxQueriesPerSocket, maxForwardsInFlight);
    }

    PoolTuning withMaxForwardsInFlight(int max) {
        return new PoolTuning(tcpConnectionsPerLoop, openAnotherConnectionAt, maxInFlightPerChannel,
                maxQueriesPerConnection, maxConnectionAge, reconnectBackoffMin, reconnectBackoffMax, udpSocketsPerLoop,
                maxQueriesPerUdpSocket, max);
    }
}
