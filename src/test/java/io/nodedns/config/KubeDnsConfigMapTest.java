package io.nodedns.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The kube-dns ConfigMap as node-cache reads it from its mounted directory. */
class KubeDnsConfigMapTest {

    @TempDir
    Path dir;

    private static Path fixture() throws Exception {
        return Path.of(KubeDnsConfigMapTest.class.getResource("/config/nodecache/kube-dns").toURI());
    }

    private KubeDnsConfigMap withFiles(String stubDomains, String upstreamNameservers) throws Exception {
        if (stubDomains != null) {
            Files.writeString(dir.resolve("stubDomains"), stubDomains);
        }
        if (upstreamNameservers != null) {
            Files.writeString(dir.resolve("upstreamNameservers"), upstreamNameservers);
        }
        return KubeDnsConfigMap.read(dir);
    }

    private String stubDomainsError(String json) throws Exception {
        Files.writeString(dir.resolve("stubDomains"), json);
        return assertThrows(CorefileException.class, () -> KubeDnsConfigMap.read(dir)).getMessage()
                .replace(dir.toString(), "DIR");
    }

    private String upstreamError(String json) throws Exception {
        Files.writeString(dir.resolve("upstreamNameservers"), json);
        return assertThrows(CorefileException.class, () -> KubeDnsConfigMap.read(dir)).getMessage()
                .replace(dir.toString(), "DIR");
    }

    @Test
    void readsStubDomainsSortedByZoneAndUpstreamsAsWritten() throws Exception {
        KubeDnsConfigMap config = KubeDnsConfigMap.read(fixture());

        assertEquals(List.of("acme.local", "corp.example"), List.copyOf(config.stubDomains().keySet()));
        assertEquals(List.of("192.0.2.53", "192.0.2.54:5353"), config.stubDomains().get("acme.local"));
        assertEquals(List.of("[2001:db8::53]:53"), config.stubDomains().get("corp.example"));
        assertEquals(List.of("198.51.100.1", "198.51.100.2"), config.upstreamNameservers());
    }

    @Test
    void stubDomainsComeOutInZoneOrderWhateverTheJsonOrderSoTheCorefileIsStable() throws Exception {
        KubeDnsConfigMap config = withFiles("{\"z.local\": [\"1.1.1.1\"], \"a.local\": [\"2.2.2.2\"], "
                + "\"m.local\": [\"3.3.3.3\"]}", null);
        assertEquals(List.of("a.local", "m.local", "z.local"), List.copyOf(config.stubDomains().keySet()));
    }

    @Test
    void aMissingOrNullDirectoryIsAnEmptyConfigMap() throws Exception {
        assertSame(KubeDnsConfigMap.EMPTY, KubeDnsConfigMap.read(dir.resolve("absent")));
        assertSame(KubeDnsConfigMap.EMPTY, KubeDnsConfigMap.read(null));
        assertEquals(KubeDnsConfigMap.EMPTY, KubeDnsConfigMap.read(dir), "an empty directory: optional volume");
    }

    @Test
    void aFileWhereTheDirectoryShouldBeIsAnError() throws Exception {
        Path file = Files.writeString(dir.resolve("kube-dns"), "{}");
        assertEquals(file + ": not a directory (-kubednscm names the directory the kube-dns ConfigMap is "
                + "mounted on)", assertThrows(CorefileException.class, () -> KubeDnsConfigMap.read(file)).getMessage());
    }

    @Test
    void eitherFileMayBeMissing() throws Exception {
        KubeDnsConfigMap onlyStubs = withFiles("{\"acme.local\": [\"1.2.3.4\"]}", null);
        assertEquals(Map.of("acme.local", List.of("1.2.3.4")), onlyStubs.stubDomains());
        assertEquals(List.of(), onlyStubs.upstreamNameservers());

        Files.delete(dir.resolve("stubDomains"));
        KubeDnsConfigMap onlyUpstreams = withFiles(null, "[\"8.8.8.8\"]");
        assertEquals(Map.of(), onlyUpstreams.stubDomains());
        assertEquals(List.of("8.8.8.8"), onlyUpstreams.upstreamNameservers());
    }

    @Test
    void jsonNullIsEmptyAsGoDecodesItAndOtherKeysAndHiddenFilesAreIgnored() throws Exception {
        Files.writeString(dir.resolve("federations"), "not json at all");
        Files.writeString(dir.resolve("..data"), "{");
        assertEquals(KubeDnsConfigMap.EMPTY, withFiles("null", "null"));
        assertEquals(KubeDnsConfigMap.EMPTY, withFiles("{}", "[]"));
    }

    @Test
    void acceptsEveryNameServerFormCoreDnsForwardTakes() throws Exception {
        KubeDnsConfigMap config = withFiles(
                "{\"a.example\": [\"10.0.0.1\", \"10.0.0.2:53\", \"fd00::1\", \"[fd00::2]:5353\"]}", null);
        assertEquals(List.of("10.0.0.1", "10.0.0.2:53", "fd00::1", "[fd00::2]:5353"),
                config.stubDomains().get("a.example"));
    }

