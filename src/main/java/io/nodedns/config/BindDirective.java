package io.nodedns.config;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code bind ADDRESS...}: listen only on these IP addresses (CoreDNS plugin/bind). Several
 * {@code bind} lines add up. Interface names and the {@code except} block are not supported yet.
 */
final class BindDirective {
    private BindDirective() {
    }

    static void parse(Directive directive, ServerBlockBuilder block, ParseContext context) throws CorefileException {
        if (directive.args().isEmpty()) {
            throw context.error(directive, "at least one address is required");
        }
        if (directive.hasBlock()) {
            throw context.error(directive, "a '{' block is not supported yet");
        }
        List<InetAddress> addresses = new ArrayList<>();
        for (Token argument : directive.args()) {
            Optional<InetAddress> address = IpLiterals.parse(argument.text());
            if (address.isEmpty()) {
                throw context.error(argument.line(), directive.nameText(), "not an IP address: "
                        + argument.quotedText() + " (interface names are not supported yet)");
            }
            addresses.add(address.get());
        }
        block.addBind(addresses);
    }
}
