package io.nodedns.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * {@code cache [TTL] [ZONES...] { success CAPACITY [TTL [MINTTL]]; denial CAPACITY [TTL [MINTTL]];
 * servfail DURATION }}, with CoreDNS plugin/cache's defaults and checks (see {@link CacheSettings}).
 *
 * <p>TTLs are whole seconds, as in CoreDNS; {@code servfail} takes a Go duration. A TTL on the
 * {@code cache} line sets both maxima; {@code success}/{@code denial} lines override it.
 * {@code prefetch}, {@code serve_stale}, {@code disable} and {@code keepttl} are refused until
 * nodedns implements them.
 */
final class CacheDirective {
    private static final List<String> NOT_YET_SUPPORTED = List.of("prefetch", "serve_stale", "disable", "keepttl");

    private CacheDirective() {
    }

    static void parse(Directive directive, ServerBlockBuilder block, ParseContext context) throws CorefileException {
        List<Token> args = directive.args();
        Duration successMaxTtl = CacheSettings.DEFAULT_SUCCESS_MAX_TTL;
        Duration denialMaxTtl = CacheSettings.DEFAULT_DENIAL_MAX_TTL;
        int zonesFrom = 0;
        if (!args.isEmpty()) {
            // Like CoreDNS: the first argument is the TTL if it reads as an integer, else a zone.
            OptionalLong ttl = Arguments.integer(args.get(0).text());
            if (ttl.isPresent()) {
                successMaxTtl = maxTtl(args.get(0), "TTL", context, directive);
                denialMaxTtl = successMaxTtl;
                zonesFrom = 1;
            } else if (looksLikeDuration(args.get(0).text())) {
                // CoreDNS would take "30s" as a zone named 30s. and silently cache nothing else.
                throw context.error(args.get(0).line(), directive.nameText(),
                        "TTL: must be whole seconds, not a duration: " + args.get(0).quotedText());
            }
        }
        List<String> zones = new ArrayList<>();
        for (Token zone : args.subList(zonesFrom, args.size())) {
            try {
                String normalized = Zones.normalize(zone.text());
                if (!zones.contains(normalized)) {
                    zones.add(normalized);
                }
            } catch (IllegalArgumentException badZone) {
                throw context.error(zone.line(), directive.nameText(), badZone.getMessage());
            }
        }
        if (zones.isEmpty()) {
            zones = block.zones();
        }

        int successCapacity = CacheSettings.DEFAULT_CAPACITY;
        Duration successMinTtl = CacheSettings.DEFAULT_MIN_TTL;
        int denialCapacity = CacheSettings.DEFAULT_CAPACITY;
        Duration denialMinTtl = CacheSettings.DEFAULT_MIN_TTL;
        Duration servfailTtl = CacheSettings.DEFAULT_SERVFAIL_TTL;
        // Later lines win, as in CoreDNS, which simply overwrites.
        for (Directive sub : directive.block()) {
            String name = sub.nameText();
            switch (name) {
                case "success": {
                    Arguments.requireCount(directive, sub, 1, 3, context);
                    List<Token> subArgs = sub.args();
                    successCapacity = Arguments.positiveInt(subArgs.get(0), "success: CAPACITY", context, directive);
                    if (subArgs.size() > 1) {
                        successMaxTtl = maxTtl(subArgs.get(1), "success: TTL", context, directive);
                    }
                    if (subArgs.size() > 2) {
                        successMinTtl = minTtl(subArgs.get(2), "success: MINTTL", context, directive);
                    }
                    break;
                }
                case "denial": {
                    Arguments.requireCount(directive, sub, 1, 3, context);
                    List<Token> subArgs = sub.args();
                    denialCapacity = Arguments.positiveInt(subArgs.get(0), "denial: CAPACITY", context, directive);
                    if (subArgs.size() > 1) {
                        denialMaxTtl = maxTtl(subArgs.get(1), "denial: TTL", context, directive);
                    }
                    if (subArgs.size() > 2) {
                        denialMinTtl = minTtl(subArgs.get(2), "denial: MINTTL", context, directive);
                    }
                    break;
                }
                case "servfail": {
                    Arguments.requireCount(directive, sub, 1, 1, context);
                    Token value = sub.args().get(0);
                    servfailTtl = Arguments.nonNegativeDuration(value, "servfail", context, directive);
                    if (servfailTtl.compareTo(CacheSettings.MAX_SERVFAIL_TTL) > 0) {
                        // RFC 2308 section 7.1; CoreDNS refuses the same.
                        throw context.error(value.line(), directive.nameText(),
                                "servfail: caching SERVFAIL responses over 5 minutes is not permitted: "
                                        + value.quotedText());
                    }
                    break;
                }
                default:
                    if (NOT_YET_SUPPORTED.contains(name)) {
                        throw context.error(directive, sub, "not supported yet");
                    }
                    throw context.error(sub.line(), directive.nameText(), "unknown property '" + name + "'");
            }
        }
        block.cache(new CacheSettings(zones, successCapacity, successMaxTtl, successMinTtl,
                denialCapacity, denialMaxTtl, denialMinTtl, servfailTtl));
    }

    /** CoreDNS reserves 0 and below: a maximum TTL must be at least one second. */
    private static Duration maxTtl(Token argument, String what, ParseContext context, Directive directive)
            throws CorefileException {
        OptionalLong seconds = Arguments.integer(argument.text());
        if (seconds.isPresent() && seconds.getAsLong() <= 0) {
            throw context.error(argument.line(), directive.nameText(),
                    what + ": can not be zero or negative: " + argument.quotedText());
        }
        return Duration.ofSeconds(Arguments.positiveInt(argument, what, context, directive));
    }

    private static Duration minTtl(Token argument, String what, ParseContext context, Directive directive)
            throws CorefileException {
        return Duration.ofSeconds(Arguments.nonNegativeInt(argument, what, context, directive));
    }

    private static boolean looksLikeDuration(String text) {
        try {
            GoDuration.parse(text);
            return true;
        } catch (IllegalArgumentException notADuration) {
            return false;
        }
    }
}
