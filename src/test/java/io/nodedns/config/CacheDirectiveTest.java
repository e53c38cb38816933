package io.nodedns.config;

import static io.nodedns.config.CorefileTesting.inBlock;
import static io.nodedns.config.CorefileTesting.onlyBlock;
import static io.nodedns.config.CorefileTesting.rejected;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code cache}, with CoreDNS plugin/cache's defaults and checks. */
class CacheDirectiveTest {

    private static CacheSettings cache(String... directiveLines) throws CorefileException {
        return onlyBlock(inBlock("example.org:53 sub.example.org:54 example.org:55 {", directiveLines))
                .cache().orElseThrow();
    }

    private static String error(String... directiveLines) {
        return rejected(inBlock(". {", directiveLines)).getMessage();
    }

    @Test
    void bareCacheHasCoreDnsDefaultsAndTheBlocksZones() throws CorefileException {
        assertEquals(new CacheSettings(List.of("example.org.", "sub.example.org."),
                9984, Duration.ofSeconds(3600), Duration.ofSeconds(5),
                9984, Duration.ofSeconds(1800), Duration.ofSeconds(5),
                Duration.ofSeconds(5)), cache("cache"));
        assertEquals(CacheSettings.defaults(List.of("example.org.", "sub.example.org.")), cache("cache"));
    }

    @Test
    void aTtlSetsBothMaximaAndLeavesTheMinimaAlone() throws CorefileException {
        CacheSettings settings = cache("cache 30");

        assertEquals(Duration.ofSeconds(30), settings.successMaxTtl());
        assertEquals(Duration.ofSeconds(30), settings.denialMaxTtl());
        assertEquals(Duration.ofSeconds(5), settings.successMinTtl());
        assertEquals(Duration.ofSeconds(5), settings.denialMinTtl());
        assertEquals(9984, settings.successCapacity());
    }

    @Test
    void aTtlBelowTheDefaultMinimumIsAcceptedAsCoreDnsDoes() throws CorefileException {
        CacheSettings settings = cache("cache 3");

        assertEquals(Duration.ofSeconds(3), settings.successMaxTtl());
        assertEquals(Duration.ofSeconds(5), settings.successMinTtl());
    }

    @Test
    void zonesAfterTheTtlAreNormalizedAndReplaceTheBlocksZones() throws CorefileException {
        assertEquals(List.of("a.example.", "b.example."), cache("cache 30 A.example b.example. a.example").zones());
        assertEquals(List.of("a.example."), cache("cache a.example").zones());
    }

    @Test
    void successAndDenialSetCapacityTtlAndMinTtl() throws CorefileException {
        CacheSettings settings = cache(
                "cache 300 {", "  success 5000 60 10", "  denial 2500 20 1", "  servfail 30s", "}");

        assertEquals(new CacheSettings(List.of("example.org.", "sub.example.org."),
                5000, Duration.ofSeconds(60), Duration.ofSeconds(10),
                2500, Duration.ofSeconds(20), Duration.ofSeconds(1),
                Duration.ofSeconds(30)), settings);
    }

    @Test
    void successWithOnlyACapacityKeepsTheTtlFromTheCacheLine() throws CorefileException {
        CacheSettings settings = cache("cache 30 {", "  success 100", "  denial 200 7", "}");

        assertEquals(100, settings.successCapacity());
        assertEquals(Duration.ofSeconds(30), settings.successMaxTtl());
        assertEquals(200, settings.denialCapacity());
        assertEquals(Duration.ofSeconds(7), settings.denialMaxTtl());
        assertEquals(Duration.ofSeconds(5), settings.denialMinTtl());
    }

    @Test
    void servfailZeroDisablesAndFiveMinutesIsTheMaximum() throws CorefileException {
        assertEquals(Duration.ZERO, cache("cache {", "  servfail 0", "}").servfailTtl());
        assertEquals(Duration.ofMinutes(5), cache("cache {", "  servfail 5m", "}").servfailTtl());
        assertEquals(Duration.ofMillis(1500), cache("cache {", "  servfail 1.5s", "}").servfailTtl());
    }

