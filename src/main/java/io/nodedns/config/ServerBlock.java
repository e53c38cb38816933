package io.nodedns.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One server block of a Corefile, {@code KEY... { directives }}.
 *
 * <p>A block with no directives is valid: it has no cache and no forward, so the server has nothing
 * to answer with and replies with an error code.
 *
 * @param keys    the zones and ports this block serves, in file order, never empty
 * @param bind    addresses to listen on (the {@code bind} directive); empty means all addresses
 * @param cache   the {@code cache} directive's settings, if present
 * @param forward the {@code forward} directive's settings, if present
 * @param errors  whether the {@code errors} directive is present (log errors to stderr)
 * @param log     whether the {@code log} directive is present (log every query)
 * @param prometheus where the {@code prometheus} directive serves metrics, if present (wildcard
 *                address for {@code :PORT})
 * @param line    line of the block's first key, for messages that point back at the Corefile
 */
public record ServerBlock(
        List<ServerKey> keys,
        List<InetAddress> bind,
        Optional<CacheSettings> cache,
        Optional<ForwardSettings> forward,
        boolean errors,
        boolean log,
        Optional<InetSocketAddress> prometheus,
        int line) {

    public ServerBlock {
        keys = List.copyOf(keys);
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("a server block needs at least one key");
        }
        bind = List.copyOf(bind);
        Objects.requireNonNull(cache, "cache");
        Objects.requireNonNull(forward, "forward");
        Objects.requireNonNull(prometheus, "prometheus");
    }
}
