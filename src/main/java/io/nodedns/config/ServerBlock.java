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
 * @param bind    addresses to listen on (the {@code bind} directive); with {@code bindInterfaces} both
 *                empty, all addresses
 * @param bindInterfaces names of network interfaces whose addresses are listened on ({@code bind
 *                NAME}); resolved when listening starts, not when parsing, because node mode creates
 *                its interface after the Corefile is read
 * @param cache   the {@code cache} directive's settings, if present
 * @param forward the {@code forward} directive's settings, if present
 * @param errors  whether the {@code errors} directive is present (log errors to stderr)
 * @param log     whether the {@code log} directive is present (log every query)
 * @param prometheus where the {@code prometheus} directive serves metrics, if present (wildcard
 *                address for {@code :PORT})
 * @param reload  the {@code reload} directive's settings, if present
 * @param loop    whether the {@code loop} directive is present (probe for forwarding loops at start)
 * @param health  the {@code health} directive's settings, if present
 * @param ready   where the {@code ready} directive serves {@code /ready}, if present
 * @param autopath the {@code autopath} directive's settings, if present
 * @param filterAaaa the {@code filter_aaaa} directive's settings, if present
 * @param line    line of the block's first key, for messages that point back at the Corefile
 */
public record ServerBlock(
        List<ServerKey> keys,
        List<InetAddress> bind,
        List<String> bindInterfaces,
        Optional<CacheSettings> cache,
        Optional<ForwardSettings> forward,
        boolean errors,
        boolean log,
        Optional<InetSocketAddress> prometheus,
        Optional<ReloadSettings> reload,
        boolean loop,
        Optional<HealthSettings> health,
        Optional<InetSocketAddress> ready,
        Optional<AutopathSettings> autopath,
        Optional<FilterAaaaSettings> filterAaaa,
        int line) {

    public ServerBlock {
        keys = List.copyOf(keys);
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("a server block needs at least one key");
        }
        bind = List.copyOf(bind);
        bindInterfaces = List.copyOf(bindInterfaces);
        Objects.requireNonNull(cache, "cache");
        Objects.requireNonNull(forward, "forward");
        Objects.requireNonNull(prometheus, "prometheus");
        Objects.requireNonNull(reload, "reload");
        Objects.requireNonNull(health, "health");
        Objects.requireNonNull(ready, "ready");
        Objects.requireNonNull(autopath, "autopath");
        Objects.requireNonNull(filterAaaa, "filterAaaa");
    }

    /** The block's keys as CoreDNS prints them, for logs: {@code cluster.local.:53 in-addr.arpa.:53}. */
    public String name() {
        return keys.stream().map(ServerKey::toString).collect(java.util.stream.Collectors.joining(" "));
    }
}
