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

    private static final Map<String, Spec> SUPPORTED = Map.ofEntries(
            Map.entry("errors", new Spec(FlagDirectives::errors, true)),
            Map.entry("log", new Spec(FlagDirectives::log, false)),
            Map.entry("bind", new Spec(BindDirective::parse, false)),
            Map.entry("cache", new Spec(CacheDirective::parse, true)),
            Map.entry("forward", new Spec(ForwardDirective::parse, true)),
            Map.entry("prometheus", new Spec(PrometheusDirective::parse, true)),
            // CoreDNS's README: "This plugin can only be used once per Server Block."
            Map.entry("reload", new Spec(ReloadDirective::parse, true)),
            // CoreDNS's loop and ready setup.go return plugin.ErrOnce for a second use.
            Map.entry("loop", new Spec(LoopDirective::parse, true)),
            Map.entry("ready", new Spec(ReadyDirective::parse, true)),
            // CoreDNS would keep the last one's address; a block has room for one health address.
            Map.entry("health", new Spec(HealthDirective::parse, true)),
            // CoreDNS's autopath keeps only the last one; one search path per block is all that makes sense.
            Map.entry("autopath", new Spec(AutopathDirective::parse, true)),
            Map.entry("filter_aaaa", new Spec(FilterAaaaDirective::parse, true)));

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
