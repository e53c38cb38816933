package io.nodedns.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Durations as Go's time.ParseDuration reads them. */
class GoDurationTest {

    @ParameterizedTest(name = "{0} = {1} ns")
    @CsvSource({
        "500ms, 500000000",
        "5s, 5000000000",
        "1m30s, 90000000000",
        "2h, 7200000000000",
        "1.5s, 1500000000",
        ".5s, 500000000",
        "1.s, 1000000000",
        "10ns, 10",
        "7us, 7000",
        "7\u00b5s, 7000",
        "7\u03bcs, 7000",
        "2h45m0.5s, 9900500000000",
        "+3s, 3000000000",
        "-1.5h, -5400000000000",
        "0, 0",
        "-0, 0",
        "0s, 0",
        "1.9ns, 1",
        "0.1s, 100000000",
        "9223372036854775807ns, 9223372036854775807",
    })
    void parsesGoDurationSyntax(String text, long nanos) {
        assertEquals(Duration.ofNanos(nanos), GoDuration.parse(text));
    }

    @Test
    void acceptsTheMostNegativeDurationGoCanHold() {
        assertEquals(Duration.ofNanos(Long.MIN_VALUE), GoDuration.parse("-9223372036854775808ns"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "5", "1.5", "-", "+", ".", "s", "5 s", "5sec", "5S", "1d", "1h-5m", "ms5",
        "9223372036854775808ns", "3000000h"})
    void rejectsWhatGoRejects(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GoDuration.parse(text));
        // The message quotes the problem so a Corefile error can show it.
        assertEquals(true, e.getMessage().contains("duration"), e.getMessage());
    }

    @Test
    void bareNumberIsMissingAUnit() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GoDuration.parse("10"));
        assertEquals("missing unit in duration \"10\"", e.getMessage());
    }

    @Test
    void unknownUnitIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GoDuration.parse("3d"));
        assertEquals("unknown unit \"d\" in duration \"3d\"", e.getMessage());
    }
}
