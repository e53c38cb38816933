package io.nodedns.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** node-cache's updateCorefile: the template, the PILLARs, the kube-dns ConfigMap, the file written. */
class NodeCacheCorefileTest {

    /** The kube-dns-upstream Service's ClusterIP, as Kubernetes puts it in the pod's environment. */
    static final Map<String, String> ENV = Map.of("KUBE_DNS_UPSTREAM_SERVICE_HOST", "10.96.0.11",
            "PATH", "/usr/bin");

    @TempDir
    Path dir;

    static Path fixture(String name) throws Exception {
        return Path.of(NodeCacheCorefileTest.class.getResource("/config/nodecache/" + name).toURI());
    }

    /**
     * The nodelocaldns install instructions in iptables mode: {@code sed -i
     * "s/__PILLAR__LOCAL__DNS__/$localdns/g; s/__PILLAR__DNS__DOMAIN__/$domain/g;
     * s/__PILLAR__DNS__SERVER__/$kubedns/g" nodelocaldns.yaml}, applied to the ConfigMap's Corefile.
     */
    static Path operatorSed(Path dir) throws Exception {
        String template = Files.readString(fixture("Corefile.base"), StandardCharsets.UTF_8)
                .replace("__PILLAR__LOCAL__DNS__", "169.254.20.10")
                .replace("__PILLAR__DNS__DOMAIN__", "cluster.local")
                .replace("__PILLAR__DNS__SERVER__", "10.96.0.10");
        Path base = dir.resolve("Corefile.base");
        Files.writeString(base, template);
        return base;
    }

    /** The DaemonSet's {@code -localip 169.254.20.10,10.96.0.10 -upstreamsvc kube-dns-upstream}. */
    static NodeCacheInputs inputs(Path base, Path kubeDnsDir, Map<String, String> env) throws Exception {
        return new NodeCacheInputs(base, kubeDnsDir, "kube-dns-upstream", env,
                NodeCacheInputs.parseLocalIps("169.254.20.10,10.96.0.10"), 53, Path.of("/test/resolv.conf"));
    }

    private static String block(String key, String cache, String forward, boolean health) {
        return key + " {\n"
                + "    errors\n"
                + cache
                + "    reload\n"
                + "    loop\n"
                + "    bind 169.254.20.10 10.96.0.10\n"
                + forward
                + "    prometheus :9253\n"
                + (health ? "    health 169.254.20.10:8080\n" : "")
                + "    }\n";
    }

    private static final String CLUSTER_FORWARD = "    forward . 10.96.0.11 {\n"
            + "            force_tcp\n"
            + "    }\n";
    private static final String REFERENCE_HEAD =
            block("cluster.local:53", "    cache {\n            success 9984 30\n            denial 9984 5\n    }\n",
                    CLUSTER_FORWARD, true)
            + block("in-addr.arpa:53", "    cache 30\n", CLUSTER_FORWARD, false)
            + block("ip6.arpa:53", "    cache 30\n", CLUSTER_FORWARD, false);

    @Test
    void withoutAKubeDnsConfigMapTheRootBlockForwardsToResolvConf() throws Exception {
        String corefile = NodeCacheCorefile.render(inputs(operatorSed(dir), dir.resolve("no-kube-dns"), ENV));

        assertEquals(REFERENCE_HEAD + block(".:53", "    cache 30\n", "    forward . /test/resolv.conf\n", false),
                corefile);
    }

    @Test
    void theKubeDnsConfigMapSetsUpstreamsAndAppendsStubDomainBlocksInZoneOrder() throws Exception {
        String corefile = NodeCacheCorefile.render(inputs(operatorSed(dir), fixture("kube-dns"), ENV));

        assertEquals(REFERENCE_HEAD
                + block(".:53", "    cache 30\n", "    forward . 198.51.100.1 198.51.100.2\n", false)
                + "\n"
                + "acme.local:53 {\n"
                + "    errors\n"
                + "    cache 30\n"
                + "    bind 169.254.20.10 10.96.0.10\n"
                + "    forward . 192.0.2.53 192.0.2.54:5353\n"
                + "}\n"
                + "\n"
                + "corp.example:53 {\n"
                + "    errors\n"
                + "    cache 30\n"
                + "    bind 169.254.20.10 10.96.0.10\n"
                + "    forward . [2001:db8::53]:53\n"
                + "}\n", corefile);
    }

