package io.nodedns.config;

import static io.nodedns.config.CorefileTesting.inBlock;
import static io.nodedns.config.CorefileTesting.onlyBlock;
import static io.nodedns.config.CorefileTesting.rejected;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code forward}, with CoreDNS plugin/forward's defaults and checks. */
class ForwardDirectiveTest {

    private static ForwardSettings forward(String... directiveLines) throws CorefileException {
        return onlyBlock(inBlock(". {", directiveLines)).forward().orElseThrow();
    }

    private static String error(String... directiveLines) {
        return rejected(inBlock(". {", directiveLines)).getMessage();
    }

    private static InetSocketAddress address(String literal, int port) {
        return new InetSocketAddress(IpLiterals.parse(literal).orElseThrow(), port);
    }

    @Test
    void hasCoreDnsDefaults() throws CorefileException {
        ForwardSettings settings = forward("", "  forward . 10.96.0.10");

        assertEquals(new ForwardSettings(".", List.of(address("10.96.0.10", 53)), false, false,
                Duration.ofSeconds(10), 2, Duration.ofMillis(500), ForwardPolicy.RANDOM, 0), settings);
    }

    @Test
    void readsEveryOption() throws CorefileException {
        ForwardSettings settings = forward(
                "forward Cluster.Local 127.0.0.1:1053 {",
                "  prefer_udp",
                "  expire 1m30s",
                "  max_fails 0",
                "  health_check 250ms",
                "  policy sequential",
                "  max_concurrent 1000",
                "}");

        assertEquals(new ForwardSettings("cluster.local.", List.of(address("127.0.0.1", 1053)), false, true,
                Duration.ofSeconds(90), 0, Duration.ofMillis(250), ForwardPolicy.SEQUENTIAL, 1000), settings);
    }

    @Test
    void readsEveryPolicy() throws CorefileException {
        assertEquals(ForwardPolicy.RANDOM, forward("forward . 127.0.0.1 {", "policy random", "}").policy());
        assertEquals(ForwardPolicy.ROUND_ROBIN, forward("forward . 127.0.0.1 {", "policy round_robin", "}").policy());
        assertEquals(ForwardPolicy.SEQUENTIAL, forward("forward . 127.0.0.1 {", "policy sequential", "}").policy());
    }

    @Test
    void acceptsEveryDestinationForm() throws CorefileException {
        ForwardSettings settings = forward("forward . 127.0.0.1 127.0.0.2:5300 ::1 [::1]:5301 [fd00::10] "
                + "dns://127.0.0.3 dns://127.0.0.4:5302 dns://[fd00::11]:5303 2001:db8::1");

        assertEquals(List.of(
                address("127.0.0.1", 53), address("127.0.0.2", 5300), address("::1", 53), address("::1", 5301),
                address("fd00::10", 53), address("127.0.0.3", 53), address("127.0.0.4", 5302),
                address("fd00::11", 5303), address("2001:db8::1", 53)), settings.to());
    }

    @Test
    void neverResolvesAddresses() throws CorefileException {
        InetSocketAddress upstream = forward("forward . 127.0.0.1").to().get(0);

        assertTrue(!upstream.isUnresolved());
        assertEquals("127.0.0.1", upstream.getAddress().getHostAddress());
    }

    @Test
    void readsNameserversFromAResolvConfPath(@TempDir Path dir) throws Exception {
        Path resolvConf = dir.resolve("resolv.conf");
        Files.writeString(resolvConf, "# upstreams\nnameserver 192.0.2.1\nnameserver 2001:db8::2\nsearch x.example\n");

        ForwardSettings settings = forward("forward . " + resolvConf + " 127.0.0.1:5300");

        assertEquals(List.of(address("192.0.2.1", 53), address("2001:db8::2", 53), address("127.0.0.1", 5300)),
                settings.to());
    }

    @Test
    void anUnreadableOrEmptyResolvConfIsAnError(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("missing.conf");
        String message = error("forward . " + missing);
        assertTrue(message.startsWith("Corefile:2: forward: cannot read resolv.conf file \"" + missing + "\": "
                + "java.nio.file.NoSuchFileException"), message);

        Path empty = dir.resolve("empty.conf");
        Files.writeString(empty, "search x.example\n");
        assertEquals("Corefile:2: forward: no nameservers found in \"" + empty + "\"", error("forward . " + empty));
    }

    @Test
    void refusesHostNamesAndBadAddresses() {
        assertEquals("Corefile:2: forward: not an IP address or resolv.conf path: \"kube-dns.kube-system\"",
                error("forward . kube-dns.kube-system"));
        assertEquals("Corefile:2: forward: not an IP address or resolv.conf path: \"__PILLAR__CLUSTER__DNS__\"",
                error("forward . __PILLAR__CLUSTER__DNS__"));
        assertEquals("Corefile:2: forward: not an IP address or resolv.conf path: \"dns://a/b\"",
                error("forward . dns://a/b"));
        assertEquals("Corefile:2: forward: not an IP address: \"[::1\"", error("forward . [::1"));
        assertEquals("Corefile:2: forward: not an IP address: \"[::1]53\"", error("forward . [::1]53"));
        assertEquals("Corefile:2: forward: invalid port \"0\" in \"127.0.0.1:0\"", error("forward . 127.0.0.1:0"));
        assertEquals("Corefile:2: forward: invalid port \"x\" in \"[::1]:x\"", error("forward . [::1]:x"));
    }