    @Test
    void aLaterSubDirectiveOverridesAnEarlierOne() throws CorefileException {
        assertEquals(20, cache("cache {", "  success 10", "  success 20", "}").successCapacity());
    }

    @Test
    void rejectsZeroOrNegativeTtls() {
        assertEquals("Corefile:2: cache: TTL: can not be zero or negative: \"0\"", error("cache 0"));
        assertEquals("Corefile:2: cache: TTL: can not be zero or negative: \"-5\"", error("cache -5"));
        assertEquals("Corefile:3: cache: success: TTL: can not be zero or negative: \"0\"",
                error("cache {", "  success 10 0", "}"));
        assertEquals("Corefile:3: cache: denial: MINTTL: not a non-negative integer: \"-1\"",
                error("cache {", "  denial 10 5 -1", "}"));
    }

    @Test
    void rejectsADurationWhereWholeSecondsAreExpected() {
        assertEquals("Corefile:2: cache: TTL: must be whole seconds, not a duration: \"30s\"", error("cache 30s"));
        assertEquals("Corefile:3: cache: success: TTL: not a positive integer: \"30s\"",
                error("cache {", "  success 10 30s", "}"));
    }

    @Test
    void rejectsBadCapacities() {
        assertEquals("Corefile:3: cache: success: CAPACITY: not a positive integer: \"many\"",
                error("cache {", "  success many", "}"));
        assertEquals("Corefile:3: cache: denial: CAPACITY: not a positive integer: \"0\"",
                error("cache {", "  denial 0", "}"));
        assertEquals("Corefile:3: cache: success: CAPACITY: not a positive integer: \"99999999999\"",
                error("cache {", "  success 99999999999", "}"));
    }

    @Test
    void rejectsWrongArgumentCounts() {
        assertEquals("Corefile:3: cache: success: wrong argument count: want 1 to 3, got 0",
                error("cache {", "  success", "}"));
        assertEquals("Corefile:3: cache: denial: wrong argument count: want 1 to 3, got 4",
                error("cache {", "  denial 1 2 3 4", "}"));
        assertEquals("Corefile:3: cache: servfail: wrong argument count: want 1, got 2",
                error("cache {", "  servfail 1s 2s", "}"));
    }

    @Test
    void rejectsBadServfailDurations() {
        assertEquals("Corefile:3: cache: servfail: missing unit in duration \"5\"",
                error("cache {", "  servfail 5", "}"));
        assertEquals("Corefile:3: cache: servfail: can't be negative: \"-1s\"",
                error("cache {", "  servfail -1s", "}"));
        assertEquals("Corefile:3: cache: servfail: caching SERVFAIL responses over 5 minutes is not permitted: "
                + "\"5m1s\"", error("cache {", "  servfail 5m1s", "}"));
    }

    @Test
    void withoutPrefetchServeStaleOrDisableLinesAllAreOff() throws CorefileException {
        CacheSettings settings = cache("cache 30");

        assertEquals(CacheSettings.Prefetch.OFF, settings.prefetch());
        assertFalse(settings.prefetch().enabled());
        assertEquals(CacheSettings.ServeStale.OFF, settings.serveStale());
        assertFalse(settings.serveStale().enabled());
        assertEquals(List.of(), settings.successDisabledZones());
        assertEquals(List.of(), settings.denialDisabledZones());
    }

    @Test
    void prefetchTakesCoreDnsDefaultsForWhatItLeavesOut() throws CorefileException {
        assertEquals(new CacheSettings.Prefetch(10, Duration.ofMinutes(1), 10),
                cache("cache {", "  prefetch 10", "}").prefetch());
        assertEquals(new CacheSettings.Prefetch(3, Duration.ofSeconds(90), 10),
                cache("cache {", "  prefetch 3 1m30s", "}").prefetch());
        assertEquals(new CacheSettings.Prefetch(2, Duration.ofHours(1), 90),
                cache("cache {", "  prefetch 2 1h 90%", "}").prefetch());
        assertEquals(10, cache("cache {", "  prefetch 2 1h 10%", "}").prefetch().percentage());
        assertTrue(cache("cache {", "  prefetch 1", "}").prefetch().enabled());
        assertFalse(cache("cache {", "  prefetch 0", "}").prefetch().enabled(), "0 turns it off, as in CoreDNS");
    }