    @Test
    void badJsonNamesTheFileAndLine() throws Exception {
        assertEquals("DIR/stubDomains:3: invalid JSON at column 3: unexpected '\"', expected ',' or '}'",
                stubDomainsError("{\n  \"acme.local\": [\"1.2.3.4\"]\n  \"b.local\": [\"1.2.3.5\"]\n}\n"));
        assertEquals("DIR/stubDomains:1: invalid JSON at column 1: unexpected end of input, expected a value",
                stubDomainsError(""));
        Files.delete(dir.resolve("stubDomains"));
        assertEquals("DIR/upstreamNameservers:1: invalid JSON at column 13: unexpected ']', expected a value",
                upstreamError("[\"8.8.8.8\", ]"));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "`[\"1.2.3.4\"]`                  | DIR/stubDomains: want a JSON object of zone to name server list, "
                + "found an array",
        "`{\"a.local\": \"1.2.3.4\"}`     | DIR/stubDomains: stub domain \"a.local\": want a JSON array of name "
                + "servers, found a string",
        "`{\"a.local\": [1234]}`          | DIR/stubDomains: stub domain \"a.local\": want name servers as JSON "
                + "strings, found a number",
        "`{\"A.local\": [\"1.2.3.4\"]}`   | DIR/stubDomains:1: invalid domain name: \"A.local\" (kube-dns wants a "
                + "lower-case DNS-1123 subdomain, e.g. \"acme.local\")",
        "`{\"a..local\": [\"1.2.3.4\"]}`  | DIR/stubDomains:1: invalid domain name: \"a..local\" (kube-dns wants a "
                + "lower-case DNS-1123 subdomain, e.g. \"acme.local\")",
        "`{\"a.local\": []}`              | DIR/stubDomains:1: stub domain \"a.local\" has no name servers",
        "`{\"a.local\": [\"ns.a.local\"]}` | DIR/stubDomains:1: stub domain \"a.local\": invalid nameserver: "
                + "\"ns.a.local\" (want IP, IP:PORT or [IPv6]:PORT)",
        "`{\"a.local\": [\"1.2.3.4:99999\"]}` | DIR/stubDomains:1: stub domain \"a.local\": invalid nameserver: "
                + "\"1.2.3.4:99999\" (want IP, IP:PORT or [IPv6]:PORT)",
        "`{\"a.local\": [\"fd00::1:53x\"]}` | DIR/stubDomains:1: stub domain \"a.local\": invalid nameserver: "
                + "\"fd00::1:53x\" (want IP, IP:PORT or [IPv6]:PORT)",
        "`{\"a.local\": [\":53\"]}`       | DIR/stubDomains:1: stub domain \"a.local\": invalid nameserver: "
                + "\":53\" (want IP, IP:PORT or [IPv6]:PORT)",
        "`{\"a.local\": [\"fe80::1%eth0\"]}` | DIR/stubDomains:1: stub domain \"a.local\": invalid nameserver: "
                + "\"fe80::1%eth0\" (want IP, IP:PORT or [IPv6]:PORT)",
    })
    void rejectsWrongTypesZonesAndServersNamingTheFile(String json, String message) throws Exception {
        assertEquals(message, stubDomainsError(json));
    }

    @Test
    void rejectsMoreThanThreeUpstreamsAsKubeDnsDoes() throws Exception {
        assertEquals(List.of("1.1.1.1", "1.0.0.1", "8.8.8.8"),
                withFiles(null, "[\"1.1.1.1\", \"1.0.0.1\", \"8.8.8.8\"]").upstreamNameservers());
        assertEquals("DIR/upstreamNameservers: upstreamNameserver cannot have more than three entries (has 4)",
                upstreamError("[\"1.1.1.1\", \"1.0.0.1\", \"8.8.8.8\", \"8.8.4.4\"]"));
        assertEquals("DIR/upstreamNameservers:2: upstreamNameservers: invalid nameserver: \"dns.google\" "
                + "(want IP, IP:PORT or [IPv6]:PORT)", upstreamError("[\"8.8.8.8\",\n \"dns.google\"]"));
        assertEquals("DIR/upstreamNameservers: upstreamNameservers: want a JSON array of name servers, "
                + "found an object", upstreamError("{\"8.8.8.8\": 1}"));
    }

    @Test
    void rejectsFilesThatAreNotUtf8AsKubeDnsDoes() throws Exception {
        Files.write(dir.resolve("stubDomains"), new byte[] {'{', (byte) 0xff, '}'});
        assertEquals("DIR/stubDomains: not UTF-8 text",
                assertThrows(CorefileException.class, () -> KubeDnsConfigMap.read(dir)).getMessage()
                        .replace(dir.toString(), "DIR"));
    }

    @Test
    void dns1123SubdomainFollowsKubernetes() {
        assertTrue(KubeDnsConfigMap.isDns1123Subdomain("acme.local"));
        assertTrue(KubeDnsConfigMap.isDns1123Subdomain("a-1.b2"));
        assertFalse(KubeDnsConfigMap.isDns1123Subdomain("-a.local"));
        assertFalse(KubeDnsConfigMap.isDns1123Subdomain("a_b.local"));
        assertFalse(KubeDnsConfigMap.isDns1123Subdomain("acme.local."));
        assertFalse(KubeDnsConfigMap.isDns1123Subdomain("a".repeat(64) + ".local"));
        assertFalse(KubeDnsConfigMap.isDns1123Subdomain(""));
    }
}
