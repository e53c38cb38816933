package io.nodedns.config;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * {@code bind ADDRESS|INTERFACE... [{ except ADDRESS... }]}: listen only on these IP addresses and
 * on the addresses of these network interfaces (CoreDNS plugin/bind, setup.go as vendored by
 * kubernetes/dns node-cache). Several {@code bind} lines add up.
 *
 * <p>A word that is an IP literal is an address; any other word that is a valid Linux interface
 * name is an interface, kept by name and resolved when listening starts (node mode creates its
 * interface after the Corefile is read, so its existence cannot be checked here). When resolving,
 * CoreDNS takes every IPv4 address of the interface and its IPv6 addresses except link-local ones.
 * A word of digits and dots only is taken for a mistyped IPv4 address, not an interface name.
 *
 * <p>{@code except} removes IP addresses from this one {@code bind} line's list, as CoreDNS's README
 * describes; a later {@code except} line replaces an earlier one (CoreDNS overwrites). Only IP
 * literals are supported there, and only on a line without interface names, because which
 * addresses an interface has is known only at listen time. A line whose addresses are all
 * excepted is an error: an empty {@code bind} would mean every address.
 */
final class BindDirective {
    private BindDirective() {
    }

    static void parse(Directive directive, ServerBlockBuilder block, ParseContext context) throws CorefileException {
        if (directive.args().isEmpty()) {
            // CoreDNS: "at least one address or interface name is expected".
            throw context.error(directive, "at least one address or interface name is required");
        }
        Set<InetAddress> addresses = new LinkedHashSet<>();
        List<String> interfaces = new ArrayList<>();
        for (Token argument : directive.args()) {
            Optional<InetAddress> address = IpLiterals.parse(argument.text());
            if (address.isPresent()) {
                addresses.add(address.get());
            } else if (isInterfaceName(argument.text())) {
                interfaces.add(argument.text());
            } else {
                throw context.error(argument.line(), directive.nameText(),
                        "not a valid IP address or interface name: " + argument.quotedText());
            }
        }
        List<InetAddress> except = new ArrayList<>();
        for (Directive sub : directive.block()) {
            if (!sub.nameText().equals("except")) {
                throw context.error(sub.line(), directive.nameText(), "invalid option " + GoDuration.quote(sub.nameText()));
            }
            except = except(directive, sub, interfaces, context);
        }
        addresses.removeAll(except);
        if (addresses.isEmpty() && interfaces.isEmpty()) {
            throw context.error(directive, "except leaves no address to listen on");
        }
        block.addBind(new ArrayList<>(addresses));
        block.addBindInterfaces(interfaces);
    }

    /** The addresses of an {@code except} line. */
    private static List<InetAddress> except(Directive directive, Directive sub, List<String> interfaces,
                                            ParseContext context) throws CorefileException {
        if (sub.args().isEmpty()) {
            // CoreDNS: "at least one address or interface must be given to except subdirective".
            throw context.error(directive, sub, "at least one address is required");
        }
        if (sub.hasBlock()) {
            throw context.error(directive, sub, "does not take a '{' block");
        }
        if (!interfaces.isEmpty()) {
            throw context.error(directive, sub, "not supported yet on a line with interface names ("
                    + GoDuration.quote(interfaces.get(0)) + ")");
        }
        List<InetAddress> except = new ArrayList<>();
        for (Token argument : sub.args()) {
            Optional<InetAddress> address = IpLiterals.parse(argument.text());
            if (address.isEmpty()) {
                throw context.error(directive, sub, "not an IP address: " + argument.quotedText()
                        + " (interface names are not supported here yet)");
            }
            except.add(address.get());
        }
        return except;
    }

    /**
     * Whether {@code name} is an interface name on a bind line: one Linux accepts
     * ({@link InterfaceNames#isValid}), without the Corefile's own syntax characters
     * {@code { } " # \} (Linux allows them, but only a quoting mistake puts them in a bind line), and
     * not made of digits and dots only, which is a mistyped IPv4 address far more often than an
     * interface.
     */
    static boolean isInterfaceName(String name) {
        if (!InterfaceNames.isValid(name)) {
            return false;
        }
        boolean digitsAndDots = true;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if ("{}\"#\\".indexOf(c) >= 0) {
                return false;
            }
            if (c != '.' && (c < '0' || c > '9')) {
                digitsAndDots = false;
            }
        }
        return !digitsAndDots;
    }
}