    @Test
    void rejectsBadPrefetchLines() {
        String[][] cases = {
            {"  prefetch", "Corefile:3: cache: prefetch: wrong argument count: want 1 to 3, got 0"},
            {"  prefetch 1 1m 10% x", "Corefile:3: cache: prefetch: wrong argument count: want 1 to 3, got 4"},
            {"  prefetch -1", "Corefile:3: cache: prefetch: AMOUNT: not a non-negative integer: \"-1\""},
            {"  prefetch many", "Corefile:3: cache: prefetch: AMOUNT: not a non-negative integer: \"many\""},
            {"  prefetch 2 60", "Corefile:3: cache: prefetch: DURATION: missing unit in duration \"60\""},
            {"  prefetch 2 50%", "Corefile:3: cache: prefetch: DURATION: unknown unit \"%\" in duration \"50%\""},
            {"  prefetch 2 -1m", "Corefile:3: cache: prefetch: DURATION: can't be negative: \"-1m\""},
            {"  prefetch 2 0s", "Corefile:3: cache: prefetch: DURATION: can't be zero: \"0s\""},
            {"  prefetch 2 1m 50", "Corefile:3: cache: prefetch: PERCENTAGE: must end in '%': \"50\""},
            {"  prefetch 2 1m 9%", "Corefile:3: cache: prefetch: PERCENTAGE: want 10% to 90%: \"9%\""},
            {"  prefetch 2 1m 91%", "Corefile:3: cache: prefetch: PERCENTAGE: want 10% to 90%: \"91%\""},
            {"  prefetch 2 1m x%", "Corefile:3: cache: prefetch: PERCENTAGE: want 10% to 90%: \"x%\""},
            {"  prefetch 2 1m %", "Corefile:3: cache: prefetch: PERCENTAGE: want 10% to 90%: \"%\""},
        };
        for (String[] c : cases) {
            assertEquals(c[1], error("cache {", c[0], "}"), c[0]);
        }
    }

    @Test
    void serveStaleDefaultsToOneHourImmediate() throws CorefileException {
        assertEquals(new CacheSettings.ServeStale(Duration.ofHours(1), CacheSettings.ServeStale.RefreshMode.IMMEDIATE),
                cache("cache {", "  serve_stale", "}").serveStale());
        assertEquals(new CacheSettings.ServeStale(Duration.ofMinutes(10), CacheSettings.ServeStale.RefreshMode.IMMEDIATE),
                cache("cache {", "  serve_stale 10m", "}").serveStale());
        assertEquals(new CacheSettings.ServeStale(Duration.ofSeconds(30), CacheSettings.ServeStale.RefreshMode.VERIFY),
                cache("cache {", "  serve_stale 30s verify", "}").serveStale());
        assertEquals(CacheSettings.ServeStale.RefreshMode.VERIFY,
                cache("cache {", "  serve_stale 1h VERIFY", "}").serveStale().refreshMode(),
                "CoreDNS lower-cases the mode");
        assertEquals(CacheSettings.ServeStale.RefreshMode.IMMEDIATE,
                cache("cache {", "  serve_stale 1h immediate", "}").serveStale().refreshMode());
        assertTrue(cache("cache {", "  serve_stale", "}").serveStale().enabled());
        assertFalse(cache("cache {", "  serve_stale 0s", "}").serveStale().enabled(), "0 turns it off, as in CoreDNS");
    }

