package io.nodedns.metrics;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * Serves only {@code GET /metrics} ({@link MetricsEndpoint}) from a {@link PrometheusMeterRegistry}
 * on one or more addresses: an {@link HttpEndpointServer} with that one path, on its own thread
 * {@code nodedns-metrics-http}. To serve {@code /health} or {@code /ready} on the same port, build
 * an {@link HttpEndpointServer} with all of them instead.
 */
public final class MetricsHttpServer implements AutoCloseable {
    private final HttpEndpointServer server;

    private MetricsHttpServer(HttpEndpointServer server) {
        this.server = server;
    }

    /**
     * Listens on every address of {@code addresses} (port 0 picks one). On failure, closes what
     * was bound and throws an exception naming the address ("cannot serve metrics on ...").
     */
    public static MetricsHttpServer start(PrometheusMeterRegistry registry, List<InetSocketAddress> addresses)
            throws IOException {
        MetricsEndpoint endpoint = new MetricsEndpoint(registry);
        HttpEndpointServer.Builder builder = HttpEndpointServer.builder("metrics");
        for (InetSocketAddress address : addresses) {
            builder.serve(address, "/metrics", endpoint);
        }
        return new MetricsHttpServer(builder.start());
    }

    /** The addresses listened on, in the order given (ports resolved when 0 was asked for). */
    public List<InetSocketAddress> boundAddresses() {
        return server.boundAddresses();
    }

    @Override
    public void close() {
        server.close();
    }
}
