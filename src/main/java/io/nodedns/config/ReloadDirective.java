package io.nodedns.config;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * {@code reload [INTERVAL [JITTER]]}: check the Corefile for changes every INTERVAL, give or take
 * JITTER (CoreDNS plugin/reload, setup.go). As in CoreDNS: defaults 30 s and 15 s; an INTERVAL
 * below 2 s or a JITTER below 1 s is an error; a JITTER above half the INTERVAL is lowered to half
 * the INTERVAL without complaint (the plugin's README documents this). Once per server block.
 *
 * <p>CoreDNS's reload is process wide: one block having it makes the whole Corefile reload. The
 * settings are kept per block here; {@link ProcessSettings} picks the one that applies.
 */
final class ReloadDirective {
    private ReloadDirective() {
    }

    static void parse(Directive directive, ServerBlockBuilder block, ParseContext context) throws CorefileException {
        if (directive.hasBlock()) {
            throw context.error(directive, "a '{' block is not supported");
        }
        List<Token> args = directive.args();
        int count = args.size();
        if (count > 2) {
            throw context.error(directive, "wrong argument count: want 0 to 2, got " + count);
        }
        Duration interval = count > 0
                ? atLeast(args.get(0), "INTERVAL", ReloadSettings.MIN_INTERVAL, directive, context)
                : ReloadSettings.DEFAULT_INTERVAL;
        // CoreDNS's README says 0s disables jitter, but its setup.go refuses anything below 1s: the
        // code is what Corefiles written for CoreDNS have been checked against.
        Duration jitter = count > 1
                ? atLeast(args.get(1), "JITTER", ReloadSettings.MIN_JITTER, directive, context)
                : ReloadSettings.DEFAULT_JITTER;
        Duration half = interval.dividedBy(2);
        if (jitter.compareTo(half) > 0) {
            jitter = half;
        }
        block.reload(new ReloadSettings(interval, jitter));
    }

    /** Whole seconds as Go prints them ({@code 2s}). */
    private static String seconds(Duration whole) {
        return whole.toSeconds() + "s";
    }

    /** A Go duration of at least {@code min}, refused below it with CoreDNS's message plus the value. */
    private static Duration atLeast(Token argument, String what, Duration min, Directive directive,
                                    ParseContext context) throws CorefileException {
        Duration value;
        try {
            value = GoDuration.parse(argument.text());
        } catch (IllegalArgumentException invalid) {
            throw context.error(argument.line(), directive.nameText(), what + ": " + invalid.getMessage());
        }
        if (value.compareTo(min) < 0) {
            throw context.error(argument.line(), directive.nameText(), what.toLowerCase(Locale.ROOT)
                    + " value must be greater or equal to " + seconds(min) + ", got " + argument.quotedText());
        }
        return value;
    }
}
