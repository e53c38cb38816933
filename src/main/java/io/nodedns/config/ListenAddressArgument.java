package io.nodedns.config;

import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * The optional {@code [HOST]:PORT} argument of {@code prometheus}, {@code health} and
 * {@code ready}, read as CoreDNS reads it (Go's net.SplitHostPort): an empty HOST is every
 * address, HOST is otherwise an IP literal or {@code localhost}, since nothing is resolved while
 * parsing ({@link HostPorts}).
 */
final class ListenAddressArgument {
    private ListenAddressArgument() {
    }

    /** The directive's one argument, or {@code defaultAddress} without one. */
    static InetSocketAddress parse(Directive directive, InetSocketAddress defaultAddress, ParseContext context)
            throws CorefileException {
        if (directive.args().size() > 1) {
            throw context.error(directive, "takes at most one address, got " + directive.args().size()
                    + " arguments");
        }
        if (directive.args().isEmpty()) {
            return defaultAddress;
        }
        Token argument = directive.args().get(0);
        Optional<InetSocketAddress> address = HostPorts.parse(argument.text());
        if (address.isEmpty()) {
            throw context.error(argument.line(), directive.nameText(), "not an address [HOST]:PORT with HOST an IP or "
                    + "localhost: " + argument.quotedText());
        }
        return address.get();
    }
}
