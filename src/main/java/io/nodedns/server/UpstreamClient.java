package io.nodedns.server;

import io.netty.buffer.ByteBuf;
import java.util.concurrent.CompletableFuture;

/**
 * Where a server block sends its misses: in production an
 * {@link io.nodedns.upstream.Forwarder}, in tests anything.
 */
@FunctionalInterface
public interface UpstreamClient {
    /**
     * Sends {@code query} (the caller keeps ownership; it is not retained) and
     * completes with the response, which the receiver owns and must release; or
     * exceptionally when no upstream answered
     * ({@link io.nodedns.upstream.ConcurrencyLimitException} means "over max_concurrent").
     */
    CompletableFuture<ByteBuf> forward(ByteBuf query, boolean clientUsedTcp);
}