    @Test
    void stubDomainsListenOnDnsPortAndEveryLocalIp() throws Exception {
        Path kubeDns = Files.createDirectory(dir.resolve("kube-dns"));
        Files.writeString(kubeDns.resolve("stubDomains"), "{\"b.example\": [\"192.0.2.2\"]}");
        Path base = dir.resolve("base");
        Files.writeString(base, ".:5300 {\n    forward . __PILLAR__UPSTREAM__SERVERS__\n}\n");
        NodeCacheInputs in = new NodeCacheInputs(base, kubeDns, "kube-dns", Map.of(),
                NodeCacheInputs.parseLocalIps("fd00::a,fd00:0:0:1::10"), 5300, Path.of("/r"));

        assertEquals(".:5300 {\n    forward . /r\n}\n"
                + "\nb.example:5300 {\n    errors\n    cache 30\n    bind fd00::a fd00:0:0:1::10\n"
                + "    forward . 192.0.2.2\n}\n", NodeCacheCorefile.render(in));
    }

    @Test
    void customUpstreamsTurnTheOldTcpUpstreamBlockIntoUdpAsNodeCacheDoes() throws Exception {
        Path kubeDns = Files.createDirectory(dir.resolve("kube-dns"));
        Files.writeString(kubeDns.resolve("upstreamNameservers"), "[\"8.8.8.8\", \"8.8.4.4:53\"]");
        // The .:53 block of older nodelocaldns templates: forward over TCP to the node's resolvers.
        String tcpTemplate = ".:53 {\n    errors\n    forward . __PILLAR__UPSTREAM__SERVERS__ {\n"
                + "            force_tcp\n    }\n    cache 30\n}\n";
        Path base = dir.resolve("base");
        Files.writeString(base, tcpTemplate);

        assertEquals(".:53 {\n    errors\n    forward . 8.8.8.8 8.8.4.4:53\n    cache 30\n}\n",
                NodeCacheCorefile.render(inputs(base, kubeDns, ENV)));
        assertEquals(".:53 {\n    errors\n    forward . /test/resolv.conf {\n            force_tcp\n    }\n"
                + "    cache 30\n}\n", NodeCacheCorefile.render(inputs(base, dir.resolve("none"), ENV)),
                "resolv.conf keeps TCP");
    }

    @Test
    void localDnsAndDnsServerPillarsLeftForNodeCacheAreReplacedLikeIpvsMode() throws Exception {
        // IPVS mode: the operator's sed removes ",__PILLAR__DNS__SERVER__" from -localip and sets
        // __PILLAR__CLUSTER__DNS__ itself; a template may still hold the local and server markers.
        Path base = dir.resolve("base");
        Files.writeString(base, "cluster.local:53 {\n    bind __PILLAR__LOCAL__DNS__ __PILLAR__DNS__SERVER__\n"
                + "    forward . 10.96.0.10\n    health __PILLAR__LOCAL__DNS__:8080\n}\n");
        NodeCacheInputs in = new NodeCacheInputs(base, null, "kube-dns-upstream", Map.of(),
                NodeCacheInputs.parseLocalIps("169.254.20.10"), 53, Path.of("/r"));

        assertEquals("cluster.local:53 {\n    bind 169.254.20.10 \n    forward . 10.96.0.10\n"
                + "    health 169.254.20.10:8080\n}\n", NodeCacheCorefile.render(in),
                "no <SVC>_SERVICE_HOST needed when the template has no __PILLAR__CLUSTER__DNS__");
    }