    @Test
    void rejectsBadServeStaleLines() {
        String[][] cases = {
            {"  serve_stale 1h verify x", "Corefile:3: cache: serve_stale: wrong argument count: want 0 to 2, got 3"},
            {"  serve_stale 1", "Corefile:3: cache: serve_stale: DURATION: missing unit in duration \"1\""},
            {"  serve_stale -1h", "Corefile:3: cache: serve_stale: DURATION: can't be negative: \"-1h\""},
            {"  serve_stale 1h later",
                "Corefile:3: cache: serve_stale: REFRESH_MODE: want immediate or verify, not \"later\""},
            {"  serve_stale verify", "Corefile:3: cache: serve_stale: DURATION: invalid duration \"verify\""},
        };
        for (String[] c : cases) {
            assertEquals(c[1], error("cache {", c[0], "}"), c[0]);
        }
    }

    @Test
    void disableDefaultsToTheCachesZonesAndNormalizesTheZonesItNames() throws CorefileException {
        CacheSettings settings = cache("cache {", "  disable success", "}");
        assertEquals(List.of("example.org.", "sub.example.org."), settings.successDisabledZones());
        assertEquals(List.of(), settings.denialDisabledZones());

        assertEquals(List.of("a.example."), cache("cache 30 a.example {", "  disable denial", "}").denialDisabledZones());

        CacheSettings both = cache("cache {", "  disable denial Sub.Example.org nx.example.org.", "  disable success",
                "  disable success svc.example.org", "}");
        assertEquals(List.of("sub.example.org.", "nx.example.org."), both.denialDisabledZones());
        assertEquals(List.of("svc.example.org."), both.successDisabledZones(), "a later line replaces, as in CoreDNS");
    }

    @Test
    void rejectsBadDisableLines() {
        String[][] cases = {
            {"  disable", "Corefile:3: cache: disable: wrong argument count: want 1 or more, got 0"},
            {"  disable all", "Corefile:3: cache: disable: want success or denial, not \"all\""},
            {"  disable Success", "Corefile:3: cache: disable: want success or denial, not \"Success\""},
            {"  disable denial 10.0.0.0/8", "Corefile:3: cache: disable: reverse CIDR zones are not supported: "
                + "\"10.0.0.0/8\" (write the in-addr.arpa or ip6.arpa zone instead)"},
        };
        for (String[] c : cases) {
            assertEquals(c[1], error("cache {", c[0], "}"), c[0]);
        }
        assertEquals("Corefile:3: cache: disable: does not take a '{' block",
                error("cache {", "  disable success {", "  }", "}"));
    }

    @Test
    void allSubDirectivesTogether() throws CorefileException {
        CacheSettings settings = cache("cache 300 {", "  success 5000 60 10", "  prefetch 5 30s 20%",
                "  serve_stale 2h verify", "  disable denial", "  servfail 0", "}");

        assertEquals(new CacheSettings(List.of("example.org.", "sub.example.org."),
                5000, Duration.ofSeconds(60), Duration.ofSeconds(10),
                9984, Duration.ofSeconds(300), Duration.ofSeconds(5), Duration.ZERO,
                new CacheSettings.Prefetch(5, Duration.ofSeconds(30), 20),
                new CacheSettings.ServeStale(Duration.ofHours(2), CacheSettings.ServeStale.RefreshMode.VERIFY),
                List.of(), List.of("example.org.", "sub.example.org.")), settings);
    }

    @Test
    void refusesKeepttlNotImplementedYet() {
        assertEquals("Corefile:3: cache: keepttl: not supported yet", error("cache {", "  keepttl", "}"));
    }

    @Test
    void rejectsUnknownSubDirectivesAndNestedBlocks() {
        assertEquals("Corefile:3: cache: unknown property 'sucess'", error("cache {", "  sucess 10", "}"));
        assertEquals("Corefile:3: cache: success: does not take a '{' block",
                error("cache {", "  success 10 {", "  }", "}"));
    }

    @Test
    void rejectsBadZones() {
        assertEquals("Corefile:2: cache: reverse CIDR zones are not supported: \"10.0.0.0/8\" "
                + "(write the in-addr.arpa or ip6.arpa zone instead)", error("cache 30 10.0.0.0/8"));
    }

