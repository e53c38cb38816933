package io.nodedns.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * {@code prometheus [ADDRESS]}: serve metrics on {@code http://ADDRESS/metrics} (CoreDNS
 * plugin/metrics). ADDRESS is {@code [HOST]:PORT} ({@link ListenAddressArgument}); it defaults to
 * {@code localhost:9153}, and an empty HOST ({@code :9253}, as node-local-dns writes it) means
 * every address. Once per server block, as in CoreDNS; several blocks may name the same address,
 * which is then served once.
 */
final class PrometheusDirective {
    /** CoreDNS's default: {@code localhost:9153}. */
    static final InetSocketAddress DEFAULT_ADDRESS = new InetSocketAddress(InetAddress.getLoopbackAddress(), 9153);

    private PrometheusDirective() {
    }

    static void parse(Directive directive, ServerBlockBuilder block, ParseContext context) throws CorefileException {
        if (directive.hasBlock()) {
            throw context.error(directive, "a '{' block is not supported");
        }
        block.prometheus(ListenAddressArgument.parse(directive, DEFAULT_ADDRESS, context));
    }
}
