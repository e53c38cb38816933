package io.nodedns.config;

/**
 * A Corefile that cannot be used: unreadable, malformed, or asking for something nodedns does not
 * support. The message is complete and ready to print, formatted like CoreDNS's own setup errors:
 * {@code SOURCE:LINE: DIRECTIVE: PROBLEM}, for example
 * {@code /etc/Corefile:7: forward: max_fails: not a non-negative integer: "x"}. The directive part
 * is left out for errors that belong to no directive (syntax, server block keys), and the line part
 * for errors that belong to no line (an unreadable file).
 */
public final class CorefileException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String source;
    private final int line;
    private final String directive;

    /**
     * @param source    the file path or a label such as {@code "<default>"}
     * @param line      1-based line number, or 0 when the problem is not tied to a line
     * @param directive the directive being parsed, or null for syntax and server-key errors
     * @param problem   what is wrong, without the location prefix
     */
    public CorefileException(String source, int line, String directive, String problem) {
        this(source, line, directive, problem, null);
    }

    /** As {@link #CorefileException(String, int, String, String)}, keeping the underlying cause. */
    public CorefileException(String source, int line, String directive, String problem, Throwable cause) {
        super(format(source, line, directive, problem), cause);
        this.source = source;
        this.line = line;
        this.directive = directive;
    }

    /**
     * An error in {@code text} read from {@code source}, at the 1-based line where {@code needle}
     * first appears, or at no line if it does not; for text that is not a Corefile (a template, a
     * JSON file), whose problems are found by value rather than by token.
     */
    static CorefileException atFirst(String source, String text, String needle, String problem) {
        int at = text.indexOf(needle);
        int line = at < 0 ? 0 : 1 + (int) text.substring(0, at).chars().filter(c -> c == '\n').count();
        return new CorefileException(source, line, null, problem);
    }

    private static String format(String source, int line, String directive, String problem) {
        StringBuilder message = new StringBuilder(source);
        if (line > 0) {
            message.append(':').append(line);
        }
        message.append(": ");
        if (directive != null) {
            message.append(directive).append(": ");
        }
        return message.append(problem).toString();
    }

    /** The file path or label the Corefile came from. */
    public String source() {
        return source;
    }

    /** The 1-based line of the problem, or 0 if it is not tied to a line. */
    public int line() {
        return line;
    }

    /** The directive being parsed ({@code "forward"}, {@code "cache"}...), or null for syntax errors. */
    public String directive() {
        return directive;
    }
}
