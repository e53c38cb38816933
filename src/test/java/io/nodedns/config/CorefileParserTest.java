package io.nodedns.config;

import static io.nodedns.config.CorefileTesting.onlyBlock;
import static io.nodedns.config.CorefileTesting.parse;
import static io.nodedns.config.CorefileTesting.rejected;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Server block keys, the whole-file checks, and reading from a file. */
class CorefileParserTest {

    @Test
    void normalizesZonesToLowerCaseWithATrailingDot() throws CorefileException {
        ServerBlock block = onlyBlock("Cluster.LOCAL example.org. . {", "}");

        assertEquals(List.of(new ServerKey("cluster.local.", 53), new ServerKey("example.org.", 53),
                new ServerKey(".", 53)), block.keys());
    }

    @Test
    void keysWithoutAPortUseTheDefaultPortGiven() throws CorefileException {
        Corefile corefile = CorefileParser.parse("<default>", ". {\n}\n", 5353);

        assertEquals(List.of(new ServerKey(".", 5353)), corefile.blocks().get(0).keys());
    }

    @Test
    void keysMayNameTheirPortAndTheDnsScheme() throws CorefileException {
        ServerBlock block = onlyBlock("dns://example.org:1053 .:53 DNS://in-addr.arpa {", "}");

        assertEquals(List.of(new ServerKey("example.org.", 1053), new ServerKey(".", 53),
                new ServerKey("in-addr.arpa.", 53)), block.keys());
    }

    @Test
    void portZeroAsksForAnEphemeralPort() throws CorefileException {
        assertEquals(new ServerKey(".", 0), onlyBlock(".:0 {", "}").keys().get(0));
    }

    @Test
    void keysMayBeSeparatedByCommasAndContinueOnTheNextLineAfterOne() throws CorefileException {
        ServerBlock block = onlyBlock("a.example,b.example:54 c.example,", "  d.example {", "}");

        assertEquals(List.of(new ServerKey("a.example.", 53), new ServerKey("b.example.", 54),
                new ServerKey("c.example.", 53), new ServerKey("d.example.", 53)), block.keys());
        assertEquals(1, block.line());
    }

    @Test
    void theSameZoneOnDifferentPortsIsTwoKeys() throws CorefileException {
        Corefile corefile = parse("example.org:53 {", "}", "example.org:54 {", "}");

        assertEquals(2, corefile.blocks().size());
    }

    @Test
    void aZoneAndPortDefinedInTwoBlocksIsAnError() {
        CorefileException e = rejected("cluster.local:53 {", "}", "", "CLUSTER.LOCAL. {", "}");

        assertEquals(4, e.line());
        assertNull(e.directive());
        assertEquals("Corefile:4: zone cluster.local.:53 is defined twice (first on line 1)", e.getMessage());
    }

    @Test
    void aZoneRepeatedInOneBlockIsAnError() {
        CorefileException e = rejected("a.example a.example:53 {", "}");

        assertEquals("Corefile:1: zone a.example.:53 is defined twice (first on line 1)", e.getMessage());
    }

    @Test
    void reverseCidrKeysAreNotSupported() {
        CorefileException e = rejected("10.0.0.0/8 {", "}");

        assertEquals("Corefile:1: server block key \"10.0.0.0/8\": reverse CIDR zones are not supported: "
                + "\"10.0.0.0/8\" (write the in-addr.arpa or ip6.arpa zone instead)", e.getMessage());
    }

    @Test
    void otherTransportsAreNotSupported() {
        CorefileException e = rejected("tls://example.org {", "}");

        assertEquals("Corefile:1: server block key \"tls://example.org\": transport 'tls' is not supported "
                + "(only dns://)", e.getMessage());
    }

    @Test
    void badPortsAreRejected() {
        assertEquals("Corefile:1: server block key \".:65536\": invalid port \"65536\"",
                rejected(".:65536 {", "}").getMessage());
        assertEquals("Corefile:1: server block key \".:dns\": invalid port \"dns\"",
                rejected(".:dns {", "}").getMessage());
        assertEquals("Corefile:1: server block key \".:\": invalid port \"\"",
                rejected(".: {", "}").getMessage());
    }

