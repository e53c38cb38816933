package io.nodedns.config;

import static io.nodedns.config.CorefileTesting.assertEachRejected;
import static io.nodedns.config.CorefileTesting.onlyBlock;
import static io.nodedns.config.CorefileTesting.rejected;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@code reload [INTERVAL [JITTER]]} and {@code loop}, with CoreDNS's defaults and checks. */
class ReloadAndLoopDirectivesTest {

    private static ReloadSettings reload(String line) throws CorefileException {
        return onlyBlock(". {", "  " + line, "}").reload().orElseThrow();
    }

    private static ReloadSettings settings(int intervalSeconds, long jitterMillis) {
        return new ReloadSettings(Duration.ofSeconds(intervalSeconds), Duration.ofMillis(jitterMillis));
    }

    @Test
    void bareReloadHasCoreDnsDefaults() throws CorefileException {
        assertEquals(settings(30, 15_000), reload("reload"));
        assertEquals(ReloadSettings.defaults(), reload("reload"));
    }

    @Test
    void intervalAndJitterAreGoDurationsAndJitterIsCappedAtHalfTheInterval() throws CorefileException {
        // {line, expected interval s, expected jitter ms}: CoreDNS sets j = i/2 when j > i/2.
        Object[][] table = {
            {"reload 10s", 10, 5_000L},
            {"reload 2s", 2, 1_000L},
            {"reload 1m", 60, 15_000L},
            {"reload 1m 20s", 60, 20_000L},
            {"reload 1m 45s", 60, 30_000L},
            {"reload 3s 1s", 3, 1_000L},
            {"reload 5s 1s", 5, 1_000L},
            {"reload 3s 2s", 3, 1_500L},
        };
        for (Object[] row : table) {
            assertEquals(settings((Integer) row[1], (Long) row[2]), reload((String) row[0]), (String) row[0]);
        }
    }

    @Test
    void absentMeansNoReload() throws CorefileException {
        assertEquals(Optional.empty(), onlyBlock(". {", "}").reload());
    }

    @Test
    void rejectsWhatCoreDnsRejects() {
        // {directive line, message}
        List<String[]> table = List.of(
                new String[] {"reload 1s", "Corefile:2: reload: interval value must be greater or equal to 2s, got \"1s\""},
                new String[] {"reload 1999ms",
                        "Corefile:2: reload: interval value must be greater or equal to 2s, got \"1999ms\""},
                new String[] {"reload -30s",
                        "Corefile:2: reload: interval value must be greater or equal to 2s, got \"-30s\""},
                new String[] {"reload 0", "Corefile:2: reload: interval value must be greater or equal to 2s, got \"0\""},
                new String[] {"reload 30s 0s",
                        "Corefile:2: reload: jitter value must be greater or equal to 1s, got \"0s\""},
                new String[] {"reload 30s 999ms",
                        "Corefile:2: reload: jitter value must be greater or equal to 1s, got \"999ms\""},
                new String[] {"reload 30", "Corefile:2: reload: INTERVAL: missing unit in duration \"30\""},
                new String[] {"reload soon", "Corefile:2: reload: INTERVAL: invalid duration \"soon\""},
                new String[] {"reload 30s 5x", "Corefile:2: reload: JITTER: unknown unit \"x\" in duration \"5x\""},
                new String[] {"reload 30s 15s 1s", "Corefile:2: reload: wrong argument count: want 0 to 2, got 3"});
        assertEachRejected(table);
        assertEquals("Corefile:2: reload: a '{' block is not supported",
                rejected(". {", "  reload {", "  }", "}").getMessage());
        assertEquals("Corefile:3: reload: can only be used once per server block",
                rejected(". {", "  reload", "  reload 10s", "}").getMessage());
    }

    @Test
    void loopIsAFlag() throws CorefileException {
        assertTrue(onlyBlock(". {", "  loop", "}").loop());
        assertFalse(onlyBlock(". {", "}").loop());
    }

    @Test
    void loopTakesNothingAndOnlyOnce() {
        List<String[]> table = List.of(
                new String[] {"loop\n  loop", "Corefile:3: loop: can only be used once per server block"},
                new String[] {"loop example.org", "Corefile:2: loop: takes no arguments, got \"example.org\""},
                new String[] {"loop {\n  }", "Corefile:2: loop: a '{' block is not supported"});
        assertEachRejected(table);
    }
}
