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

        Bounds success = new Bounds(CacheSettings.DEFAULT_CAPACITY, successMaxTtl, CacheSettings.DEFAULT_MIN_TTL);
        Bounds denial = new Bounds(CacheSettings.DEFAULT_CAPACITY, denialMaxTtl, CacheSettings.DEFAULT_MIN_TTL);
        Duration servfailTtl = CacheSettings.DEFAULT_SERVFAIL_TTL;
        // Later lines win, as in CoreDNS, which simply overwrites.
        for (Directive sub : directive.block()) {
            String name = sub.nameText();
            switch (name) {
                case "success":
                    success = bounds(directive, sub, success, context);
                    break;
                case "denial":
                    denial = bounds(directive, sub, denial, context);
                    break;
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
        block.cache(new CacheSettings(zones, success.capacity(), success.maxTtl(), success.minTtl(),
                denial.capacity(), denial.maxTtl(), denial.minTtl(), servfailTtl));
    }

    /** One class of entries (success or denial): its capacity and TTL bounds. */
    private record Bounds(int capacity, Duration maxTtl, Duration minTtl) {}

    /** {@code success|denial CAPACITY [TTL [MINTTL]]}: what it names replaces {@code current}'s values. */
    private static Bounds bounds(Directive directive, Directive sub, Bounds current, ParseContext context)
            throws CorefileException {
        String name = sub.nameText();
        Arguments.requireCount(directive, sub, 1, 3, context);
        List<Token> args = sub.args();
        int capacity = Arguments.positiveInt(args.get(0), name + ": CAPACITY", context, directive);
        Duration max = args.size() > 1 ? maxTtl(args.get(1), name + ": TTL", context, directive) : current.maxTtl();
        Duration min = args.size() > 2 ? minTtl(args.get(2), name + ": MINTTL", context, directive) : current.minTtl();
        return new Bounds(capacity, max, min);
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
