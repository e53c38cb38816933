package io.nodedns.config;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * The {@code health [ADDRESS] { lameduck DURATION }} directive (CoreDNS plugin/health): serve
 * {@code http://ADDRESS/health}, 200 while the process is alive.
 *
 * @param address  where {@code /health} is served; CoreDNS's default {@code :8080} (every address)
 * @param lameduck how long, once a stop begins, the process keeps answering DNS before it closes
 *                 its listeners; zero for none (the default). Meanwhile {@code /ready} answers 503,
 *                 as in CoreDNS, and so does {@code /health}, where CoreDNS 1.5 and later still
 *                 answer 200 (a deliberate difference, see metrics.HealthEndpoint)
 */
public record HealthSettings(InetSocketAddress address, Duration lameduck) {
    public static final int DEFAULT_PORT = 8080;

    public HealthSettings {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(lameduck, "lameduck");
        if (lameduck.isNegative()) {
            throw new IllegalArgumentException("lameduck must not be negative: " + lameduck);
        }
    }
}
