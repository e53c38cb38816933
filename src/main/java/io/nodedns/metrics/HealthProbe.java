package io.nodedns.metrics;

import java.io.IOException;
import java.net.InetSocketAddress;

/** One {@code GET /health} request to a health endpoint, as {@link HealthSelfCheck} makes it. */
@FunctionalInterface
public interface HealthProbe {
    /**
     * Sends the request and reads the response's status line.
     *
     * @throws IOException if there is no HTTP response in time: what CoreDNS counts as a failure
     *                     (its Go client's error); any status, 503 included, is a response
     */
    void get(InetSocketAddress target) throws IOException;
}
