package io.nodedns.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nodedns.config.Corefile;
import io.nodedns.config.CorefileParser;
import io.nodedns.config.ServerBlock;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Go flag syntax as node-cache accepts it, and the laptop default. */
class CommandLineTest {

    @Test
    void readsFlagsInBothSyntaxes() throws Exception {
        CommandLine a = CommandLine.parse(new String[] {"-conf", "/etc/Corefile", "-dns.port=5300"}, Map.of());
        assertEquals(Path.of("/etc/Corefile"), a.conf());
        assertEquals(5300, a.dnsPort());
        CommandLine b = CommandLine.parse(new String[] {"--conf=/x", "-version"}, Map.of());
        assertEquals(Path.of("/x"), b.conf());
        assertTrue(b.version());
        assertFalse(CommandLine.parse(new String[] {"-version=false"}, Map.of()).version());
    }

    @Test
    void resolvConfComesFromFlagThenEnvironmentThenDefault() throws Exception {
        assertEquals(CommandLine.DEFAULT_RESOLV_CONF, CommandLine.parse(new String[0], Map.of()).resolvConf());
        Map<String, String> env = Map.of(CommandLine.RESOLV_CONF_ENV, "/tmp/env.conf");
        assertEquals(Path.of("/tmp/env.conf"), CommandLine.parse(new String[0], env).resolvConf());
        assertEquals(Path.of("/tmp/flag.conf"),
                CommandLine.parse(new String[] {"-resolv-conf", "/tmp/flag.conf"}, env).resolvConf());
        assertNull(CommandLine.parse(new String[0], Map.of()).conf());
    }

    @Test
    void rejectsUnknownFlagsMissingValuesAndBadPorts() {
        assertThrows(CommandLine.UsageException.class, () -> CommandLine.parse(new String[] {"-bogus"}, Map.of()));
        assertThrows(CommandLine.UsageException.class, () -> CommandLine.parse(new String[] {"-conf"}, Map.of()));
        assertThrows(CommandLine.UsageException.class,
                () -> CommandLine.parse(new String[] {"-dns.port=70000"}, Map.of()));
        assertThrows(CommandLine.UsageException.class,
                () -> CommandLine.parse(new String[] {"-version=maybe"}, Map.of()));
        assertThrows(CommandLine.UsageException.class, () -> CommandLine.parse(new String[] {"stray"}, Map.of()));
    }

    @Test
    void unknownFlagExitsWith2AndBadCorefileWith1(@TempDir Path dir) throws Exception {
        assertEquals(2, Main.run(new String[] {"-nope"}));
        Path bad = dir.resolve("Corefile");
        Files.writeString(bad, ".:5399 {\n  bind 127.0.0.1\n  frobnicate\n}\n");
        assertEquals(1, Main.run(new String[] {"-conf", bad.toString()}));
    }

    @Test
    @org.junit.jupiter.api.Timeout(20) // a -check that went on to serve would block in Main.run
    void checkValidatesWithoutBindingAnything(@TempDir Path dir) throws Exception {
        assertTrue(CommandLine.parse(new String[] {"-check"}, Map.of()).check());
        assertTrue(CommandLine.parse(new String[] {"-validate=true"}, Map.of()).check());
        assertFalse(CommandLine.parse(new String[0], Map.of()).check());
        Path good = dir.resolve("good.Corefile");
        // Port 1 on 127.0.0.1 would need root and is never bound by a check.
        Files.writeString(good, ".:1 {\n  bind 127.0.0.1\n  cache 30\n  forward . 127.0.0.1:5399\n}\n");
        assertEquals(0, Main.run(new String[] {"-check", "-conf", good.toString()}));
        Path bad = dir.resolve("bad.Corefile");
        Files.writeString(bad, ".:1 {\n  cache 30\n  forward . 127.0.0.1:5399 {\n    max_fails x\n  }\n}\n");
        assertEquals(1, Main.run(new String[] {"-validate", "-conf", bad.toString()}));
    }

    @Test
    void laptopDefaultServesLoopback5353FromResolvConf(@TempDir Path dir) throws Exception {
        Path resolv = dir.resolve("resolv.conf");
        Files.writeString(resolv, "nameserver 127.0.0.53\nnameserver 127.0.0.54\n");
        CommandLine cmd = CommandLine.parse(new String[] {"-resolv-conf", resolv.toString()}, Map.of());
        Corefile corefile = CorefileParser.parse("<laptop default>", Main.laptopCorefile(cmd), 53);
        ServerBlock block = corefile.blocks().get(0);
        assertEquals(".", block.keys().get(0).zone());
        assertEquals(5353, block.keys().get(0).port());
        assertEquals(List.of(InetAddress.getByName("127.0.0.1")), block.bind());
        assertTrue(block.cache().isPresent());
        assertEquals(List.of(new InetSocketAddress("127.0.0.53", 53), new InetSocketAddress("127.0.0.54", 53)),
                block.forward().get().to());
    }

    @Test
    void metricsListenAddressDefaultsToNodeCacheWithConfAndLoopbackWithout() throws Exception {
        assertEquals(new InetSocketAddress(9353),
                CommandLine.parse(new String[] {"-conf", "/etc/Corefile"}, Map.of()).setupMetricsAddress());
        InetSocketAddress laptop = CommandLine.parse(new String[0], Map.of()).setupMetricsAddress();
        assertTrue(laptop.getAddress().isLoopbackAddress(), "laptop default stays on loopback: " + laptop);
        assertEquals(9353, laptop.getPort());
        assertEquals(new InetSocketAddress(InetAddress.getByName("127.0.2.2"), 9354),
                CommandLine.parse(new String[] {"-metrics-listen-address=127.0.2.2:9354"}, Map.of())
                        .setupMetricsAddress());
        assertNull(CommandLine.parse(new String[] {"-conf", "/x", "-metrics-listen-address", ""}, Map.of())
                .setupMetricsAddress(), "an empty value serves it nowhere");
        assertThrows(CommandLine.UsageException.class,
                () -> CommandLine.parse(new String[] {"-metrics-listen-address=9353"}, Map.of()));
    }
}
