package io.nodedns.config;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * {@code prometheus [ADDRESS]}: serve metrics on {@code http://ADDRESS/metrics} (CoreDNS
 * plugin/metrics). ADDRESS is {@code [HOST]:PORT}; it defaults to {@code localhost:9153}, and an
 * empty HOST ({@code :9253}, as node-local-dns writes it) means every address. HOST must be an IP
 * literal or {@code localhost}: nothing is resolved while parsing. Once per server block, as in
 * CoreDNS; several blocks may name the same address, which is then served once.
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
        if (directive.args().size() > 1) {
            throw context.error(directive, "takes at most one address, got " + directive.args().size()
                    + " arguments");
        }
        if (directive.args().isEmpty()) {
            block.prometheus(DEFAULT_ADDRESS);
            return;
        }
        Token argument = directive.args().get(0);
        Optional<InetSocketAddress> address = HostPorts.parse(argument.text());
        if (address.isEmpty()) {
            throw context.error(argument.line(), directive.nameText(), "not an address [HOST]:PORT with HOST an IP or "
                    + "localhost: " + argument.quotedText());
        }
        block.prometheus(address.get());
    }
}