    @Test
    void malformedZonesAreRejected() {
        assertEquals("Corefile:1: server block key \":53\": missing zone (write '.' for the root)",
                rejected(":53 {", "}").getMessage());
        assertEquals("Corefile:1: server block key \"a..example\": empty label in zone name \"a..example\"",
                rejected("a..example {", "}").getMessage());
        assertEquals("Corefile:1: server block key \"a@example\": invalid character '@' in zone name \"a@example\"",
                rejected("a@example {", "}").getMessage());
        assertEquals("Corefile:1: server block key \"[::1]:53\": an IP address is not a zone",
                rejected("[::1]:53 {", "}").getMessage());
        String longLabel = "a".repeat(64);
        assertTrue(rejected(longLabel + ".example {", "}").getMessage().contains("label longer than 63 octets"));
        String longName = ("a".repeat(60) + ".").repeat(5);
        assertTrue(rejected(longName + " {", "}").getMessage().contains("longer than 255 octets"));
    }

    @Test
    void unknownDirectivesAreErrorsNamingTheLine() {
        CorefileException e = rejected(". {", "  errors", "  hosts /etc/hosts", "}");

        assertEquals(3, e.line());
        assertNull(e.directive());
        assertEquals("Corefile:3: unknown directive 'hosts'", e.getMessage());
    }

    @Test
    void theFirstProblemInFileOrderIsReported() {
        CorefileException e = rejected(". {", "  bind 300.0.0.1", "  forward . nowhere", "}", ".:53 {", "}");

        assertEquals(2, e.line());
        assertEquals("bind", e.directive());
    }

    @Test
    void readsAFileAndNamesItInErrors(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("Corefile");
        Files.writeString(file, ". {\n  forward . 127.0.0.1 {\n    max_fails x\n  }\n}\n");

        CorefileException e = assertThrows(CorefileException.class, () -> CorefileParser.parse(file, 53));

        assertEquals(file.toString(), e.source());
        assertEquals(3, e.line());
        assertEquals("forward", e.directive());
        assertEquals(file + ":3: forward: max_fails: not a non-negative integer: \"x\"", e.getMessage());
    }

    @Test
    void parsesAFileUsingItsPathAsTheSource(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("Corefile");
        Files.writeString(file, ".:1053 {\n  errors\n}\n");

        Corefile corefile = CorefileParser.parse(file, 53);

        assertEquals(file.toString(), corefile.source());
        assertEquals(List.of(new ServerKey(".", 1053)), corefile.blocks().get(0).keys());
    }

    @Test
    void anUnreadableFileIsACorefileExceptionNamingIt(@TempDir Path dir) {
        Path missing = dir.resolve("no-such-Corefile");

        CorefileException e = assertThrows(CorefileException.class, () -> CorefileParser.parse(missing, 53));

        assertEquals(missing.toString(), e.source());
        assertEquals(0, e.line());
        assertNull(e.directive());
        assertTrue(e.getMessage().startsWith(missing + ": cannot read Corefile: java.nio.file.NoSuchFileException"),
                e.getMessage());
    }

    @Test
    void recordsAreImmutable() throws CorefileException {
        Corefile corefile = parse(". {", "  bind 127.0.0.1", "}");

        assertThrows(UnsupportedOperationException.class, () -> corefile.blocks().clear());
        assertThrows(UnsupportedOperationException.class, () -> corefile.blocks().get(0).keys().clear());
        assertThrows(UnsupportedOperationException.class, () -> corefile.blocks().get(0).bind().clear());
    }

    @Test
    void serverKeyRejectsUnnormalizedZones() {
        assertThrows(IllegalArgumentException.class, () -> new ServerKey("Example.org.", 53));
        assertThrows(IllegalArgumentException.class, () -> new ServerKey("example.org", 53));
        assertThrows(IllegalArgumentException.class, () -> new ServerKey(".", 65536));
        assertEquals("example.org.:53", new ServerKey("example.org.", 53).toString());
    }
}
