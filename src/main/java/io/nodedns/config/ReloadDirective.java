package io.nodedns.config;

import java.time.Duration;

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
        int count = directive.args().size();
        if (count > 2) {
            throw context.error(directive, "wrong argument count: want 0 to 2, got " + count);
        }
        Duration interval = ReloadSettings.DEFAULT_INTERVAL;
        if (count > 0) {
            Token argument = directive.args().get(0);
            interval = duration(argument, "INTERVAL", directive, context);
            if (interval.compareTo(ReloadSettings.MIN_INTERVAL) < 0) {
                // CoreDNS's message, with the value added.
                throw context.error(argument.line(), directive.nameText(),
                        "interval value must be greater or equal to " + seconds(ReloadSettings.MIN_INTERVAL)
                                + ", got " + argument.quotedText());
            }
        }
        Duration jitter = ReloadSettings.DEFAULT_JITTER;
        if (count > 1) {
            Token argument = directive.args().get(1);
            jitter = duration(argument, "JITTER", directive, context);
            if (jitter.compareTo(ReloadSettings.MIN_JITTER) < 0) {
                // CoreDNS's README says 0s disables jitter, but its setup.go refuses anything below 1s: the
                // code is what Corefiles written for CoreDNS have been checked against.
                throw context.error(argument.line(), directive.nameText(),
                        "jitter value must be greater or equal to " + seconds(ReloadSettings.MIN_JITTER)
                                + ", got " + argument.quotedText());
            }
        }
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

    private static Duration duration(Token argument, String what, Directive directive, ParseContext context)
            throws CorefileException {
        try {
            return GoDuration.parse(argument.text());
        } catch (IllegalArgumentException invalid) {
            throw context.error(argument.line(), directive.nameText(), what + ": " + invalid.getMessage());
        }
    }
}
