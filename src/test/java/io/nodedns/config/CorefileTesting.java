package io.nodedns.config;

import static org.junit.jupiter.api.Assertions.assertThrows;

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
}