    @Test
    void refusesTlsAndOtherTransports() {
        assertEquals("Corefile:2: forward: 'tls' is not supported as a destination protocol: \"tls://9.9.9.9\"",
                error("forward . tls://9.9.9.9"));
        assertEquals("Corefile:3: forward: tls: not supported", error("forward . 127.0.0.1 {", "  tls", "}"));
        assertEquals("Corefile:3: forward: tls_servername: not supported",
                error("forward . 127.0.0.1 {", "  tls_servername dns.example", "}"));
        assertEquals("Corefile:3: forward: except: not supported",
                error("forward . 127.0.0.1 {", "  except example.org", "}"));
    }

    @Test
    void acceptsFifteenUpstreamsButNotSixteen() throws CorefileException {
        List<String> upstreams = new ArrayList<>();
        for (int i = 1; i <= 15; i++) {
            upstreams.add("127.0.0." + i);
        }
        assertEquals(15, forward("forward . " + String.join(" ", upstreams)).to().size());

        upstreams.add("127.0.0.16");
        assertEquals("Corefile:2: forward: more than 15 TOs configured: 16",
                error("forward . " + String.join(" ", upstreams)));
    }

    @Test
    void countsResolvConfNameserversTowardsTheLimit(@TempDir Path dir) throws Exception {
        StringBuilder text = new StringBuilder();
        for (int i = 1; i <= 16; i++) {
            text.append("nameserver 192.0.2.").append(i).append('\n');
        }
        Path resolvConf = dir.resolve("resolv.conf");
        Files.writeString(resolvConf, text);

        assertEquals("Corefile:2: forward: more than 15 TOs configured: 16", error("forward . " + resolvConf));
    }

    @Test
    void forceTcpAndPreferUdpTogetherIsAnError() {
        assertEquals("Corefile:2: forward: force_tcp and prefer_udp can not be used together",
                error("forward . 127.0.0.1 {", "  force_tcp", "  prefer_udp", "}"));
    }

    @Test
    void rejectsBadOptionValues() {
        assertEquals("Corefile:3: forward: max_fails: not a non-negative integer: \"x\"",
                error("forward . 127.0.0.1 {", "  max_fails x", "}"));
        assertEquals("Corefile:3: forward: max_fails: not a non-negative integer: \"-1\"",
                error("forward . 127.0.0.1 {", "  max_fails -1", "}"));
        assertEquals("Corefile:3: forward: max_concurrent: not a non-negative integer: \"-1\"",
                error("forward . 127.0.0.1 {", "  max_concurrent -1", "}"));
        assertEquals("Corefile:3: forward: expire: missing unit in duration \"10\"",
                error("forward . 127.0.0.1 {", "  expire 10", "}"));
        assertEquals("Corefile:3: forward: expire: can't be negative: \"-1s\"",
                error("forward . 127.0.0.1 {", "  expire -1s", "}"));
        assertEquals("Corefile:3: forward: health_check: invalid duration \"fast\"",
                error("forward . 127.0.0.1 {", "  health_check fast", "}"));
        assertEquals("Corefile:3: forward: policy: unknown policy \"fastest\" (want random, round_robin or sequential)",
                error("forward . 127.0.0.1 {", "  policy fastest", "}"));
    }

    @Test
    void rejectsWrongArgumentCountsAndUnknownOptions() {
        assertEquals("Corefile:3: forward: force_tcp: wrong argument count: want 0, got 1",
                error("forward . 127.0.0.1 {", "  force_tcp yes", "}"));
        assertEquals("Corefile:3: forward: expire: wrong argument count: want 1, got 0",
                error("forward . 127.0.0.1 {", "  expire", "}"));
        assertEquals("Corefile:3: forward: health_check: option \"no_rec\" is not supported yet",
                error("forward . 127.0.0.1 {", "  health_check 1s no_rec", "}"));
        assertEquals("Corefile:3: forward: unknown property 'force-tcp'",
                error("forward . 127.0.0.1 {", "  force-tcp", "}"));
    }

    @Test
    void requiresFromAndTo() {
        assertEquals("Corefile:2: forward: missing FROM zone and TO address", error("forward"));
        assertEquals("Corefile:2: forward: missing TO address after \".\"", error("forward ."));
        assertEquals("Corefile:2: forward: FROM: empty label in zone name \"a..b\"", error("forward a..b 127.0.0.1"));
    }

    @Test
    void mayAppearOnlyOncePerBlock() {
        assertEquals("Corefile:3: forward: can only be used once per server block",
                error("forward . 127.0.0.1", "forward example.org 127.0.0.2"));
    }

    @Test
    void settingsRecordValidatesItsValues() throws Exception {
        List<InetSocketAddress> one = List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 53));
        Duration s = Duration.ofSeconds(1);
        assertThrows(IllegalArgumentException.class,
                () -> new ForwardSettings(".", List.of(), false, false, s, 2, s, ForwardPolicy.RANDOM, 0));
        assertThrows(IllegalArgumentException.class,
                () -> new ForwardSettings(".", one, true, true, s, 2, s, ForwardPolicy.RANDOM, 0));
        assertThrows(IllegalArgumentException.class,
                () -> new ForwardSettings(".", one, false, false, s, -1, s, ForwardPolicy.RANDOM, 0));
    }
}