    @Test
    void aMissingOrBadServiceHostVariableIsAnErrorAtTheTemplateLine() throws Exception {
        Path base = operatorSed(dir);

        CorefileException missing = assertThrows(CorefileException.class,
                () -> NodeCacheCorefile.render(inputs(base, null, Map.of("KUBE_DNS_SERVICE_HOST", "10.96.0.10"))));
        assertEquals(base + ":10: __PILLAR__CLUSTER__DNS__: environment variable KUBE_DNS_UPSTREAM_SERVICE_HOST "
                + "is not set; Kubernetes sets it to the ClusterIP of the -upstreamsvc service \"kube-dns-upstream\" "
                + "in pods started after that service exists", missing.getMessage());

        CorefileException bad = assertThrows(CorefileException.class, () -> NodeCacheCorefile.render(
                inputs(base, null, Map.of("KUBE_DNS_UPSTREAM_SERVICE_HOST", "kube-dns.kube-system"))));
        assertEquals(base + ":10: __PILLAR__CLUSTER__DNS__: environment variable KUBE_DNS_UPSTREAM_SERVICE_HOST "
                + "is \"kube-dns.kube-system\", not an IP address", bad.getMessage());
    }

    @Test
    void aPillarNodeCacheDoesNotReplaceIsAnErrorNotAZoneNamedAfterIt() throws Exception {
        Path base = dir.resolve("Corefile.base");
        Files.copy(fixture("Corefile.base"), base);

        CorefileException e = assertThrows(CorefileException.class,
                () -> NodeCacheCorefile.render(inputs(base, null, ENV)));

        assertEquals(base + ":1: __PILLAR__DNS__DOMAIN__ is not replaced by node-cache: substitute it before "
                + "deploying, as the nodelocaldns instructions do with sed", e.getMessage());
    }

    @Test
    void aBadKubeDnsConfigMapNamesItsFileAndEmptyRendersWithoutIt() throws Exception {
        Path kubeDns = Files.createDirectory(dir.resolve("kube-dns"));
        Files.writeString(kubeDns.resolve("stubDomains"), "{\"acme.local\": [\"1.2.3.4\"],}");
        NodeCacheInputs in = inputs(operatorSed(dir), kubeDns, ENV);

        CorefileException e = assertThrows(CorefileException.class, () -> NodeCacheCorefile.render(in));
        assertEquals(kubeDns.resolve("stubDomains") + ":1: invalid JSON at column 28: unexpected '}', "
                + "expected a string key", e.getMessage());

        assertEquals(REFERENCE_HEAD + block(".:53", "    cache 30\n", "    forward . /test/resolv.conf\n", false),
                NodeCacheCorefile.render(in, KubeDnsConfigMap.EMPTY));
    }

    @Test
    void anUnreadableTemplateIsAnErrorNamingIt() throws Exception {
        Path absent = dir.resolve("Corefile.base");
        CorefileException e = assertThrows(CorefileException.class,
                () -> NodeCacheCorefile.render(inputs(absent, null, ENV)));
        assertEquals(absent.toString(), e.source());
        assertEquals(0, e.line());
        assertTrue(e.getMessage().startsWith(absent + ": cannot read the node-cache Corefile template "
                + "(-basecorefile): java.nio.file.NoSuchFileException"), e.getMessage());
    }

    @Test
    void aResolvConfPathTheLexerWouldSplitIsQuoted() throws Exception {
        Path base = dir.resolve("base");
        Files.writeString(base, ".:53 {\n    forward . __PILLAR__UPSTREAM__SERVERS__\n}\n");
        NodeCacheInputs in = new NodeCacheInputs(base, null, "kube-dns", Map.of(),
                NodeCacheInputs.parseLocalIps("127.0.0.1"), 53, Path.of("/tmp/my dir/re\"solv#.conf"));

        assertEquals(".:53 {\n    forward . \"/tmp/my dir/re\\\"solv#.conf\"\n}\n", NodeCacheCorefile.render(in));
    }

