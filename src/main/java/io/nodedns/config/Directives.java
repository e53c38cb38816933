package io.nodedns.config;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The directives nodedns understands, by name. Adding one means writing a {@link DirectiveParser},
 * a field on {@link ServerBlock} and one entry in {@link #SUPPORTED}.
 */
final class Directives {
    /**
     * @param parser     reads the directive into the block
     * @param onlyOnce   whether a second occurrence in one block is an error (CoreDNS's
     *                   {@code plugin.ErrOnce}, or nodedns having room for only one)
     */
    private record Spec(DirectiveParser parser, boolean onlyOnce) {
    }

    private static final Map<String, Spec> SUPPORTED = Map.of(
            "errors", new Spec(FlagDirectives::errors, true),
            "log", new Spec(FlagDirectives::log, false),
            "bind", new Spec(BindDirective::parse, false),
            "cache", new Spec(CacheDirective::parse, true),
            "forward", new Spec(ForwardDirective::parse, true),
            "prometheus", new Spec(PrometheusDirective::parse, true));

    private Directives() {
    }

    /** Applies a block's directives in file order; the first problem wins. */
    static void applyAll(List<Directive> directives, ServerBlockBuilder block, ParseContext context)
            throws CorefileException {
        Set<String> seen = new HashSet<>();
        for (Directive directive : directives) {
            String name = directive.nameText();
            Spec spec = SUPPORTED.get(name);
            if (spec == null) {
                throw context.error(directive.line(), null, "unknown directive '" + name + "'");
            }
            if (!seen.add(name) && spec.onlyOnce()) {
                throw context.error(directive, "can only be used once per server block");
            }
            spec.parser().parse(directive, block, context);
        }
    }
}
