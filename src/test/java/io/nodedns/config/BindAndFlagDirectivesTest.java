package io.nodedns.config;

import static io.nodedns.config.CorefileTesting.onlyBlock;
import static io.nodedns.config.CorefileTesting.rejected;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code errors}, {@code log} and {@code bind}. */
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

    @Test
    void bindWithoutAddressesIsAnError() {
        assertEquals("Corefile:2: bind: at least one address is required",
                rejected(". {", "  bind", "}").getMessage());
    }

    @Test
    void bindRefusesInterfaceNamesAndHostNames() {
        for (String word : List.of("eth0", "localhost", "10.0.0.256", "10.0.0", "010.0.0.1", "::g")) {
            CorefileException e = rejected(". {", "  bind 127.0.0.1 " + word, "}");
            assertEquals("Corefile:2: bind: not an IP address: \"" + word
                    + "\" (interface names are not supported yet)", e.getMessage());
        }
    }

    @Test
    void bindRefusesABlock() {
        assertEquals("Corefile:2: bind: a '{' block is not supported yet",
                rejected(". {", "  bind 127.0.0.1 {", "    except 127.0.0.2", "  }", "}").getMessage());
    }
}
