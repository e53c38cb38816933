package io.nodedns.config;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Reads one {@code forward} destination (CoreDNS's {@code parse.HostPortOrFile}): {@code IP},
 * {@code IP:PORT}, {@code [IPv6]:PORT}, any of these after {@code dns://}, or the path of a
 * resolv.conf file whose {@code nameserver}s are used on port 53. A word that is not an IP
 * literal is a path only if it contains a slash; host names are refused, never looked up.
 */
final class Upstreams {
    private Upstreams() {
    }

    static List<InetSocketAddress> parse(Token word, Directive directive, ParseContext context)
            throws CorefileException {
        String text = word.text();
        String rest = text;
        int schemeEnd = text.indexOf("://");
        if (schemeEnd >= 0) {
            String scheme = text.substring(0, schemeEnd).toLowerCase(Locale.ROOT);
            if (!scheme.equals("dns")) {
                throw error(word, directive, context, "'" + scheme + "' is not supported as a destination protocol: "
                        + word.quotedText());
            }
            rest = text.substring(schemeEnd + 3);
        }
        Optional<InetAddress> bare = IpLiterals.parse(rest);
        if (bare.isPresent()) {
            return List.of(new InetSocketAddress(bare.get(), ForwardSettings.DEFAULT_PORT));
        }
        if (rest.startsWith("[")) {
            return List.of(bracketed(rest, word, directive, context));
        }
        int colon = rest.lastIndexOf(':');
        if (colon >= 0 && rest.indexOf(':') == colon) {
            Optional<InetAddress> host = IpLiterals.parse(rest.substring(0, colon));
            if (host.isPresent()) {
                int port = port(rest.substring(colon + 1), word, directive, context);
                return List.of(new InetSocketAddress(host.get(), port));
            }
        }
        if (schemeEnd < 0 && rest.indexOf('/') >= 0) {
            return fromResolvConf(word, directive, context);
        }
        throw error(word, directive, context, "not an IP address or resolv.conf path: " + word.quotedText());
    }

    private static InetSocketAddress bracketed(String text, Token word, Directive directive, ParseContext context)
            throws CorefileException {
        int close = text.indexOf(']');
        Optional<InetAddress> address = close < 0 ? Optional.empty() : IpLiterals.parse(text.substring(1, close));
        if (address.isEmpty()) {
            throw error(word, directive, context, "not an IP address: " + word.quotedText());
        }
        String after = text.substring(close + 1);
        if (after.isEmpty()) {
            return new InetSocketAddress(address.get(), ForwardSettings.DEFAULT_PORT);
        }
        if (!after.startsWith(":")) {
            throw error(word, directive, context, "not an IP address: " + word.quotedText());
        }
        return new InetSocketAddress(address.get(), port(after.substring(1), word, directive, context));
    }

    private static int port(String text, Token word, Directive directive, ParseContext context)
            throws CorefileException {
        int port = ServerKeys.parsePort(text);
        if (port <= 0) {
            throw error(word, directive, context,
                    "invalid port " + GoDuration.quote(text) + " in " + word.quotedText());
        }
        return port;
    }

    private static List<InetSocketAddress> fromResolvConf(Token word, Directive directive, ParseContext context)
            throws CorefileException {
        ResolvConf resolvConf;
        try {
            resolvConf = context.readResolvConf(Path.of(word.text()));
        } catch (IOException | InvalidPathException unreadable) {
            throw error(word, directive, context,
                    "cannot read resolv.conf file " + word.quotedText() + ": " + unreadable);
        }
        if (resolvConf.nameservers().isEmpty()) {
            throw error(word, directive, context, "no nameservers found in " + word.quotedText());
        }
        List<InetSocketAddress> upstreams = new ArrayList<>();
        for (InetAddress nameserver : resolvConf.nameservers()) {
            upstreams.add(new InetSocketAddress(nameserver, ForwardSettings.DEFAULT_PORT));
        }
        return upstreams;
    }

    private static CorefileException error(Token word, Directive directive, ParseContext context, String problem) {
        return context.error(word.line(), directive.nameText(), problem);
    }
}
