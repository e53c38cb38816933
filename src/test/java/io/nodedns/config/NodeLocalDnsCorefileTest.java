package io.nodedns.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

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
    void parsesTheFullReferenceCorefileIntoItsRecords() throws Exception {
        Path file = fixture("nodelocaldns.Corefile");
        List<Path> resolvConfsRead = new ArrayList<>();
        // The real /etc/resolv.conf is never read: the reader answers with fixed upstreams.
        ParseContext context = new ParseContext(file.toString(), 53, path -> {
            resolvConfsRead.add(path);
            return ResolvConf.parse("nameserver 192.0.2.53\nnameserver 192.0.2.54\nsearch example.com\n");
        });

        Corefile corefile = CorefileParser.parse(context, Files.readString(file, StandardCharsets.UTF_8));

        assertEquals(List.of(Path.of("/etc/resolv.conf")), resolvConfsRead);
        assertEquals(file.toString(), corefile.source());
        List<ServerBlock> blocks = corefile.blocks();
        assertEquals(4, blocks.size());
        List<InetAddress> bind = List.of(InetAddress.getByAddress(ip4("169.254.20.10")),
                InetAddress.getByAddress(ip4("10.96.0.10")));
        InetSocketAddress prometheus = new InetSocketAddress(9253);
        String[] zones = {"cluster.local.", "in-addr.arpa.", "ip6.arpa.", "."};
        int[] lines = {1, 16, 27, 38};
        for (int i = 0; i < 4; i++) {
            ServerBlock block = blocks.get(i);
            assertEquals(List.of(new ServerKey(zones[i], 53)), block.keys(), zones[i]);
            assertEquals(lines[i], block.line(), zones[i]);
            assertTrue(block.errors(), zones[i]);
            assertFalse(block.log(), zones[i]);
            assertEquals(Optional.of(ReloadSettings.defaults()), block.reload(), zones[i]);
            assertTrue(block.loop(), zones[i]);
            assertEquals(bind, block.bind(), zones[i]);
            assertEquals(List.of(), block.bindInterfaces(), zones[i]);
            assertEquals(Optional.of(prometheus), block.prometheus(), zones[i]);
            assertEquals(Optional.empty(), block.ready(), zones[i]);
        }

        ServerBlock cluster = blocks.get(0);
        assertEquals(Optional.of(new HealthSettings(new InetSocketAddress(InetAddress.getByAddress(ip4("169.254.20.10")),
                8080), Duration.ZERO)), cluster.health());
        assertEquals(new CacheSettings(List.of("cluster.local."), 9984, Duration.ofSeconds(30), Duration.ofSeconds(5),
                9984, Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(5)), cluster.cache().orElseThrow());
        assertEquals(new ForwardSettings(".", List.of(dns("10.96.0.10")), true, false, Duration.ofSeconds(10), 2,
                Duration.ofMillis(500), ForwardPolicy.RANDOM, 0), cluster.forward().orElseThrow());

        for (int i = 1; i <= 3; i++) {
            assertEquals(Optional.empty(), blocks.get(i).health(), "only the cluster.local block has health");
        }
        for (int i = 1; i <= 2; i++) {
            ServerBlock reverse = blocks.get(i);
            assertEquals(new CacheSettings(List.of(zones[i]), 9984, Duration.ofSeconds(30), Duration.ofSeconds(5),
                    9984, Duration.ofSeconds(30), Duration.ofSeconds(5), Duration.ofSeconds(5)),
                    reverse.cache().orElseThrow());
            ForwardSettings forward = reverse.forward().orElseThrow();
            assertTrue(forward.forceTcp());
            assertEquals(List.of(dns("10.96.0.10")), forward.to());
        }

        ServerBlock root = blocks.get(3);
        assertEquals(List.of("."), root.cache().orElseThrow().zones());
        assertEquals(Duration.ofSeconds(30), root.cache().orElseThrow().successMaxTtl());
        ForwardSettings rootForward = root.forward().orElseThrow();
        assertEquals(".", rootForward.from());
        assertEquals(List.of(dns("192.0.2.53"), dns("192.0.2.54")), rootForward.to());
        assertFalse(rootForward.forceTcp(), "the root block forwards over UDP");
        assertFalse(rootForward.preferUdp());

        ProcessSettings process = ProcessSettings.of(corefile);
        assertEquals(Optional.of(ReloadSettings.defaults()), process.reload());
        assertEquals(List.of(cluster.health().orElseThrow().address()), process.healthAddresses());
        assertEquals(Duration.ZERO, process.lameduck());
        assertEquals(List.of(), process.readyAddresses());
    }
}
