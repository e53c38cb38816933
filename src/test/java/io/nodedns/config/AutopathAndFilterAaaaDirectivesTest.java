package io.nodedns.config;

import static io.nodedns.config.CorefileTesting.onlyBlock;
import static io.nodedns.config.CorefileTesting.rejected;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code autopath [ZONE...] [RESOLV-CONF] { search DOMAIN... }} and {@code filter_aaaa}. */
class AutopathAndFilterAaaaDirectivesTest {
    @TempDir
    Path dir;

    private Path resolvConf(String text) throws IOException {
        Path file = dir.resolve("resolv.conf");
        Files.writeString(file, text);
        return file;
    }

    private static AutopathSettings autopath(String header, String... lines) throws CorefileException {
        return onlyBlock(CorefileTesting.inBlock(header, lines)).autopath().orElseThrow();
    }

    private static FilterAaaaSettings filter(String header, String... lines) throws CorefileException {
        return onlyBlock(CorefileTesting.inBlock(header, lines)).filterAaaa().orElseThrow();
    }

    @Test
    void readsTheNodeSearchDomainsFromResolvConf() throws Exception {
        Path file = resolvConf("nameserver 10.0.0.2\nsearch C.Proj.Internal google.internal\noptions ndots:1\n");
        assertEquals(new AutopathSettings(List.of("cluster.local."), List.of("c.proj.internal.", "google.internal."),
                file.toString()), autopath("cluster.local:53 {", "autopath " + file));
        assertEquals(new AutopathSettings(List.of("cluster.local."), List.of(), file.toString()),
                autopath("cluster.local:53 {", "autopath " + resolvConf("nameserver 10.0.0.2\n")));
    }

    @Test
    void zonesDefaultToTheBlocksAndMayBeNamedInsideThem() throws Exception {
        Path file = resolvConf("search corp.example\n");
        assertEquals(List.of("cluster.local.", "k8s.example."),
                autopath("cluster.local k8s.example {", "autopath " + file).zones());
        assertEquals(List.of("cluster.local."), autopath(". {", "autopath Cluster.Local " + file).zones());
        assertEquals(List.of("a.cluster.local."),
                autopath("cluster.local {", "autopath a.cluster.local " + file).zones());
    }

    @Test
    void takesAnExplicitSearchListInstead() throws Exception {
        assertEquals(new AutopathSettings(List.of("cluster.local."), List.of("corp.example.", "example.net."), "search"),
                autopath("cluster.local {", "autopath {", "  search corp.example example.net.", "}"));
        assertEquals(List.of(), autopath("cluster.local {", "autopath cluster.local {", "  search", "}").searchDomains());
    }

    @Test
    void absentMeansNeither() throws Exception {
        assertEquals(Optional.empty(), onlyBlock("cluster.local {", "}").autopath());
        assertEquals(Optional.empty(), onlyBlock("cluster.local {", "}").filterAaaa());
    }

    @Test
    void refusesWithFileAndLine() throws Exception {
        Path file = resolvConf("search corp.example\n");
        String missing = dir.resolve("nope").toString();
        String[][] table = {
            {"cluster.local {", "autopath", "Corefile:2: autopath: missing RESOLV-CONF (a resolv.conf path) or a 'search' line"},
            {"cluster.local {", "autopath @kubernetes", "Corefile:2: autopath: \"@kubernetes\": search paths from a plugin "
                    + "are not supported (nodedns reads the namespace from the query name); give a resolv.conf path or a "
                    + "'search' line"},
            {". {", "autopath " + file, "Corefile:2: autopath: the root zone cannot be a cluster domain; name the cluster "
                    + "domain, e.g. 'autopath cluster.local /etc/resolv.conf'"},
            {"cluster.local {", "autopath . " + file, "Corefile:2: autopath: the root zone cannot be a cluster domain"},
            {"cluster.local {", "autopath example.com " + file,
                "Corefile:2: autopath: zone \"example.com\" is not inside the server block's zones [cluster.local.]"},
            {"cluster.local {", "autopath " + file + " cluster.local",
                "Corefile:2: autopath: RESOLV-CONF \"" + file + "\" must be the last argument"},
            {"cluster.local {", "autopath " + missing, "Corefile:2: autopath: cannot read resolv.conf file \"" + missing
                    + "\": java.nio.file.NoSuchFileException: " + missing},
            {"cluster.local {", "autopath bad..zone " + file,
                "Corefile:2: autopath: ZONE: empty label in zone name \"bad..zone\""},
        };
        for (String[] row : table) {
            assertEquals(row[2], rejected(row[0], "  " + row[1], "}").getMessage(), row[1]);
        }
        assertEquals("Corefile:2: autopath: give RESOLV-CONF or a 'search' line, not both",
                rejected("cluster.local {", "  autopath " + file + " {", "    search a.example", "  }", "}").getMessage());
        assertEquals("Corefile:3: autopath: unknown property 'ndots'",
                rejected("cluster.local {", "  autopath {", "    ndots 5", "  }", "}").getMessage());
        assertEquals("Corefile:3: autopath: search: empty label in zone name \"a..b\"",
                rejected("cluster.local {", "  autopath {", "    search a..b", "  }", "}").getMessage());
        assertEquals("Corefile:3: autopath: can only be used once per server block",
                rejected("cluster.local {", "  autopath " + file, "  autopath " + file, "}").getMessage());
    }

    @Test
    void filterAaaaDefaultsToTheBlocksZonesAndThirtySeconds() throws Exception {
        assertEquals(new FilterAaaaSettings(List.of("cluster.local.", "in-addr.arpa."), List.of(), Duration.ofSeconds(30)),
                filter("cluster.local in-addr.arpa {", "filter_aaaa"));
    }

    @Test
    void filterAaaaTakesZonesExceptionsAndTtl() throws Exception {
        assertEquals(new FilterAaaaSettings(List.of("example.com."), List.of("v6.example.com.", "ipv6.google.com.",
                "x.example.com."), Duration.ofMinutes(5)),
                filter(". {", "filter_aaaa Example.com {", "  except v6.example.com ipv6.google.com", "  except x.example.com",
                        "  ttl 5m", "}"));
        assertEquals(Duration.ZERO, filter(". {", "filter_aaaa {", "  ttl 0s", "}").ttl());
    }

    @Test
    void filterAaaaRefusesWithFileAndLine() {
        String[][] table = {
            {"filter_aaaa example.com", "Corefile:2: filter_aaaa: zone \"example.com\" is not inside the server "
                    + "block's zones [cluster.local.]"},
            {"filter_aaaa {\n    ttl 4h\n  }", "Corefile:3: filter_aaaa: ttl: want whole seconds from 0s to 3h, got \"4h\""},
            {"filter_aaaa {\n    ttl 1500ms\n  }",
                "Corefile:3: filter_aaaa: ttl: want whole seconds from 0s to 3h, got \"1500ms\""},
            {"filter_aaaa {\n    ttl -1s\n  }", "Corefile:3: filter_aaaa: ttl: can't be negative: \"-1s\""},
            {"filter_aaaa {\n    except\n  }", "Corefile:3: filter_aaaa: except: wrong argument count: want 1 or more, got 0"},
            {"filter_aaaa {\n    allow x\n  }", "Corefile:3: filter_aaaa: unknown property 'allow'"},
            {"filter_aaaa\n  filter_aaaa", "Corefile:3: filter_aaaa: can only be used once per server block"},
        };
        for (String[] row : table) {
            assertEquals(row[1], rejected("cluster.local {", "  " + row[0], "}").getMessage(), row[0]);
        }
    }
}
