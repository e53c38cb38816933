package io.nodedns.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * {@code cache [TTL] [ZONES...] { success CAPACITY [TTL [MINTTL]]; denial CAPACITY [TTL [MINTTL]];
 * servfail DURATION; prefetch AMOUNT [[DURATION] [PERCENTAGE%]]; serve_stale [DURATION]
 * [REFRESH_MODE]; disable success|denial [ZONES...] }}, with CoreDNS plugin/cache's defaults and
 * checks (plugin/cache/setup.go; see {@link CacheSettings}); plus nodedns's own
 * {@code serve_stale_ttl DURATION} and {@code serve_stale_nxdomain keep|replace}, which need a
 * {@code serve_stale} line in the same block.
 *
 * <p>TTLs are whole seconds, as in CoreDNS; {@code servfail}, {@code prefetch} and
 * {@code serve_stale} take Go durations. A TTL on the {@code cache} line sets both maxima;
 * {@code success}/{@code denial} lines override it. {@code keepttl} is refused until nodedns
 * implements it.
 */
final class CacheDirective {
    private static final List<String> NOT_YET_SUPPORTED = List.of("keepttl");

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
        List<String> zones = zones(args.subList(zonesFrom, args.size()), "", directive, context);
        if (zones.isEmpty()) {
            zones = block.zones();
        }

