package io.nodedns.config;

/**
 * One word of a Corefile.
 *
 * @param text   the word, with quotes removed and {@code \"} unescaped
 * @param line   1-based line on which the word starts
 * @param quoted whether it was written in double quotes; a quoted brace is text, not structure
 */
record Token(String text, int line, boolean quoted) {

    boolean isOpenBrace() {
        return !quoted && text.equals("{");
    }

    boolean isCloseBrace() {
        return !quoted && text.equals("}");
    }

    /** Line on which the word ends; later than {@link #line} only for quoted words with newlines. */
    int endLine() {
        return line + (int) text.chars().filter(c -> c == '\n').count();
    }

    /** The text in Go's %q style, as it appears in error messages. */
    String quotedText() {
        return GoDuration.quote(text);
    }
}
