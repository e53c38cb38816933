package io.nodedns.config;

import java.io.IOException;
import java.nio.file.Path;

/**
 * What directive parsers need besides the directive itself: where the text came from (for error
 * messages), the port for keys that name none, and how to read resolv.conf files that
 * {@code forward} points at.
 */
final class ParseContext {
    /** Reads a resolv.conf file; a seam so the parser does not reach for the file system by itself. */
    @FunctionalInterface
    interface ResolvConfReader {
        ResolvConf read(Path file) throws IOException;
    }

    private final String source;
    private final int defaultPort;
    private final ResolvConfReader resolvConfReader;

    ParseContext(String source, int defaultPort, ResolvConfReader resolvConfReader) {
        this.source = source;
        this.defaultPort = defaultPort;
        this.resolvConfReader = resolvConfReader;
    }

    String source() {
        return source;
    }

    int defaultPort() {
        return defaultPort;
    }

    ResolvConf readResolvConf(Path file) throws IOException {
        return resolvConfReader.read(file);
    }

    /** An error at {@code line} in {@code directive} (null for syntax and key errors). */
    CorefileException error(int line, String directive, String problem) {
        return new CorefileException(source, line, directive, problem);
    }

    /** An error about {@code directive} as a whole, at its line. */
    CorefileException error(Directive directive, String problem) {
        return error(directive.line(), directive.nameText(), problem);
    }

    /** An error in {@code sub}, a sub-directive of {@code parent}: "parent: sub: problem" at sub's line. */
    CorefileException error(Directive parent, Directive sub, String problem) {
        return error(sub.line(), parent.nameText(), sub.nameText() + ": " + problem);
    }
}
