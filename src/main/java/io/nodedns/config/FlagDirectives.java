package io.nodedns.config;

/**
 * Directives that are either there or not: {@code errors} and {@code log}. CoreDNS lets both take
 * arguments and blocks (error consolidation, log formats); nodedns accepts only the bare form for
 * now, and says so rather than ignoring what it cannot honour.
 */
final class FlagDirectives {
    private FlagDirectives() {
    }

    static void errors(Directive directive, ServerBlockBuilder block, ParseContext context) throws CorefileException {
        requireBare(directive, context);
        block.errors();
    }

    static void log(Directive directive, ServerBlockBuilder block, ParseContext context) throws CorefileException {
        requireBare(directive, context);
        block.log();
    }

    private static void requireBare(Directive directive, ParseContext context) throws CorefileException {
        if (!directive.args().isEmpty()) {
            throw context.error(directive, "arguments are not supported yet, got "
                    + directive.args().get(0).quotedText());
        }
        if (directive.hasBlock()) {
            throw context.error(directive, "a '{' block is not supported yet");
        }
    }
}
