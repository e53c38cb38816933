package io.nodedns.config;

import java.util.List;

/**
 * One directive as written, before its meaning is checked: a name, the words after it on the same
 * line, and an optional "{ ... }" block of sub-directives (such as {@code force_tcp} under
 * {@code forward}).
 *
 * @param name     the directive's first word
 * @param args     the following words on the same line, up to a brace
 * @param block    the sub-directives inside its braces; empty when it has none or no block
 * @param hasBlock whether it was followed by a brace block (possibly empty)
 */
record Directive(Token name, List<Token> args, List<Directive> block, boolean hasBlock) {

    Directive {
        args = List.copyOf(args);
        block = List.copyOf(block);
    }

    String nameText() {
        return name.text();
    }

    int line() {
        return name.line();
    }
}
