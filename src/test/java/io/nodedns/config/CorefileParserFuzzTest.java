package io.nodedns.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;

/**
 * Arbitrary text through {@link CorefileParser}: a Corefile comes from a ConfigMap anyone with
 * edit rights can change, and a reload must reject a bad one with a message, never with an
 * exception that escapes the reloader. The only failure allowed is a {@link CorefileException}
 * whose line lies inside the text and whose message starts with the source; a success or a
 * failure is the same on a second parse (nothing depends on state left behind).
 *
 * <p>resolv.conf files named by {@code forward} are read through the parser's seam: a path ending
 * in {@code resolv.conf} holds two name servers, any other path does not exist; the fuzzer never
 * reads the file system. Seeds: {@code CorefileParserFuzzTestInputs/parse/}, real Corefiles
 * (node-local-dns's, CoreDNS's README examples) and near misses, as UTF-8.
 */
class CorefileParserFuzzTest {
    private static final String SOURCE = "fuzz.Corefile";

    @FuzzTest(maxDuration = "60s")
    void parse(byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8);
        Object first = outcome(text);
        Object second = outcome(text);
        assertEquals(first, second, "two parses of the same text differ");
        if (first instanceof String message) {
            assertTrue(message.startsWith(SOURCE + ":"), "message without its source: " + message);
        }
    }

    /** The parsed Corefile, or the CorefileException's message; anything else thrown fails the test. */
    private static Object outcome(String text) {
        ParseContext context = new ParseContext(SOURCE, 53, path -> {
            if (path.toString().endsWith("resolv.conf")) {
                return ResolvConf.parse("nameserver 10.0.0.10\nnameserver fd00::10\n");
            }
            throw new NoSuchFileException(path.toString());
        });
        try {
            Corefile corefile = CorefileParser.parse(context, text);
            assertNotNull(corefile);
            assertFalse(corefile.blocks().isEmpty(), "a parsed Corefile has a server block");
            return corefile;
        } catch (CorefileException e) {
            long lines = text.chars().filter(c -> c == '\n').count() + 1;
            assertTrue(e.line() >= 0 && e.line() <= lines, "line " + e.line() + " of " + lines + ": " + e.getMessage());
            assertEquals(SOURCE, e.source());
            return e.getMessage();
        } catch (RuntimeException | StackOverflowError e) {
            throw new AssertionError("not a CorefileException for " + quoted(text) + ": " + e, e);
        }
    }

    private static String quoted(String text) {
        return '"' + (text.length() > 300 ? text.substring(0, 300) + "..." : text)
                .replace("\\", "\\\\").replace("\n", "\\n").replace("\"", "\\\"") + '"';
    }
}
