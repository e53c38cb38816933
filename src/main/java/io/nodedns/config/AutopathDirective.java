package io.nodedns.config;

import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code autopath [ZONE...] [RESOLV-CONF] { search [DOMAIN...] }}: CoreDNS plugin/autopath's syntax
 * ({@code autopath [ZONE...] RESOLV-CONF}), with the search list's source either a resolv.conf file
 * (its {@code search} or {@code domain} line) or an explicit {@code search} line, one of the two.
 *
 * <p>Where CoreDNS reads the whole search path from the file (and must then match it against the
 * client's), nodedns builds the Kubernetes part itself from the query name and reads only the node's
 * domains from the file: nodedns runs with {@code dnsPolicy: Default}, so {@code /etc/resolv.conf}
 * is the node's, which kubelet appends to every pod's list. A word is the RESOLV-CONF if it contains a
 * slash (as {@code forward}'s TO words are paths), else a ZONE; ZONEs default to the block's zones
 * and must lie inside them (queries outside never reach this block). CoreDNS's {@code @PLUGIN} form
 * is refused: it asks the kubernetes plugin for the client pod's namespace, which needs the API
 * server; nodedns reads the namespace from the query name instead.
 */
final class AutopathDirective {
    private AutopathDirective() {
    }

    static void parse(Directive directive, ServerBlockBuilder block, ParseContext context) throws CorefileException {
        List<Token> args = directive.args();
        List<String> zones = new ArrayList<>();
        Token resolvConf = null;
        for (int i = 0; i < args.size(); i++) {
            Token word = args.get(i);
            if (word.text().startsWith("@")) {
                throw context.error(word.line(), directive.nameText(), word.quotedText() + ": search paths from a "
                        + "plugin are not supported (nodedns reads the namespace from the query name); give a "
                        + "resolv.conf path or a 'search' line");
            }
            if (word.text().indexOf('/') >= 0) {
                if (i != args.size() - 1) {
                    throw context.error(word.line(), directive.nameText(), "RESOLV-CONF " + word.quotedText()
                            + " must be the last argument");
                }
                resolvConf = word;
                continue;
            }
            zones.add(zone(word, directive, block, context));
        }
        if (zones.isEmpty()) {
            for (String zone : block.zones()) {
                if (zone.equals(".")) {
                    throw context.error(directive, "the root zone cannot be a cluster domain; name the cluster "
                            + "domain, e.g. 'autopath cluster.local /etc/resolv.conf'");
                }
                zones.add(zone);
            }
        }
        List<String> explicit = null;
        for (Directive sub : directive.block()) {
            if (!sub.nameText().equals("search")) {
                throw context.error(sub.line(), directive.nameText(), "unknown property '" + sub.nameText() + "'");
            }
            Arguments.requireCount(directive, sub, 0, Integer.MAX_VALUE, context);
            explicit = new ArrayList<>();
            for (Token domain : sub.args()) {
                explicit.add(domain(domain.text(), domain.line(), directive, context, "search"));
            }
        }
        if (resolvConf != null && explicit != null) {
            throw context.error(directive, "give RESOLV-CONF or a 'search' line, not both");
        }
        if (resolvConf == null && explicit == null) {
            throw context.error(directive, "missing RESOLV-CONF (a resolv.conf path) or a 'search' line");
        }
        List<String> search = explicit != null ? explicit : fromResolvConf(resolvConf, directive, context);
        block.autopath(new AutopathSettings(zones, search,
                resolvConf != null ? resolvConf.text() : AutopathSettings.EXPLICIT));
    }

    private static String zone(Token word, Directive directive, ServerBlockBuilder block, ParseContext context)
            throws CorefileException {
        String zone;
        try {
            zone = Zones.normalize(word.text());
        } catch (IllegalArgumentException bad) {
            throw context.error(word.line(), directive.nameText(), "ZONE: " + bad.getMessage());
        }
        if (zone.equals(".")) {
            throw context.error(word.line(), directive.nameText(), "the root zone cannot be a cluster domain");
        }
        for (String blockZone : block.zones()) {
            if (blockZone.equals(".") || zone.equals(blockZone) || zone.endsWith("." + blockZone)) {
                return zone;
            }
        }
        throw context.error(word.line(), directive.nameText(), "zone " + word.quotedText()
                + " is not inside the server block's zones " + block.zones());
    }

    private static String domain(String text, int line, Directive directive, ParseContext context, String what)
            throws CorefileException {
        try {
            String domain = Zones.normalize(text);
            if (domain.equals(".")) {
                throw new IllegalArgumentException("the root is always searched last; leave it out");
            }
            return domain;
        } catch (IllegalArgumentException bad) {
            throw context.error(line, directive.nameText(), what + ": " + bad.getMessage());
        }
    }

    private static List<String> fromResolvConf(Token path, Directive directive, ParseContext context)
            throws CorefileException {
        ResolvConf resolvConf;
        try {
            resolvConf = context.readResolvConf(Path.of(path.text()));
        } catch (IOException | InvalidPathException unreadable) {
            throw context.error(path.line(), directive.nameText(),
                    "cannot read resolv.conf file " + path.quotedText() + ": " + unreadable);
        }
        List<String> search = new ArrayList<>();
        for (String text : resolvConf.search()) {
            search.add(domain(text, path.line(), directive, context, "search domain in " + path.quotedText()));
        }
        return search;
    }
}
