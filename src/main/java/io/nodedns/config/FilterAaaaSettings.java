package io.nodedns.config;

import java.time.Duration;
import java.util.List;

/**
 * The {@code filter_aaaa} directive: AAAA queries under {@link #zones} are answered NODATA here,
 * never forwarded, except for names under {@link #except}.
 *
 * @param zones  where AAAA is filtered: lower case, absolute; the block's zones by default
 * @param except names (and everything below them) whose AAAA queries are resolved as usual
 * @param ttl    TTL and SOA MINIMUM of the synthesized SOA, so resolvers cache the NODATA that long
 *               (RFC 2308 section 5)
 */
public record FilterAaaaSettings(List<String> zones, List<String> except, Duration ttl) {
    /** As node-local-dns's {@code cache 30} keeps answers outside the cluster zone. */
    public static final Duration DEFAULT_TTL = Duration.ofSeconds(30);
    /** RFC 2308 section 5 recommends at most one to three hours for negative answers. */
    public static final Duration MAX_TTL = Duration.ofHours(3);

    public FilterAaaaSettings {
        zones = List.copyOf(zones);
        except = List.copyOf(except);
        if (zones.isEmpty()) {
            throw new IllegalArgumentException("filter_aaaa needs at least one zone");
        }
    }
}
