package io.nodedns.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nodedns.config.Corefile;
import io.nodedns.config.CorefileParser;
import io.nodedns.config.NodeCacheInputs;
import io.nodedns.config.ServerBlock;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** node-cache's flags in Go's flag syntax, and the laptop default. */
class CommandLineTest {

    private static CommandLine parse(String... args) throws CommandLine.UsageException {
        return CommandLine.parse(args, Map.of());
    }

    private static String usageError(String... args) {
        return assertThrows(CommandLine.UsageException.class, () -> parse(args)).getMessage();
    }

    private static InetAddress ip(String literal) throws Exception {
        return InetAddress.getByName(literal.contains(":") ? "[" + literal + "]" : literal);
    }

    @Test
    void cacheDirIsOffByDefaultAndTakesADirectory() throws Exception {
        assertEquals(null, parse().cacheDir());
        assertEquals(java.nio.file.Path.of("/var/lib/nodedns"), parse("-cache-dir", "/var/lib/nodedns").cacheDir());
        assertEquals(java.nio.file.Path.of("/var/lib/nodedns"), parse("-cache-dir=/var/lib/nodedns").cacheDir());
        assertEquals(null, parse("-cache-dir=").cacheDir(), "empty: off");
    }

    @Test
    void defaultsAreNodeCaches() throws Exception {
        CommandLine cmd = parse();

        assertNull(cmd.conf());
        assertEquals(Path.of("/etc/resolv.conf"), cmd.resolvConf());
        assertNull(cmd.dnsPort(), "absent: 53, or 5353 for the laptop default");
        assertNull(cmd.metricsListenAddress());
        assertFalse(cmd.version());
        assertFalse(cmd.help());
        assertFalse(cmd.check());
        assertEquals(List.of(), cmd.localIps());
        assertEquals(Path.of("/etc/coredns/Corefile.base"), cmd.baseCorefile());
        assertEquals(Path.of("/etc/Corefile"), cmd.corefile());
        assertEquals(Path.of("/etc/kube-dns"), cmd.kubeDnsConfigDir());
        assertEquals("kube-dns", cmd.upstreamService());
        assertTrue(cmd.setupInterface());
        assertEquals("nodelocaldns", cmd.interfaceName());
        assertTrue(cmd.setupIptables());
        assertFalse(cmd.setupEbtables());
        assertFalse(cmd.skipTeardown());
        assertEquals(Duration.ofSeconds(60), cmd.syncInterval());
        assertEquals(Duration.ofSeconds(10), cmd.initialDelay());
        assertEquals(8080, cmd.healthPort());
        assertNull(cmd.pidfile());
        assertFalse(cmd.nodeMode());
        assertNull(cmd.servedCorefile());
    }

    static Stream<Arguments> valueFlags() throws Exception {
        return Stream.of(
                Arguments.of("localip", "169.254.20.10,10.96.0.10",
                        (Function<CommandLine, Object>) CommandLine::localIps,
                        List.of(ip("169.254.20.10"), ip("10.96.0.10"))),
                Arguments.of("localip", "fd00::a", (Function<CommandLine, Object>) CommandLine::localIps,
                        List.of(ip("fd00::a"))),
                Arguments.of("conf", "/etc/Corefile", (Function<CommandLine, Object>) CommandLine::conf,
                        Path.of("/etc/Corefile")),
                Arguments.of("basecorefile", "/cm/Corefile.base",
                        (Function<CommandLine, Object>) CommandLine::baseCorefile, Path.of("/cm/Corefile.base")),
                Arguments.of("corefile", "/run/Corefile", (Function<CommandLine, Object>) CommandLine::corefile,
                        Path.of("/run/Corefile")),
                Arguments.of("kubednscm", "/cm/kube-dns",
                        (Function<CommandLine, Object>) CommandLine::kubeDnsConfigDir, Path.of("/cm/kube-dns")),
                Arguments.of("upstreamsvc", "kube-dns-upstream",
                        (Function<CommandLine, Object>) CommandLine::upstreamService, "kube-dns-upstream"),
                Arguments.of("interfacename", "nld0", (Function<CommandLine, Object>) CommandLine::interfaceName,
                        "nld0"),
                Arguments.of("syncinterval", "30", (Function<CommandLine, Object>) CommandLine::syncInterval,
                        Duration.ofSeconds(30)),
                Arguments.of("syncinterval", "1m30s", (Function<CommandLine, Object>) CommandLine::syncInterval,
                        Duration.ofSeconds(90)),
                Arguments.of("syncinterval", "500ms", (Function<CommandLine, Object>) CommandLine::syncInterval,
                        Duration.ofMillis(500)),
                Arguments.of("initialdelay", "0", (Function<CommandLine, Object>) CommandLine::initialDelay,
                        Duration.ZERO),
                Arguments.of("initialdelay", "2s", (Function<CommandLine, Object>) CommandLine::initialDelay,
                        Duration.ofSeconds(2)),
                Arguments.of("health-port", "8081", (Function<CommandLine, Object>) CommandLine::healthPort, 8081),
                Arguments.of("metrics-listen-address", "127.0.2.2:9354",
                        (Function<CommandLine, Object>) CommandLine::metricsListenAddress, "127.0.2.2:9354"),
                Arguments.of("metrics-listen-address", "",
                        (Function<CommandLine, Object>) CommandLine::metricsListenAddress, ""),
                Arguments.of("pidfile", "/tmp/node-cache.pid", (Function<CommandLine, Object>) CommandLine::pidfile,
                        Path.of("/tmp/node-cache.pid")),
                Arguments.of("dns.port", "5300", (Function<CommandLine, Object>) CommandLine::dnsPort, 5300),
                Arguments.of("dns.port", "0", (Function<CommandLine, Object>) CommandLine::dnsPort, 0),
                Arguments.of("resolv-conf", "/tmp/r.conf", (Function<CommandLine, Object>) CommandLine::resolvConf,
                        Path.of("/tmp/r.conf")));
    }

