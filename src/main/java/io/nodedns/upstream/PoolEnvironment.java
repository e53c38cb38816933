package io.nodedns.upstream;

import io.nodedns.transport.NettyTransport;
import java.security.SecureRandom;
import java.util.function.LongSupplier;

/**
 * What every channel pool of one {@link Forwarder} shares: the transport, limits, clock and
 * the random source for IDs ({@link SecureRandom} is thread-safe; pools draw from it in blocks).
 *
 * @param expireNanos          idle time after which a channel is closed (Corefile {@code expire})
 * @param connectTimeoutMillis TCP connect timeout; the try timeout, since a connect that takes
 *                             longer has already failed the attempt waiting on it
 */
record PoolEnvironment(
        NettyTransport transport,
        PoolTuning tuning,
        LongSupplier nanoClock,
        SecureRandom random,
        long expireNanos,
        long connectTimeoutMillis) {
}
