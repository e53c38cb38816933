package io.nodedns.config;

import static io.nodedns.config.CorefileTesting.onlyBlock;
import static io.nodedns.config.CorefileTesting.parse;
import static io.nodedns.config.CorefileTesting.rejected;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The Caddyfile syntax: words, comments, quotes, braces and line numbers. */
class CorefileSyntaxTest {

    private static List<Token> tokens(String text) throws CorefileException {
        return CorefileLexer.tokenize("Corefile", text);
    }

    @Test
    void splitsWordsOnWhitespaceAndRecordsTheLineEachStartsOn() throws CorefileException {
        assertEquals(List.of(
                        new Token(".:53", 1, false), new Token("{", 1, false),
                        new Token("forward", 2, false), new Token(".", 2, false), new Token("10.0.0.1", 2, false),
                        new Token("}", 4, false)),
                tokens(".:53 {\n\tforward  .   10.0.0.1\r\n\n}"));
    }

    @Test
    void commentsRunToTheEndOfTheLineEvenInsideAWord() throws CorefileException {
        assertEquals(List.of(new Token("errors", 2, false), new Token("log", 3, false)),
                tokens("# header { unbalanced\nerrors#trailing\nlog # more\n# last"));
    }

    @Test
    void quotedWordsKeepSpacesHashesBracesAndEscapedQuotes() throws CorefileException {
        assertEquals(List.of(
                        new Token("a b # c", 1, true),
                        new Token("{", 1, true),
                        new Token("say \"hi\"", 2, true),
                        new Token("back\\slash\\\\", 2, true),
                        new Token("", 3, true)),
                tokens("\"a b # c\" \"{\"\n\"say \\\"hi\\\"\" \"back\\slash\\\\\"\n\"\""));
    }

    @Test
    void aQuoteInsideAWordIsJustACharacter() throws CorefileException {
        assertEquals(List.of(new Token("a\"b", 1, false)), tokens("a\"b"));
    }

    @Test
    void quotedWordsMaySpanLinesAndLaterWordsKeepTheirRealLine() throws CorefileException {
        List<Token> tokens = tokens("\"one\ntwo\" three\nfour");

        assertEquals(new Token("one\ntwo", 1, true), tokens.get(0));
        assertEquals(2, tokens.get(0).endLine());
        assertEquals(new Token("three", 2, false), tokens.get(1));
        assertEquals(new Token("four", 3, false), tokens.get(2));
    }

    @Test
    void ignoresAByteOrderMark() throws CorefileException {
        assertEquals(List.of(new Token(".", 1, false)), tokens("\uFEFF."));
    }

    @Test
    void unterminatedQuoteIsReportedWhereItStarts() {
        CorefileException e = rejected(".:53 {", "  bind \"127.0.0.1", "}");

        assertEquals(2, e.line());
        assertNull(e.directive());
        assertEquals("Corefile:2: unterminated quoted string", e.getMessage());
    }

    @Test
    void quotedArgumentsAreOrdinaryValues() throws CorefileException {
        ServerBlock block = onlyBlock("\"example.org\" {", "  \"bind\" \"127.0.0.1\"", "}");

        assertEquals(List.of(new ServerKey("example.org.", 53)), block.keys());
        assertEquals("127.0.0.1", block.bind().get(0).getHostAddress());
    }

    @Test
    void aQuotedBraceDoesNotOpenABlock() {
        CorefileException e = rejected(". {", "  bind 127.0.0.1 \"{\"", "}");

        assertEquals("Corefile:2: bind: not a valid IP address or interface name: \"{\"",
                e.getMessage());
    }

    @Test
    void blocksMayOpenAndCloseOnOneLine() throws CorefileException {
        ServerBlock block = onlyBlock(
                ". { errors", "  forward . 127.0.0.1 { force_tcp }", "  cache { success 100 }  }");

        assertTrue(block.errors());
        assertTrue(block.forward().orElseThrow().forceTcp());
        assertEquals(100, block.cache().orElseThrow().successCapacity());
    }

    @Test
    void aBlockWithoutDirectivesIsAllowed() throws CorefileException {
        ServerBlock block = onlyBlock("example.org {", "}");

        assertFalse(block.errors());
        assertFalse(block.log());
        assertTrue(block.cache().isEmpty());
        assertTrue(block.forward().isEmpty());
        assertTrue(block.bind().isEmpty());
    }

    @Test
    void aDirectiveBlockMustOpenOnTheDirectivesLine() {
        CorefileException e = rejected(". {", "  forward . 127.0.0.1", "  {", "    force_tcp", "  }", "}");

        assertEquals(3, e.line());
        assertEquals("Corefile:3: unexpected '{' (a block must open on the line of its directive)", e.getMessage());
    }

    @Test
    void theServerBlocksBraceMayStartTheNextLine() throws CorefileException {
        ServerBlock block = onlyBlock("example.org", "{", "  errors", "}");

        assertEquals(List.of(new ServerKey("example.org.", 53)), block.keys());
        assertTrue(block.errors());
    }

    @Test
    void keysOnSeveralLinesNeedCommas() {
        CorefileException e = rejected("a.example", "b.example {", "}");

        assertEquals("Corefile:1: expected '{' after server block keys (separate keys on several lines with commas)",
                e.getMessage());
    }

    @Test
    void aTrailingCommaBeforeTheBraceIsAnError() {
        CorefileException e = rejected("a.example, {", "}");

        assertEquals("Corefile:1: expected another server block key after ',' but found '{'", e.getMessage());
    }

    @Test
    void keysWithoutABlockAtTheEndOfTheFileAreAnError() {
        CorefileException e = rejected("# only keys", "example.org");

        assertEquals("Corefile:2: expected '{' after server block keys", e.getMessage());
    }

    @Test
    void anUnclosedBlockIsReportedWhereItOpens() {
        CorefileException e = rejected(". {", "  forward . 127.0.0.1 {", "    force_tcp", "}");

        assertEquals("Corefile:1: '{' is never closed", e.getMessage());
    }

    @Test
    void aStrayClosingBraceIsAnError() {
        CorefileException e = rejected(". {", "}", "}");

        assertEquals("Corefile:3: unexpected '}'", e.getMessage());
    }

    @Test
    void aBlockWithoutKeysIsAnError() {
        CorefileException e = rejected("{", "}");

        assertEquals("Corefile:1: server block has no keys before '{'", e.getMessage());
    }

    @Test
    void aFileWithoutServerBlocksIsAnError() {
        CorefileException e = rejected("# nothing but a comment");

        assertEquals(1, e.line());
        assertTrue(e.getMessage().startsWith("Corefile:1: no server blocks"), e.getMessage());
    }

    @Test
    void blocksAreKeptInFileOrderWithTheLineOfTheirFirstKey() throws CorefileException {
        Corefile corefile = parse("# comment", "b.example {", "}", "", "a.example {", "}");

        assertEquals(2, corefile.blocks().size());
        assertEquals("b.example.", corefile.blocks().get(0).keys().get(0).zone());
        assertEquals(2, corefile.blocks().get(0).line());
        assertEquals("a.example.", corefile.blocks().get(1).keys().get(0).zone());
        assertEquals(5, corefile.blocks().get(1).line());
    }
}
