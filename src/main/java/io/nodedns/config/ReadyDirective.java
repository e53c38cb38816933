package io.nodedns.config;

import java.net.InetSocketAddress;

/**
 * {@code ready [ADDRESS]} (CoreDNS plugin/ready, setup.go): serve {@code GET /ready} on ADDRESS,
 * default {@code :8181} (every address), answering 200 once everything that reports readiness is
 * ready. Once per server block ({@code plugin.ErrOnce} in CoreDNS); several blocks naming one
 * address share one endpoint, as CoreDNS's {@code uniqAddr} does. CoreDNS's
 * {@code { monitor until-ready|continuously }} block is refused: nodedns always monitors
 * continuously.
 */
final class ReadyDirective {
    /** CoreDNS's default, {@code :8181}: port 8181 on every address. */
    static final InetSocketAddress DEFAULT_ADDRESS = new InetSocketAddress(8181);

    private ReadyDirective() {
    }

    static void parse(Directive directive, ServerBlockBuilder block, ParseContext context) throws CorefileException {
        if (directive.hasBlock()) {
            throw context.error(directive, "a '{' block is not supported yet");
        }
        block.ready(ListenAddressArgument.parse(directive, DEFAULT_ADDRESS, context));
    }
}
