package io.nodedns.metrics;

import io.netty.handler.codec.http.HttpHeaders;

/**
 * Answers {@code GET} requests for one path of an {@link HttpEndpointServer}. Called on the
 * server's event loop thread, so it must not block for long: a scrape, a health state read.
 */
@FunctionalInterface
public interface HttpEndpoint {
    /**
     * @param requestHeaders the request's headers (for content negotiation); not retained
     */
    HttpAnswer answer(HttpHeaders requestHeaders);
}