    @Test
    void writeReplacesTheFileAtomicallyAndOnlyWhenTheTextChanged() throws Exception {
        Path dest = dir.resolve("Corefile");

        assertTrue(NodeCacheCorefile.write(dest, "first\n"), "a missing file is written");
        assertEquals("first\n", Files.readString(dest));
        Object firstInode = Files.getAttribute(dest, "unix:ino");

        assertFalse(NodeCacheCorefile.write(dest, "first\n"), "the same text leaves the file alone");
        assertEquals(firstInode, Files.getAttribute(dest, "unix:ino"));

        assertTrue(NodeCacheCorefile.write(dest, "second\n"));
        assertEquals("second\n", Files.readString(dest));
        // A new inode: the text went to another file that was renamed over the Corefile, so a
        // reader never sees it half written.
        assertFalse(firstInode.equals(Files.getAttribute(dest, "unix:ino")), "replaced by rename");
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(dest), files.toList(), "no temporary file left behind");
        }
    }

    @Test
    void addressesArePrintedAsGoPrintsThem() throws Exception {
        assertEquals("169.254.20.10", IpLiterals.format(InetAddress.getByName("169.254.20.10")));
        assertEquals("fd00::a", IpLiterals.format(InetAddress.getByName("[fd00:0:0:0:0:0:0:a]")));
        assertEquals("::", IpLiterals.format(InetAddress.getByName("[::]")));
        assertEquals("1::", IpLiterals.format(InetAddress.getByName("[1:0:0:0:0:0:0:0]")));
        assertEquals("1:0:2::3", IpLiterals.format(InetAddress.getByName("[1:0:2:0:0:0:0:3]")));
        assertEquals("1:0:0:2::3", IpLiterals.format(InetAddress.getByName("[1:0:0:2:0:0:0:3]")),
                "the longest run of zero groups is compressed");
        assertEquals("1::2:0:0:3:4", IpLiterals.format(InetAddress.getByName("[1:0:0:2:0:0:3:4]")),
                "the first of two equal runs");
        assertEquals("1:0:2:3:4:5:6:7", IpLiterals.format(InetAddress.getByName("[1:0:2:3:4:5:6:7]")),
                "a single zero group stays");
    }

    @Test
    void serviceHostVariableFollowsKubernetesServiceEnvironmentNames() {
        assertEquals("KUBE_DNS_UPSTREAM_SERVICE_HOST", NodeCacheInputs.serviceHostVariable("kube-dns-upstream"));
        assertEquals("KUBE_DNS_SERVICE_HOST", NodeCacheInputs.serviceHostVariable("kube-dns"));
    }

    @Test
    void localIpsArePlainAddressesEachOnceOfEitherFamily() throws Exception {
        assertEquals(2, NodeCacheInputs.parseLocalIps("169.254.20.10,10.96.0.10").size());
        assertEquals(List.of(InetAddress.getByName("169.254.20.10"), InetAddress.getByName("fd00::a")),
                NodeCacheInputs.parseLocalIps("169.254.20.10,fd00::a"), "dual stack, unlike node-cache");
        assertEquals("not an IP address: \"\"",
                assertThrows(IllegalArgumentException.class, () -> NodeCacheInputs.parseLocalIps("")).getMessage());
        assertEquals("not an IP address: \"\"", assertThrows(IllegalArgumentException.class,
                () -> NodeCacheInputs.parseLocalIps("169.254.20.10,")).getMessage());
        assertEquals("not an IP address: \"node1\"", assertThrows(IllegalArgumentException.class,
                () -> NodeCacheInputs.parseLocalIps("node1")).getMessage());
        assertEquals("not an IP address: \"fe80::1%1\"", assertThrows(IllegalArgumentException.class,
                () -> NodeCacheInputs.parseLocalIps("fe80::1%1")).getMessage());
        assertEquals("duplicate address 169.254.20.10", assertThrows(IllegalArgumentException.class,
                () -> NodeCacheInputs.parseLocalIps("169.254.20.10,fd00::a,169.254.20.10")).getMessage());
    }
}
