package io.nodedns.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Corefile node-local-dns ships, which operators will hand nodedns unchanged. */
class NodeLocalDnsCorefileTest {

    private static Path fixture(String name) throws Exception {
        return Path.of(NodeLocalDnsCorefileTest.class.getResource("/config/" + name).toURI());
    }

    private static InetSocketAddress dns(String ip) throws Exception {
        return new InetSocketAddress(InetAddress.getByAddress(ip4(ip)), 53);
    }

    private static byte[] ip4(String ip) {
        String[] parts = ip.split("\\.");
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
            bytes[i] = (byte) Integer.parseInt(parts[i]);
        }
        return bytes;
    }

    @Test
    void rejectsTheFullReferenceCorefileAtItsFirstUnimplementedDirective() throws Exception {
        Path file = fixture("nodelocaldns.Corefile");

        CorefileException e = assertThrows(CorefileException.class, () -> CorefileParser.parse(file, 53));

        assertEquals(file.toString(), e.source());
        assertEquals(7, e.line(), "reload is on line 7");
        assertNull(e.directive());
        assertEquals(file + ":7: unknown directive 'reload'", e.getMessage());
    }

    @Test
    void parsesTheReferenceCorefileWithoutUnimplementedDirectivesIntoItsRecords(@TempDir Path dir) throws Exception {
        Path resolvConf = dir.resolve("resolv.conf");
        Files.writeString(resolvConf, "nameserver 192.0.2.53\nnameserver 192.0.2.54\nsearch example.com\n");
        String text = Files.readString(fixture("nodelocaldns-supported.Corefile"), StandardCharsets.UTF_8)
                .replace("RESOLV_CONF_PATH", resolvConf.toString());

        Corefile corefile = CorefileParser.parse("nodelocaldns", text, 53);

        assertEquals("nodelocaldns", corefile.source());
        List<ServerBlock> blocks = corefile.blocks();
        assertEquals(4, blocks.size());
        List<InetAddress> bind = List.of(InetAddress.getByAddress(ip4("169.254.20.10")),
                InetAddress.getByAddress(ip4("10.96.0.10")));

        ServerBlock cluster = blocks.get(0);
        assertEquals(List.of(new ServerKey("cluster.local.", 53)), cluster.keys());
        assertEquals(6, cluster.line());
        assertTrue(cluster.errors());
        assertFalse(cluster.log());
        assertEquals(bind, cluster.bind());
        CacheSettings clusterCache = cluster.cache().orElseThrow();
        assertEquals(new CacheSettings(List.of("cluster.local."), 9984, Duration.ofSeconds(30), Duration.ofSeconds(5),
                9984, Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(5)), clusterCache);
        ForwardSettings clusterForward = cluster.forward().orElseThrow();
        assertEquals(new ForwardSettings(".", List.of(dns("10.96.0.10")), true, false, Duration.ofSeconds(10), 2,
                Duration.ofMillis(500), ForwardPolicy.RANDOM, 0, 13), clusterForward);

        for (int i = 1; i <= 2; i++) {
            ServerBlock reverse = blocks.get(i);
            String zone = i == 1 ? "in-addr.arpa." : "ip6.arpa.";
            assertEquals(List.of(new ServerKey(zone, 53)), reverse.keys());
            assertEquals(bind, reverse.bind());
            assertEquals(new CacheSettings(List.of(zone), 9984, Duration.ofSeconds(30), Duration.ofSeconds(5),
                    9984, Duration.ofSeconds(30), Duration.ofSeconds(5), Duration.ofSeconds(5)),
                    reverse.cache().orElseThrow());
            ForwardSettings forward = reverse.forward().orElseThrow();
            assertTrue(forward.forceTcp());
            assertEquals(List.of(dns("10.96.0.10")), forward.to());
        }

        ServerBlock root = blocks.get(3);
        assertEquals(List.of(new ServerKey(".", 53)), root.keys());
        assertEquals(List.of("."), root.cache().orElseThrow().zones());
        assertEquals(Duration.ofSeconds(30), root.cache().orElseThrow().successMaxTtl());
        ForwardSettings rootForward = root.forward().orElseThrow();
        assertEquals(".", rootForward.from());
        assertEquals(List.of(dns("192.0.2.53"), dns("192.0.2.54")), rootForward.to());
        assertFalse(rootForward.forceTcp(), "the root block forwards over UDP");
        assertFalse(rootForward.preferUdp());
    }
}
