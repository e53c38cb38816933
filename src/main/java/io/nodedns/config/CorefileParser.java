package io.nodedns.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a CoreDNS-syntax Corefile into a validated {@link Corefile}. Every problem is reported
 * eagerly, the first one in file order, as a {@link CorefileException} naming file, line and
 * directive; nothing is ignored silently. See {@link io.nodedns.config} for the supported syntax.
 *
 * <p>Three steps, one class each: {@link CorefileLexer} (words and line numbers),
 * {@link CorefileSyntaxParser} (braces into blocks and directives), {@link Directives} (meaning).
 */
public final class CorefileParser {
    private CorefileParser() {
    }

    /**
     * Parses Corefile text.
     *
     * @param source      used in error messages: a file path or a label such as {@code "<default>"}
     * @param text        the Corefile
     * @param defaultPort port for server block keys that give none (the {@code -dns.port} flag)
     * @throws CorefileException if anything in the text is malformed or unsupported; resolv.conf
     *                           files named by {@code forward} are read relative to the working
     *                           directory, and an unreadable one is an error too
     */
    public static Corefile parse(String source, String text, int defaultPort) throws CorefileException {
        return parse(new ParseContext(source, defaultPort, ResolvConf::parse), text);
    }

    /**
     * Reads {@code file} as UTF-8 and parses it, with the file's path as the source in messages.
     *
     * @throws CorefileException if the file cannot be read, or as {@link #parse(String, String, int)}
     */
    public static Corefile parse(Path file, int defaultPort) throws CorefileException {
        String source = file.toString();
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException unreadable) {
            throw new CorefileException(source, 0, null, "cannot read Corefile: " + unreadable, unreadable);
        }
        return parse(source, text, defaultPort);
    }

    static Corefile parse(ParseContext context, String text) throws CorefileException {
        if (context.defaultPort() < 0 || context.defaultPort() > 65535) {
            throw new IllegalArgumentException("defaultPort out of range: " + context.defaultPort());
        }
        List<Token> tokens = CorefileLexer.tokenize(context.source(), text);
        List<ServerBlockSyntax> syntax = CorefileSyntaxParser.parse(context.source(), tokens);
        if (syntax.isEmpty()) {
            throw context.error(1, null,
                    "no server blocks (expected at least one, e.g. '.:53 { forward . /etc/resolv.conf }')");
        }
        Map<ServerKey, Integer> keyLines = new HashMap<>();
        List<ServerBlock> blocks = new ArrayList<>();
        for (ServerBlockSyntax blockSyntax : syntax) {
            List<ServerKey> keys = new ArrayList<>();
            for (Token word : blockSyntax.keys()) {
                for (ServerKey key : ServerKeys.parse(word, context)) {
                    Integer firstLine = keyLines.putIfAbsent(key, word.line());
                    if (firstLine != null) {
                        // CoreDNS refuses this too: which block would answer?
                        throw context.error(word.line(), null,
                                "zone " + key + " is defined twice (first on line " + firstLine + ")");
                    }
                    keys.add(key);
                }
            }
            if (keys.isEmpty()) {
                throw context.error(blockSyntax.line(), null, "server block has no keys before '{'");
            }
            ServerBlockBuilder block = new ServerBlockBuilder(keys, blockSyntax.line());
            Directives.applyAll(blockSyntax.directives(), block, context);
            blocks.add(block.build());
        }
        return new Corefile(context.source(), blocks);
    }
}
