package io.nodedns.config;

/** How {@code forward} picks among its upstreams (CoreDNS {@code policy} option). */
public enum ForwardPolicy {
    /** A random healthy upstream per query; CoreDNS's default. */
    RANDOM,
    /** Healthy upstreams in turn. */
    ROUND_ROBIN,
    /** The first healthy upstream in the order they were written. */
    SEQUENTIAL
}
