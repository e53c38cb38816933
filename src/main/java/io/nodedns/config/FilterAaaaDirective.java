package io.nodedns.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code filter_aaaa [ZONE...] { except NAME...; ttl DURATION }}: nodedns's own directive (node-local-dns
 * has no such plugin; CoreDNS users write {@code template ANY AAAA { rcode NOERROR }}, which answers
 * without an SOA, so nothing downstream may cache the denial). ZONEs default to the block's zones and
 * must lie inside them; {@code except} may be repeated; {@code ttl} is whole seconds, 0s to 3h.
 */
final class FilterAaaaDirective {
    private FilterAaaaDirective() {
    }

    static void parse(Directive directive, ServerBlockBuilder block, ParseContext context) throws CorefileException {
        List<String> zones = new ArrayList<>();
        for (Token word : directive.args()) {
            zones.add(inBlock(name(word, directive, context, "ZONE"), word, directive, block, context));
        }
        if (zones.isEmpty()) {
            zones.addAll(block.zones());
        }
        List<String> except = new ArrayList<>();
        Duration ttl = FilterAaaaSettings.DEFAULT_TTL;
        for (Directive sub : directive.block()) {
            switch (sub.nameText()) {
                case "except":
                    Arguments.requireCount(directive, sub, 1, Integer.MAX_VALUE, context);
                    for (Token word : sub.args()) {
                        except.add(name(word, directive, context, "except"));
                    }
                    break;
                case "ttl":
                    Arguments.requireCount(directive, sub, 1, 1, context);
                    Token value = sub.args().get(0);
                    ttl = Arguments.nonNegativeDuration(value, "ttl", context, directive);
                    if (ttl.compareTo(FilterAaaaSettings.MAX_TTL) > 0 || ttl.toNanos() % 1_000_000_000L != 0) {
                        throw context.error(value.line(), directive.nameText(),
                                "ttl: want whole seconds from 0s to 3h, got " + value.quotedText());
                    }
                    break;
                default:
                    throw context.error(sub.line(), directive.nameText(), "unknown property '" + sub.nameText() + "'");
            }
        }
        block.filterAaaa(new FilterAaaaSettings(zones, except, ttl));
    }

    private static String name(Token word, Directive directive, ParseContext context, String what)
            throws CorefileException {
        try {
            return Zones.normalize(word.text());
        } catch (IllegalArgumentException bad) {
            throw context.error(word.line(), directive.nameText(), what + ": " + bad.getMessage());
        }
    }

    private static String inBlock(String zone, Token word, Directive directive, ServerBlockBuilder block,
                                  ParseContext context) throws CorefileException {
        for (String blockZone : block.zones()) {
            if (blockZone.equals(".") || zone.equals(blockZone) || zone.endsWith("." + blockZone)) {
                return zone;
            }
        }
        throw context.error(word.line(), directive.nameText(), "zone " + word.quotedText()
                + " is not inside the server block's zones " + block.zones());
    }
}
