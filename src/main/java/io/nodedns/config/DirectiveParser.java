package io.nodedns.config;

/** Checks one directive and records its meaning on the block being built. */
@FunctionalInterface
interface DirectiveParser {
    /** @throws CorefileException naming the directive, its line, and what is wrong */
    void parse(Directive directive, ServerBlockBuilder block, ParseContext context) throws CorefileException;
}