        Bounds success = new Bounds(CacheSettings.DEFAULT_CAPACITY, successMaxTtl, CacheSettings.DEFAULT_MIN_TTL);
        Bounds denial = new Bounds(CacheSettings.DEFAULT_CAPACITY, denialMaxTtl, CacheSettings.DEFAULT_MIN_TTL);
        Duration servfailTtl = CacheSettings.DEFAULT_SERVFAIL_TTL;
        CacheSettings.Prefetch prefetch = CacheSettings.Prefetch.OFF;
        CacheSettings.ServeStale serveStale = CacheSettings.ServeStale.OFF;
        List<String> successDisabled = List.of();
        List<String> denialDisabled = List.of();
        Duration staleTtl = CacheSettings.ServeStale.DEFAULT_ANSWER_TTL;
        CacheSettings.ServeStale.Nxdomain staleNxdomain = CacheSettings.ServeStale.Nxdomain.KEEP;
        Directive staleTtlLine = null;
        Directive staleNxdomainLine = null;
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
                case "prefetch":
                    prefetch = prefetch(directive, sub, context);
                    break;
                case "serve_stale":
                    serveStale = serveStale(directive, sub, context);
                    break;
                case "serve_stale_ttl": {
                    Arguments.requireCount(directive, sub, 1, 1, context);
                    Token value = sub.args().get(0);
                    staleTtl = Arguments.nonNegativeDuration(value, "serve_stale_ttl", context, directive);
                    if (staleTtl.compareTo(CacheSettings.ServeStale.MAX_ANSWER_TTL) > 0
                            || staleTtl.toNanosPart() != 0) {
                        throw context.error(value.line(), directive.nameText(),
                                "serve_stale_ttl: want whole seconds from 0s to 1h: " + value.quotedText());
                    }
                    staleTtlLine = sub;
                    break;
                }
                case "serve_stale_nxdomain": {
                    Arguments.requireCount(directive, sub, 1, 1, context);
                    Token value = sub.args().get(0);
                    switch (value.text().toLowerCase(Locale.ROOT)) {
                        case "keep":
                            staleNxdomain = CacheSettings.ServeStale.Nxdomain.KEEP;
                            break;
                        case "replace":
                            staleNxdomain = CacheSettings.ServeStale.Nxdomain.REPLACE;
                            break;
                        default:
                            throw context.error(value.line(), directive.nameText(),
                                    "serve_stale_nxdomain: want keep or replace, not " + value.quotedText());
                    }
                    staleNxdomainLine = sub;
                    break;
                }
                case "disable": {
                    Arguments.requireCount(directive, sub, 1, Integer.MAX_VALUE, context);
                    Token kind = sub.args().get(0);
                    // CoreDNS's words are case-sensitive here ("success", "denial"), unlike REFRESH_MODE.
                    boolean disableSuccess = kind.text().equals("success");
                    if (!disableSuccess && !kind.text().equals("denial")) {
                        throw context.error(kind.line(), directive.nameText(),
                                "disable: want success or denial, not " + kind.quotedText());
                    }
                    // A later line for the same kind replaces an earlier one, as in CoreDNS.
                    if (disableSuccess) {
                        successDisabled = disableZones(directive, sub, zones, context);
                    } else {
                        denialDisabled = disableZones(directive, sub, zones, context);
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
        // The nodedns-only serve_stale options mean nothing without serve_stale: refused, not ignored.
        for (Directive option : new Directive[] {staleTtlLine, staleNxdomainLine}) {
            if (option != null && !serveStale.enabled()) {
                throw context.error(option.line(), directive.nameText(),
                        option.nameText() + ": needs serve_stale in the same cache block");
            }
        }
        serveStale = serveStale.withAnswerTtl(staleTtl).withNxdomain(staleNxdomain);
        block.cache(new CacheSettings(zones, success.capacity(), success.maxTtl(), success.minTtl(),
                denial.capacity(), denial.maxTtl(), denial.minTtl(), servfailTtl, prefetch, serveStale,
                successDisabled, denialDisabled));
    }

    /**
     * {@code prefetch AMOUNT [[DURATION] [PERCENTAGE%]]}. As in CoreDNS the second argument is
     * always the duration; an AMOUNT of 0 turns prefetch off.
     */
    private static CacheSettings.Prefetch prefetch(Directive directive, Directive sub, ParseContext context)
            throws CorefileException {
        Arguments.requireCount(directive, sub, 1, 3, context);
        List<Token> args = sub.args();
        int amount = Arguments.nonNegativeInt(args.get(0), "prefetch: AMOUNT", context, directive);
        Duration duration = CacheSettings.Prefetch.DEFAULT_DURATION;
        if (args.size() > 1) {
            Token value = args.get(1);
            duration = Arguments.nonNegativeDuration(value, "prefetch: DURATION", context, directive);
            if (duration.isZero()) {
                // CoreDNS takes 0 and then never sees two hits "within" it: prefetch would never fire.
                throw context.error(value.line(), directive.nameText(),
                        "prefetch: DURATION: can't be zero: " + value.quotedText());
            }
        }
        int percentage = CacheSettings.Prefetch.DEFAULT_PERCENTAGE;
        if (args.size() > 2) {
            percentage = percentage(args.get(2), directive, context);
        }
        return new CacheSettings.Prefetch(amount, duration, percentage);
    }

    /** {@code PERCENTAGE%}: an integer from 10 to 90 and a mandatory percent sign, as CoreDNS checks it. */
    private static int percentage(Token value, Directive directive, ParseContext context) throws CorefileException {
        String text = value.text();
        if (!text.endsWith("%")) {
            throw context.error(value.line(), directive.nameText(),
                    "prefetch: PERCENTAGE: must end in '%': " + value.quotedText());
        }
        OptionalLong number = Arguments.integer(text.substring(0, text.length() - 1));
        if (number.isEmpty() || number.getAsLong() < CacheSettings.Prefetch.MIN_PERCENTAGE
                || number.getAsLong() > CacheSettings.Prefetch.MAX_PERCENTAGE) {
            throw context.error(value.line(), directive.nameText(),
                    "prefetch: PERCENTAGE: want 10% to 90%: " + value.quotedText());
        }
        return (int) number.getAsLong();
    }

    /**
     * {@code serve_stale [DURATION] [REFRESH_MODE]}: DURATION defaults to 1h (0 turns it off, as
     * in CoreDNS); REFRESH_MODE is {@code immediate} (default) or {@code verify}, in any case.
     */
    private static CacheSettings.ServeStale serveStale(Directive directive, Directive sub, ParseContext context)
            throws CorefileException {
        Arguments.requireCount(directive, sub, 0, 2, context);
        List<Token> args = sub.args();
        Duration duration = args.isEmpty() ? CacheSettings.ServeStale.DEFAULT_DURATION
                : Arguments.nonNegativeDuration(args.get(0), "serve_stale: DURATION", context, directive);
        CacheSettings.ServeStale.RefreshMode mode = CacheSettings.ServeStale.RefreshMode.IMMEDIATE;
        if (args.size() > 1) {
            Token value = args.get(1);
            switch (value.text().toLowerCase(Locale.ROOT)) {
                case "immediate":
                    break;
                case "verify":
                    mode = CacheSettings.ServeStale.RefreshMode.VERIFY;
                    break;
                default:
                    throw context.error(value.line(), directive.nameText(),
                            "serve_stale: REFRESH_MODE: want immediate or verify, not " + value.quotedText());
            }
        }
        return new CacheSettings.ServeStale(duration, mode);
    }

    /**
     * The zones after {@code disable success|denial}, normalized; without any, the cache's own
     * zones. (CoreDNS defaults to the root zone, which disables the same answers: the cache only
     * ever holds names in its zones.)
     */
    private static List<String> disableZones(Directive directive, Directive sub, List<String> cacheZones,
                                             ParseContext context) throws CorefileException {
        List<Token> args = sub.args();
        if (args.size() == 1) {
            return cacheZones;
        }
        return zones(args.subList(1, args.size()), "disable: ", directive, context);
    }

    /** Zone words normalized, without repeats; a bad one is refused with {@code prefix} before the problem. */
    private static List<String> zones(List<Token> words, String prefix, Directive directive, ParseContext context)
            throws CorefileException {
        List<String> zones = new ArrayList<>();
        for (Token zone : words) {
            try {
                String normalized = Zones.normalize(zone.text());
                if (!zones.contains(normalized)) {
                    zones.add(normalized);
                }
            } catch (IllegalArgumentException badZone) {
                throw context.error(zone.line(), directive.nameText(), prefix + badZone.getMessage());
            }
        }
        return zones;
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
