package io.nodedns.upstream;

/**
 * Which transport a forward uses towards the upstreams (CoreDNS forward: {@code force_tcp},
 * {@code prefer_udp}, or neither).
 */
public enum TransportMode {
    /** Always pooled, pipelined TCP (RFC 7766), whatever the client used: {@code force_tcp}. */
    FORCE_TCP,
    /** Always UDP first, TCP only when the answer is truncated: {@code prefer_udp}. */
    PREFER_UDP,
    /** The client's transport: UDP clients over UDP, TCP clients over TCP (CoreDNS default). */
    SAME_AS_CLIENT;

    /** True when a forward for a client that used {@code clientUsedTcp} starts over TCP. */
    boolean startsWithTcp(boolean clientUsedTcp) {
        return switch (this) {
            case FORCE_TCP -> true;
            case PREFER_UDP -> false;
            case SAME_AS_CLIENT -> clientUsedTcp;
        };
    }
}