    @ParameterizedTest(name = "-{0} {1}")
    @MethodSource("valueFlags")
    void everyValueFlagInEverySyntax(String name, String value, Function<CommandLine, Object> accessor,
                                     Object expected) throws Exception {
        assertEquals(expected, accessor.apply(parse("-" + name, value)), "-name value");
        assertEquals(expected, accessor.apply(parse("-" + name + "=" + value)), "-name=value");
        assertEquals(expected, accessor.apply(parse("--" + name, value)), "--name value");
        assertEquals(expected, accessor.apply(parse("--" + name + "=" + value)), "--name=value");
    }

    static Stream<Arguments> boolFlags() {
        return Stream.of(
                Arguments.of("setupinterface", (Function<CommandLine, Boolean>) CommandLine::setupInterface),
                Arguments.of("setupiptables", (Function<CommandLine, Boolean>) CommandLine::setupIptables),
                Arguments.of("setupebtables", (Function<CommandLine, Boolean>) CommandLine::setupEbtables),
                Arguments.of("skipteardown", (Function<CommandLine, Boolean>) CommandLine::skipTeardown),
                Arguments.of("check", (Function<CommandLine, Boolean>) CommandLine::check),
                Arguments.of("validate", (Function<CommandLine, Boolean>) CommandLine::check),
                Arguments.of("version", (Function<CommandLine, Boolean>) CommandLine::version),
                Arguments.of("h", (Function<CommandLine, Boolean>) CommandLine::help),
                Arguments.of("help", (Function<CommandLine, Boolean>) CommandLine::help));
    }

    @ParameterizedTest(name = "-{0}")
    @MethodSource("boolFlags")
    void everyBooleanFlagTakesGosSpellings(String name, Function<CommandLine, Boolean> accessor) throws Exception {
        assertTrue(accessor.apply(parse("-" + name)));
        assertTrue(accessor.apply(parse("--" + name)));
        for (String yes : List.of("1", "t", "T", "TRUE", "true", "True")) {
            assertTrue(accessor.apply(parse("-" + name + "=" + yes)), yes);
        }
        for (String no : List.of("0", "f", "F", "FALSE", "false", "False")) {
            assertFalse(accessor.apply(parse("-" + name + "=" + no)), no);
        }
        assertEquals("invalid boolean value \"yes\" for -" + name + ": parse error (want true or false)",
                usageError("-" + name + "=yes"));
        assertEquals("invalid boolean value \"\" for -" + name + ": parse error (want true or false)",
                usageError("-" + name + "="));
    }

