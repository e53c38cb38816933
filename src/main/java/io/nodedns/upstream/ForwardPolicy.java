package io.nodedns.upstream;

/**
 * The order in which a forward tries the upstreams, as CoreDNS forward's {@code policy}.
 * Whatever the policy, upstreams marked down are skipped while any other is up.
 */
public enum ForwardPolicy {
    /** A fresh random order for every forward (CoreDNS default). */
    RANDOM,
    /** The configured order, rotated by one position per forward. */
    ROUND_ROBIN,
    /** Always the configured order: the first healthy upstream gets every query. */
    SEQUENTIAL
}