    @Test
    void serveStaleTtlAndNxdomainSetTheStaleAnswerTtlAndWhatAnNxdomainDoes() throws CorefileException {
        CacheSettings.ServeStale defaults = cache("cache {", "  serve_stale 10m", "}").serveStale();
        assertEquals(Duration.ofSeconds(30), defaults.answerTtl(), "RFC 8767 section 4's 30 s");
        assertEquals(CacheSettings.ServeStale.Nxdomain.KEEP, defaults.nxdomain());

        CacheSettings.ServeStale set = cache("cache {", "  serve_stale_ttl 5s", "  serve_stale 10m verify",
                "  serve_stale_nxdomain REPLACE", "}").serveStale();
        assertEquals(new CacheSettings.ServeStale(Duration.ofMinutes(10), CacheSettings.ServeStale.RefreshMode.VERIFY,
                Duration.ofSeconds(5), CacheSettings.ServeStale.Nxdomain.REPLACE), set);
        assertEquals(Duration.ZERO, cache("cache {", "  serve_stale", "  serve_stale_ttl 0s", "}")
                .serveStale().answerTtl(), "CoreDNS's TTL 0 is allowed");
    }

    @Test
    void serveStaleTtlAndNxdomainAreRefusedWhenWrongOrWithoutServeStale() {
        String[][] cases = {
            {"  serve_stale_ttl 5s", "Corefile:3: cache: serve_stale_ttl: needs serve_stale in the same cache block"},
            {"  serve_stale_nxdomain keep",
                "Corefile:3: cache: serve_stale_nxdomain: needs serve_stale in the same cache block"},
            {"  serve_stale 0s\n  serve_stale_ttl 5s",
                "Corefile:4: cache: serve_stale_ttl: needs serve_stale in the same cache block"},
            {"  serve_stale\n  serve_stale_ttl 2h", "Corefile:4: cache: serve_stale_ttl: want whole seconds from 0s to 1h: \"2h\""},
            {"  serve_stale\n  serve_stale_ttl 1500ms",
                "Corefile:4: cache: serve_stale_ttl: want whole seconds from 0s to 1h: \"1500ms\""},
            {"  serve_stale\n  serve_stale_nxdomain drop",
                "Corefile:4: cache: serve_stale_nxdomain: want keep or replace, not \"drop\""},
        };
        for (String[] c : cases) {
            assertEquals(c[1], error("cache {", c[0], "}"), c[0]);
        }
    }

    @Test
    void mayAppearOnlyOncePerBlock() {
        CorefileException e = rejected(". {", "  cache 30", "  cache 60", "}");

        assertEquals(3, e.line());
        assertEquals("cache", e.directive());
        assertEquals("Corefile:3: cache: can only be used once per server block", e.getMessage());
    }

    @Test
    void settingsRecordValidatesItsValues() {
        List<String> zones = List.of(".");
        Duration s = Duration.ofSeconds(1);
        assertThrows(IllegalArgumentException.class, () -> new CacheSettings(List.of(), 1, s, s, 1, s, s, s));
        assertThrows(IllegalArgumentException.class, () -> new CacheSettings(zones, 0, s, s, 1, s, s, s));
        assertThrows(IllegalArgumentException.class, () -> new CacheSettings(zones, 1, Duration.ZERO, s, 1, s, s, s));
        assertThrows(IllegalArgumentException.class,
                () -> new CacheSettings(zones, 1, s, s, 1, s, s, Duration.ofMinutes(6)));
        assertThrows(IllegalArgumentException.class, () -> new CacheSettings.Prefetch(-1, s, 10));
        assertThrows(IllegalArgumentException.class, () -> new CacheSettings.Prefetch(1, Duration.ZERO, 10));
        assertThrows(IllegalArgumentException.class, () -> new CacheSettings.Prefetch(1, s, 95));
        assertThrows(IllegalArgumentException.class,
                () -> new CacheSettings.ServeStale(Duration.ofSeconds(-1), CacheSettings.ServeStale.RefreshMode.VERIFY));
    }
}
