package io.nodedns.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

/** Shorthands for the Corefile tests: parse text with source "Corefile" and port 53. */
final class CorefileTesting {
    private CorefileTesting() {
    }

    static Corefile parse(String... lines) throws CorefileException {
        return CorefileParser.parse("Corefile", String.join("\n", lines) + "\n", 53);
    }

    static ServerBlock onlyBlock(String... lines) throws CorefileException {
        Corefile corefile = parse(lines);
        if (corefile.blocks().size() != 1) {
            throw new AssertionError("expected one block, got " + corefile.blocks());
        }
        return corefile.blocks().get(0);
    }

    static CorefileException rejected(String... lines) {
        return assertThrows(CorefileException.class, () -> parse(lines));
    }

    /** The lines of one block: {@code header} (e.g. {@code ". {"}), the directive lines, and {@code "}"}. */
    static String[] inBlock(String header, String... directiveLines) {
        String[] lines = new String[directiveLines.length + 2];
        lines[0] = header;
        System.arraycopy(directiveLines, 0, lines, 1, directiveLines.length);
        lines[lines.length - 1] = "}";
        return lines;
    }

    /**
     * For each row {@code {directive lines, message}}: the lines, indented in a {@code . { }} block,
     * are refused with exactly that message.
     */
    static void assertEachRejected(List<String[]> table) {
        for (String[] row : table) {
            assertEquals(row[1], rejected(". {", "  " + row[0], "}").getMessage(), row[0]);
        }
    }
}
