package io.nodedns.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole node-local-dns path an operator takes: the published ConfigMap template, the sed step
 * of the install instructions, node-cache's rendering, then the parser. Needs the {@code reload},
 * {@code loop} and {@code health} directive parsers.
 */
class NodeCacheCorefileParseTest {

    @TempDir
    Path dir;

    private static InetAddress ip(String literal) {
        return IpLiterals.parse(literal).orElseThrow();
    }

    private static InetSocketAddress dns(String literal, int port) {
        return new InetSocketAddress(ip(literal), port);
    }

    private Corefile parseRendered(Path kubeDnsDir) throws Exception {
        Path resolvConf = dir.resolve("resolv.conf");
        Files.writeString(resolvConf, "nameserver 192.0.2.1\nnameserver 192.0.2.2\nsearch example.net\n");
        NodeCacheInputs in = new NodeCacheInputs(NodeCacheCorefileTest.operatorSed(dir), kubeDnsDir,
                "kube-dns-upstream", NodeCacheCorefileTest.ENV,
                NodeCacheInputs.parseLocalIps("169.254.20.10,10.96.0.10"), 53, resolvConf);
        return CorefileParser.parse("/etc/Corefile", NodeCacheCorefile.render(in), 53);
    }

    private static void assertClusterForward(ServerBlock block) {
        ForwardSettings forward = block.forward().orElseThrow();
        assertEquals(".", forward.from());
        assertEquals(List.of(dns("10.96.0.11", 53)), forward.to(), "kube-dns-upstream's ClusterIP");
        assertTrue(forward.forceTcp(), "cluster names go to kube-dns over TCP: no conntrack race");
    }

    @Test
    void theReferenceCorefileRendersAndParsesIntoItsBlocks() throws Exception {
        List<ServerBlock> blocks = parseRendered(NodeCacheCorefileTest.fixture("kube-dns")).blocks();

        assertEquals(6, blocks.size());
        List<InetAddress> bind = List.of(ip("169.254.20.10"), ip("10.96.0.10"));
        for (ServerBlock block : blocks) {
            assertEquals(bind, block.bind(), block.keys().toString());
            assertTrue(block.errors(), block.keys().toString());
        }

        ServerBlock cluster = blocks.get(0);
        assertEquals(List.of(new ServerKey("cluster.local.", 53)), cluster.keys());
        assertEquals(new CacheSettings(List.of("cluster.local."), 9984, Duration.ofSeconds(30), Duration.ofSeconds(5),
                9984, Duration.ofSeconds(5), Duration.ofSeconds(5), Duration.ofSeconds(5)), cluster.cache().orElseThrow());
        assertClusterForward(cluster);
        assertEquals(Optional.of(ReloadSettings.defaults()), cluster.reload());
        assertTrue(cluster.loop());
        assertEquals(Optional.of(new InetSocketAddress(9253)), cluster.prometheus());
        assertEquals(new InetSocketAddress(ip("169.254.20.10"), 8080), cluster.health().orElseThrow().address());

        for (int i = 1; i <= 2; i++) {
            ServerBlock reverse = blocks.get(i);
            String zone = i == 1 ? "in-addr.arpa." : "ip6.arpa.";
            assertEquals(List.of(new ServerKey(zone, 53)), reverse.keys());
            assertEquals(Duration.ofSeconds(30), reverse.cache().orElseThrow().successMaxTtl());
            assertEquals(Duration.ofSeconds(30), reverse.cache().orElseThrow().denialMaxTtl());
            assertClusterForward(reverse);
            assertEquals(Optional.empty(), reverse.health());
        }

        ServerBlock root = blocks.get(3);
        assertEquals(List.of(new ServerKey(".", 53)), root.keys());
        ForwardSettings rootForward = root.forward().orElseThrow();
        assertEquals(List.of(dns("198.51.100.1", 53), dns("198.51.100.2", 53)), rootForward.to(),
                "upstreamNameservers of the kube-dns ConfigMap");
        assertFalse(rootForward.forceTcp(), "custom upstreams over UDP, as node-cache writes them");

        ServerBlock acme = blocks.get(4);
        assertEquals(List.of(new ServerKey("acme.local.", 53)), acme.keys());
        assertEquals(List.of(dns("192.0.2.53", 53), dns("192.0.2.54", 5353)), acme.forward().orElseThrow().to());
        assertFalse(acme.forward().orElseThrow().forceTcp());
        assertEquals(Duration.ofSeconds(30), acme.cache().orElseThrow().successMaxTtl());
        assertEquals(Optional.empty(), acme.reload());
        assertFalse(acme.loop());

        ServerBlock corp = blocks.get(5);
        assertEquals(List.of(new ServerKey("corp.example.", 53)), corp.keys());
        assertEquals(List.of(dns("2001:db8::53", 53)), corp.forward().orElseThrow().to());
    }

    @Test
    void withoutTheKubeDnsConfigMapTheRootBlockForwardsToTheNodesResolvers() throws Exception {
        List<ServerBlock> blocks = parseRendered(dir.resolve("no-kube-dns")).blocks();

        assertEquals(4, blocks.size());
        ForwardSettings rootForward = blocks.get(3).forward().orElseThrow();
        assertEquals(List.of(dns("192.0.2.1", 53), dns("192.0.2.2", 53)), rootForward.to());
        assertFalse(rootForward.forceTcp());
    }
}
