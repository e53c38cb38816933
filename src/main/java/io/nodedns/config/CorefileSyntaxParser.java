package io.nodedns.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Groups tokens into server blocks and directives, the Caddyfile structure CoreDNS uses:
 * <pre>
 * file        = server-block*
 * server-block = KEY+ "{" directive* "}"      keys on one line, or continued by a trailing comma;
 *                                            the "{" ends that line or starts the next
 * directive   = NAME ARG* [ "{" directive* "}" ]  NAME, ARGs and "{" on one line
 * </pre>
 * A closing brace may share a line with what comes before it ({@code . { errors }}). Nothing here
 * knows what directives mean; that is {@link Directives}' job.
 */
final class CorefileSyntaxParser {
    private final String source;
    private final List<Token> tokens;
    private int position;

    private CorefileSyntaxParser(String source, List<Token> tokens) {
        this.source = source;
        this.tokens = tokens;
    }

    /** @throws CorefileException for misplaced or unbalanced braces and keys without a block */
    static List<ServerBlockSyntax> parse(String source, List<Token> tokens) throws CorefileException {
        return new CorefileSyntaxParser(source, tokens).serverBlocks();
    }

    private List<ServerBlockSyntax> serverBlocks() throws CorefileException {
        List<ServerBlockSyntax> blocks = new ArrayList<>();
        while (position < tokens.size()) {
            blocks.add(serverBlock());
        }
        return blocks;
    }

    private ServerBlockSyntax serverBlock() throws CorefileException {
        List<Token> keys = new ArrayList<>();
        while (true) {
            if (position == tokens.size()) {
                Token last = keys.get(keys.size() - 1);
                throw error(last.endLine(), "expected '{' after server block keys");
            }
            Token token = tokens.get(position);
            if (token.isCloseBrace()) {
                throw error(token.line(), "unexpected '}'");
            }
            if (token.isOpenBrace()) {
                // Like Caddy, the brace may also start the next line; a dangling comma promised more.
                if (keys.isEmpty()) {
                    throw error(token.line(), "server block has no keys before '{'");
                }
                if (keys.get(keys.size() - 1).text().endsWith(",")) {
                    throw error(token.line(), "expected another server block key after ',' but found '{'");
                }
                position++;
                return new ServerBlockSyntax(keys, directives(token));
            }
            if (!keys.isEmpty()) {
                Token previous = keys.get(keys.size() - 1);
                boolean continued = previous.text().endsWith(",");
                if (token.line() != previous.endLine() && !continued) {
                    throw error(previous.endLine(), "expected '{' after server block keys (separate keys on"
                            + " several lines with commas)");
                }
            }
            keys.add(token);
            position++;
        }
    }

    /** Reads directives up to and including the "}" that closes {@code open}. */
    private List<Directive> directives(Token open) throws CorefileException {
        List<Directive> directives = new ArrayList<>();
        while (true) {
            if (position == tokens.size()) {
                throw error(open.line(), "'{' is never closed");
            }
            Token token = tokens.get(position);
            if (token.isCloseBrace()) {
                position++;
                return directives;
            }
            if (token.isOpenBrace()) {
                throw error(token.line(), "unexpected '{' (a block must open on the line of its directive)");
            }
            directives.add(directive());
        }
    }

    private Directive directive() throws CorefileException {
        Token name = tokens.get(position++);
        List<Token> args = new ArrayList<>();
        int lineEnd = name.endLine();
        while (position < tokens.size()) {
            Token token = tokens.get(position);
            if (token.line() != lineEnd || token.isCloseBrace()) {
                break;
            }
            if (token.isOpenBrace()) {
                position++;
                return new Directive(name, args, directives(token), true);
            }
            args.add(token);
            lineEnd = token.endLine();
            position++;
        }
        return new Directive(name, args, List.of(), false);
    }

    private CorefileException error(int line, String problem) {
        return new CorefileException(source, line, null, problem);
    }
}
