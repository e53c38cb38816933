package io.nodedns.config;

/**
 * {@code loop}: at start, send a query for a random name to the block's own listener and stop the
 * process if it comes back through the forwarder (CoreDNS plugin/loop). It takes no arguments and
 * no block, and may appear once per server block; CoreDNS's setup.go refuses the same.
 */
final class LoopDirective {
    private LoopDirective() {
    }

    static void parse(Directive directive, ServerBlockBuilder block, ParseContext context) throws CorefileException {
        if (!directive.args().isEmpty()) {
            throw context.error(directive, "takes no arguments, got " + directive.args().get(0).quotedText());
        }
        if (directive.hasBlock()) {
            throw context.error(directive, "a '{' block is not supported");
        }
        block.loop();
    }
}
