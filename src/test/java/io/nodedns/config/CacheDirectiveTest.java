package io.nodedns.config;

import static io.nodedns.config.CorefileTesting.onlyBlock;
import static io.nodedns.config.CorefileTesting.rejected;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code cache}, with CoreDNS plugin/cache's defaults and checks. */
class CacheDirectiveTest {

    private static CacheSettings cache(String... directiveLines) throws CorefileException {
        String[] lines = new String[directiveLines.length + 2];
        lines[0] = "example.org:53 sub.example.org:54 example.org:55 {";
        System.arraycopy(directiveLines, 0, lines, 1, directiveLines.length);
        lines[lines.length - 1] = "}";
        return onlyBlock(lines).cache().orElseThrow();
    }

    private static String error(String... directiveLines) {
        String[] lines = new String[directiveLines.length + 2];
        lines[0] = ". {";
        System.arraycopy(directiveLines, 0, lines, 1, directiveLines.length);
        lines[lines.length - 1] = "}";
        return rejected(lines).getMessage();
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
    void refusesSubDirectivesNotImplementedYet() {
        assertEquals("Corefile:3: cache: prefetch: not supported yet", error("cache {", "  prefetch 10", "}"));
        assertEquals("Corefile:3: cache: serve_stale: not supported yet", error("cache {", "  serve_stale", "}"));
        assertEquals("Corefile:3: cache: disable: not supported yet", error("cache {", "  disable success", "}"));
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
    }
}
