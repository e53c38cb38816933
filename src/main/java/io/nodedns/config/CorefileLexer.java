package io.nodedns.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits Corefile text into {@link Token}s, following the Caddyfile lexer that CoreDNS uses:
 * <ul>
 *   <li>words are separated by whitespace; newlines matter only through each token's line number;</li>
 *   <li>{@code #} outside quotes starts a comment that runs to the end of the line, even in the
 *       middle of a word;</li>
 *   <li>a word that starts with {@code "} runs to the next unescaped {@code "}, may span lines, and
 *       inside it {@code \"} is a quote; any other backslash is kept, together with the character
 *       it precedes (so {@code "a\\"} is {@code a\\});</li>
 *   <li>the braces "{" and "}" are structure only as whole, unquoted words.</li>
 * </ul>
 */
final class CorefileLexer {
    private final String source;
    private final String text;

    private CorefileLexer(String source, String text) {
        this.source = source;
        // A UTF-8 byte order mark is not part of the first word.
        this.text = text.startsWith("\uFEFF") ? text.substring(1) : text;
    }

    /** @throws CorefileException for a quoted string that is never closed */
    static List<Token> tokenize(String source, String text) throws CorefileException {
        return new CorefileLexer(source, text).tokens();
    }

    private List<Token> tokens() throws CorefileException {
        List<Token> tokens = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        int line = 1;
        int wordLine = 0;
        boolean inComment = false;
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '\n') {
                line++;
                inComment = false;
            }
            if (inComment) {
                i++;
                continue;
            }
            if (Character.isWhitespace(c)) {
                if (word.length() > 0) {
                    tokens.add(new Token(word.toString(), wordLine, false));
                    word.setLength(0);
                }
                i++;
                continue;
            }
            if (c == '#') {
                if (word.length() > 0) {
                    tokens.add(new Token(word.toString(), wordLine, false));
                    word.setLength(0);
                }
                inComment = true;
                i++;
                continue;
            }
            if (c == '"' && word.length() == 0) {
                int startLine = line;
                int[] lineAfter = {line};
                i = readQuoted(i + 1, word, lineAfter);
                if (i < 0) {
                    throw new CorefileException(source, startLine, null, "unterminated quoted string");
                }
                line = lineAfter[0];
                tokens.add(new Token(word.toString(), startLine, true));
                word.setLength(0);
                continue;
            }
            if (word.length() == 0) {
                wordLine = line;
            }
            word.append(c);
            i++;
        }
        if (word.length() > 0) {
            tokens.add(new Token(word.toString(), wordLine, false));
        }
        return tokens;
    }

    /**
     * Appends the body of a quoted word starting at {@code start} (just after the opening quote) to
     * {@code word}, counting newlines into {@code line[0]}.
     *
     * @return the index just after the closing quote, or -1 if the text ends first
     */
    private int readQuoted(int start, StringBuilder word, int[] line) {
        int i = start;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '\\' && i + 1 < text.length()) {
                // Like Caddy, a backslash consumes the next character; it only disappears before a quote.
                char escaped = text.charAt(i + 1);
                if (escaped != '"') {
                    word.append('\\');
                }
                if (escaped == '\n') {
                    line[0]++;
                }
                word.append(escaped);
                i += 2;
                continue;
            }
            if (c == '"') {
                return i + 1;
            }
            if (c == '\n') {
                line[0]++;
            }
            word.append(c);
            i++;
        }
        return -1;
    }
}
