package io.nodedns.config;

import java.util.List;

/**
 * A server block as written: its key words and its directives, meaning not yet checked.
 *
 * @param keys       the words before the opening brace (each may hold several comma-separated keys)
 * @param directives the directives inside the braces, in file order
 */
record ServerBlockSyntax(List<Token> keys, List<Directive> directives) {

    ServerBlockSyntax {
        keys = List.copyOf(keys);
        directives = List.copyOf(directives);
    }

    int line() {
        return keys.get(0).line();
    }
}