    @Test
    void aBooleanNeverTakesTheNextWordAsGoDoesNot() {
        assertEquals("unexpected argument: false", usageError("-setupinterface", "false"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "-localip 169.254.20.10.1    | invalid value \"169.254.20.10.1\" for flag -localip: not an IP address: "
                + "\"169.254.20.10.1\"",
        "-localip=                   | invalid value \"\" for flag -localip: not an IP address: \"\"",
        "-localip 169.254.20.10,     | invalid value \"169.254.20.10,\" for flag -localip: not an IP address: \"\"",
        "-localip node1              | invalid value \"node1\" for flag -localip: not an IP address: \"node1\"",
        "-localip 10.0.0.1,10.0.0.1  | invalid value \"10.0.0.1,10.0.0.1\" for flag -localip: duplicate address "
                + "10.0.0.1",
        "-health-port x              | invalid value \"x\" for flag -health-port: not a port number (0 to 65535)",
        "-health-port 65536          | invalid value \"65536\" for flag -health-port: not a port number (0 to 65535)",
        "-health-port=-1             | invalid value \"-1\" for flag -health-port: not a port number (0 to 65535)",
        "-dns.port=70000             | invalid value \"70000\" for flag -dns.port: not a port number (0 to 65535)",
        "-dns.port +53               | invalid value \"+53\" for flag -dns.port: not a port number (0 to 65535)",
        "-syncinterval 1x            | invalid value \"1x\" for flag -syncinterval: unknown unit \"x\" in duration "
                + "\"1x\"",
        "-syncinterval=0             | invalid value \"0\" for flag -syncinterval: must be positive",
        "-syncinterval=-5s           | invalid value \"-5s\" for flag -syncinterval: must be positive",
        "-syncinterval=              | invalid value \"\" for flag -syncinterval: invalid duration \"\"",
        "-initialdelay=-1s           | invalid value \"-1s\" for flag -initialdelay: must not be negative",
        "-metrics-listen-address=9353 | invalid value \"9353\" for flag -metrics-listen-address: not [HOST]:PORT "
                + "with HOST an IP or localhost",
        "-interfacename=nodelocaldns-too-long | invalid value \"nodelocaldns-too-long\" for flag -interfacename: "
                + "not a Linux interface name (1 to 15 characters, no '/', ':' or spaces)",
        "-interfacename=a/b          | invalid value \"a/b\" for flag -interfacename: not a Linux interface name "
                + "(1 to 15 characters, no '/', ':' or spaces)",
        "-upstreamsvc=               | invalid value \"\" for flag -upstreamsvc: empty service name",
        "-basecorefile=              | invalid value \"\" for flag -basecorefile: empty path",
        "-corefile=                  | invalid value \"\" for flag -corefile: empty path",
        "-bogus                      | flag provided but not defined: -bogus",
        "--localip=1.2.3.4 -p 53     | flag provided but not defined: -p",
        "-conf                       | flag needs an argument: -conf",
        "---conf=x                   | bad flag syntax: ---conf=x",
        "-=x                         | bad flag syntax: -=x",
        "stray                       | unexpected argument: stray",
        "-version -                  | unexpected argument: -",
        "-- -version                 | unexpected argument: -version",
    })
    void badValuesAndUnknownFlagsGiveGoLikeMessages(String args, String message) {
        assertEquals(message, usageError(args.split(" ")));
    }

    @Test
    void aValueFlagTakesTheNextWordWhateverItLooksLikeAndTheLastOccurrenceWins() throws Exception {
        assertEquals(Path.of("-version"), parse("-conf", "-version").conf());
        assertFalse(parse("-conf", "-version").version());
        assertEquals(List.of(ip("10.0.0.2")), parse("-localip=10.0.0.1", "-localip", "10.0.0.2").localIps());
        assertTrue(parse("-version", "--").version(), "-- ends the flags");
    }

    @Test
    void emptyValuesMeanWhatNodeCacheAndCoreDnsMakeOfThem() throws Exception {
        assertNull(parse("-conf=").conf(), "CoreDNS: no -conf");
        assertEquals(Path.of("/etc/kube-dns"), parse("-kubednscm=").kubeDnsConfigDir(),
                "node-cache falls back to /etc/kube-dns");
        assertNull(parse("-pidfile=").pidfile());
    }

    @Test
    void theNodeLocalDnsDaemonSetArgumentsParseAsNodeMode() throws Exception {
        // nodelocaldns.yaml's args after the install instructions' sed (iptables mode).
        CommandLine cmd = parse("-localip", "169.254.20.10,10.96.0.10", "-conf", "/etc/Corefile",
                "-upstreamsvc", "kube-dns-upstream", "-pidfile", "/tmp/node-cache.pid");

        assertTrue(cmd.nodeMode());
        assertEquals(List.of(ip("169.254.20.10"), ip("10.96.0.10")), cmd.localIps());
        assertEquals(Path.of("/etc/Corefile"), cmd.servedCorefile());
        assertEquals("kube-dns-upstream", cmd.upstreamService());
        assertEquals(Path.of("/tmp/node-cache.pid"), cmd.pidfile());
        assertEquals(new InetSocketAddress(9353), cmd.setupMetricsAddress());
        assertEquals(Optional.empty(), cmd.nodeSetupRefusal(), "the published DaemonSet's args start");
    }

    @Test
    void nodeFlagsWithoutLocalIpAndEbtablesAreRefusedNamingTheFlags() throws Exception {
        assertEquals(Optional.empty(), parse().nodeSetupRefusal(), "the laptop default");
        assertEquals(Optional.empty(), parse("-conf", "/x", "-dns.port", "53", "-pidfile", "/p").nodeSetupRefusal(),
                "flags of both modes");
        assertEquals(Optional.empty(), parse("-localip=169.254.20.10", "-setupinterface=false").nodeSetupRefusal());
        assertEquals(Optional.of("-localip is required with -setupiptables, -interfacename: they configure node "
                        + "mode, and -localip names the addresses it serves"),
                parse("-conf", "/x", "-setupiptables=false", "-interfacename=nld0", "-setupiptables")
                        .nodeSetupRefusal());
        assertEquals(Optional.of("-localip is required with -basecorefile: they configure node mode, and -localip "
                        + "names the addresses it serves"),
                parse("-basecorefile", "/etc/coredns/Corefile.base").nodeSetupRefusal());
        assertEquals(Optional.of("-setupebtables=true: nodedns does not install ebtables broute rules (node-cache's "
                        + "option for pods behind a bridge that must not see the local addresses); run with "
                        + "-setupebtables=false"),
                parse("-localip=169.254.20.10", "-setupebtables").nodeSetupRefusal());
        assertEquals(Optional.empty(), parse("-localip=169.254.20.10", "-setupebtables=false").nodeSetupRefusal());
    }

    @Test
    void servedCorefileIsConfThenCorefileInNodeModeThenNone() throws Exception {
        assertEquals(Path.of("/a"), parse("-conf", "/a", "-corefile", "/b").servedCorefile());
        assertEquals(Path.of("/a"), parse("-conf", "/a", "-localip", "169.254.20.10", "-corefile", "/b")
                .servedCorefile());
        assertEquals(Path.of("/b"), parse("-localip", "169.254.20.10", "-corefile", "/b").servedCorefile());
        assertEquals(Path.of("/etc/Corefile"), parse("-localip", "169.254.20.10").servedCorefile());
        assertNull(parse("-corefile", "/b").servedCorefile(), "-corefile alone is not node mode");
    }

    @Test
    void nodeCacheInputsComeFromTheFlags() throws Exception {
        Map<String, String> env = Map.of("KUBE_DNS_UPSTREAM_SERVICE_HOST", "10.96.0.11");
        CommandLine cmd = CommandLine.parse(new String[] {"-localip=169.254.20.10", "-basecorefile=/cm/base",
            "-kubednscm=/cm/kube-dns", "-upstreamsvc=kube-dns-upstream", "-dns.port=5300"},
                Map.of(CommandLine.RESOLV_CONF_ENV, "/tmp/resolv.conf"));

        assertEquals(new NodeCacheInputs(Path.of("/cm/base"), Path.of("/cm/kube-dns"), "kube-dns-upstream", env,
                List.of(ip("169.254.20.10")), 5300, Path.of("/tmp/resolv.conf")), cmd.nodeCacheInputs(env));
        assertEquals(53, parse("-localip=169.254.20.10").nodeCacheInputs(env).dnsPort());
        assertThrows(IllegalStateException.class, () -> parse().nodeCacheInputs(env));
    }

    @Test
    void usageListsEveryFlag() {
        for (String name : CommandLine.flagNames()) {
            assertTrue(CommandLine.USAGE.contains("  -" + name + " ") || CommandLine.USAGE.contains("  -" + name + "[")
                    || CommandLine.USAGE.contains("  -" + name + ",") || CommandLine.USAGE.contains(", -" + name + " "),
                    "USAGE lacks -" + name);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "-basecorefile FILE      Corefile template of the node-local-dns ConfigMap\n"
                + "                          (default /etc/coredns/Corefile.base)",
        "-corefile FILE          where node mode writes the rendered Corefile (default /etc/Corefile)",
        "(default /etc/kube-dns)",
        "__PILLAR__CLUSTER__DNS__ (default kube-dns)",
        "-setupinterface[=BOOL]  create the interface holding the local IPs (default true)",
        "-interfacename NAME     that interface's name (default nodelocaldns)",
        "-setupiptables[=BOOL]   install NOTRACK/ACCEPT rules for the local IPs (default true)",
        "-setupebtables[=BOOL]   install ebtables broute rules (default false)",
        "-skipteardown[=BOOL]    keep interface and rules on exit (default false)",
        "duration (default 60s)",
        "the listeners are bound (default 10s)",
        "-health-port N          health port exempted from conntrack (default 8080)",
        "0.0.0.0:9353 with -conf or -localip, 127.0.0.1:9353 without",
        "-dns.port N             port of server blocks that name none (default 53;",
    })
    void usageGivesNodeCachesDefaults(String entry) {
        assertTrue(CommandLine.USAGE.contains(entry), entry);
    }

    @Test
    void resolvConfComesFromFlagThenEnvironmentThenDefault() throws Exception {
        assertEquals(CommandLine.DEFAULT_RESOLV_CONF, CommandLine.parse(new String[0], Map.of()).resolvConf());
        Map<String, String> env = Map.of(CommandLine.RESOLV_CONF_ENV, "/tmp/env.conf");
        assertEquals(Path.of("/tmp/env.conf"), CommandLine.parse(new String[0], env).resolvConf());
        assertEquals(Path.of("/tmp/flag.conf"),
                CommandLine.parse(new String[] {"-resolv-conf", "/tmp/flag.conf"}, env).resolvConf());
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
        Path good = dir.resolve("good.Corefile");
        // Port 1 on 127.0.0.1 would need root and is never bound by a check.
        Files.writeString(good, ".:1 {\n  bind 127.0.0.1\n  cache 30\n  forward . 127.0.0.1:5399\n}\n");
        assertEquals(0, Main.run(new String[] {"-check", "-conf", good.toString()}));
        Path bad = dir.resolve("bad.Corefile");
        Files.writeString(bad, ".:1 {\n  cache 30\n  forward . 127.0.0.1:5399 {\n    max_fails x\n  }\n}\n");
        assertEquals(1, Main.run(new String[] {"-validate", "-conf", bad.toString()}));
    }

    @Test
    @org.junit.jupiter.api.Timeout(20)
    void checkInNodeModeValidatesTheRenderedTemplateAndWritesNothing(@TempDir Path dir) throws Exception {
        Path base = dir.resolve("Corefile.base");
        Files.writeString(base, ".:1 {\n  bind __PILLAR__LOCAL__DNS__\n  forward . __PILLAR__UPSTREAM__SERVERS__\n}\n");
        Path resolv = dir.resolve("resolv.conf");
        Files.writeString(resolv, "nameserver 127.0.0.53\n");
        Path rendered = dir.resolve("Corefile");
        String[] node = {"-check", "-localip", "127.0.0.1", "-basecorefile", base.toString(), "-corefile",
            rendered.toString(), "-kubednscm", dir.resolve("absent").toString(), "-resolv-conf", resolv.toString()};

        assertEquals(0, Main.run(node), "valid, and -setupinterface/-setupiptables do not matter to a check");
        assertFalse(Files.exists(rendered), "a check changes nothing on disk");

        Files.writeString(base, ".:1 {\n  bind __PILLAR__LOCAL__DNS__\n  frobnicate\n}\n");
        assertEquals(1, Main.run(node));
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
    void metricsListenAddressDefaultsToNodeCacheWithConfOrLocalIpAndLoopbackWithout() throws Exception {
        assertEquals(new InetSocketAddress(9353), parse("-conf", "/etc/Corefile").setupMetricsAddress());
        assertEquals(new InetSocketAddress(9353), parse("-localip", "169.254.20.10").setupMetricsAddress());
        InetSocketAddress laptop = parse().setupMetricsAddress();
        assertEquals(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 9353), laptop,
                "laptop default stays on loopback");
        assertEquals(new InetSocketAddress(InetAddress.getByName("127.0.2.2"), 9354),
                parse("-metrics-listen-address=127.0.2.2:9354").setupMetricsAddress());
        assertNull(parse("-conf", "/x", "-metrics-listen-address", "").setupMetricsAddress(),
                "an empty value serves it nowhere");
    }
}
