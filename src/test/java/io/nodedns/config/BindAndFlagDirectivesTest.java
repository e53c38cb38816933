package io.nodedns.config;

import static io.nodedns.config.CorefileTesting.onlyBlock;
import static io.nodedns.config.CorefileTesting.rejected;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet4Address;
import java.net.Inet6Address;
import org.junit.jupiter.api.Test;

/** {@code errors}, {@code log} and {@code bind} with addresses ({@link BindDirectiveTest} has the rest of bind). */
class BindAndFlagDirectivesTest {

    @Test
    void errorsAndLogAreFlags() throws Exception {
        ServerBlock both = onlyBlock(". {", "  errors", "  log", "}");
        assertTrue(both.errors());
        assertTrue(both.log());

        ServerBlock neither = onlyBlock(". {", "}");
        assertFalse(neither.errors());
        assertFalse(neither.log());
    }

    @Test
    void errorsAndLogTakeNoArgumentsOrBlockYet() {
        assertEquals("Corefile:2: errors: arguments are not supported yet, got \"stdout\"",
                rejected(". {", "  errors stdout", "}").getMessage());
        assertEquals("Corefile:2: errors: a '{' block is not supported yet",
                rejected(". {", "  errors {", "    consolidate 5m \".* i/o timeout$\"", "  }", "}").getMessage());
        assertEquals("Corefile:2: log: arguments are not supported yet, got \"example.org\"",
                rejected(". {", "  log example.org", "}").getMessage());
        assertEquals("Corefile:2: log: a '{' block is not supported yet",
                rejected(". {", "  log {", "  }", "}").getMessage());
    }

    @Test
    void errorsMayAppearOnlyOnceButLogMayRepeat() throws Exception {
        CorefileException e = rejected(". {", "  errors", "  errors", "}");
        assertEquals(3, e.line());
        assertEquals("errors", e.directive());

        assertTrue(onlyBlock(". {", "  log", "  log", "}").log());
    }

    @Test
    void bindTakesIpv4AndIpv6LiteralsAndRepeatsAddUp() throws Exception {
        ServerBlock block = onlyBlock(". {", "  bind 169.254.20.10 ::1", "  bind 10.96.0.10 169.254.20.10", "}");

        assertEquals(3, block.bind().size(), "duplicates are dropped: " + block.bind());
        assertInstanceOf(Inet4Address.class, block.bind().get(0));
        assertEquals("169.254.20.10", block.bind().get(0).getHostAddress());
        assertInstanceOf(Inet6Address.class, block.bind().get(1));
        assertTrue(block.bind().get(1).isLoopbackAddress());
        assertEquals("10.96.0.10", block.bind().get(2).getHostAddress());
    }
}
