package io.nodedns.config;

import java.util.Objects;

/**
 * One key of a server block: the zone it answers for and the port it listens on
 * ({@code cluster.local:53} is {@code ServerKey("cluster.local.", 53)}).
 *
 * @param zone lower-case fully qualified name with a trailing dot; {@code "."} is the root
 * @param port 0-65535; 0 asks the operating system for an ephemeral port (tests use it)
 */
public record ServerKey(String zone, int port) {
    public ServerKey {
        Objects.requireNonNull(zone, "zone");
        if (!zone.endsWith(".") || !zone.equals(zone.toLowerCase(java.util.Locale.ROOT))) {
            throw new IllegalArgumentException("zone must be lower-case with a trailing dot: " + zone);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
    }

    /** {@code zone:port}, the way CoreDNS prints a key ({@code cluster.local.:53}). */
    @Override
    public String toString() {
        return zone + ":" + port;
    }
}
