package io.nodedns.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The real runner with harmless commands. */
class ProcessCommandRunnerTest {
    private final ProcessCommandRunner runner = new ProcessCommandRunner(Duration.ofSeconds(10));

    @Test
    void aCommandThatSucceeds() {
        assertEquals(new CommandResult(0, "", ""), runner.run(List.of("true")));
    }

    @Test
    void exitCodeStdoutAndStderrAreKeptApart() {
        CommandResult result = runner.run(List.of("sh", "-c", "echo out; echo err >&2; exit 3"));

        assertEquals(new CommandResult(3, "out\n", "err\n"), result);
        assertEquals(false, result.ok());
    }

    @Test
    void aMissingProgramIs127() {
        CommandResult result = runner.run(List.of("nodedns-no-such-program-here", "-x"));

        assertEquals(127, result.exitCode());
        assertTrue(result.stderr().startsWith("nodedns-no-such-program-here: not found in "), result.stderr());
        assertTrue(result.stderr().contains("/usr/sbin") && result.stderr().contains("/sbin"), result.stderr());
    }

    @Test
    void aProgramOnlyInSbinIsFoundWithoutItInPath() {
        ProcessCommandRunner sbinOnly = new ProcessCommandRunner(Duration.ofSeconds(10),
                ProcessCommandRunner.defaultSearchPath("/nonexistent"));

        // /usr/sbin/nologin exits 1 on every Debian; found only through the /usr/sbin fallback.
        assertEquals(1, sbinOnly.run(List.of("nologin")).exitCode());
        assertEquals(127, sbinOnly.run(List.of("true")).exitCode());
    }

    @Test
    void outputLargerThanAPipeBufferOnBothStreamsDoesNotDeadlock() {
        // 1 MB on each stream: far more than the 64 KiB pipe buffer, so reading one stream after
        // the other would block the command on the unread one.
        CommandResult result = runner.run(List.of("sh", "-c",
                "head -c 1048576 /dev/zero | tr '\\0' o; head -c 1048576 /dev/zero | tr '\\0' e >&2"));

        assertEquals(0, result.exitCode());
        assertEquals(1048576, result.stdout().length());
        assertEquals(1048576, result.stderr().length());
    }

    @Test
    void aCommandPastItsTimeoutIsKilledQuickly() {
        ProcessCommandRunner impatient = new ProcessCommandRunner(Duration.ofMillis(200));
        long start = System.nanoTime();

        CommandResult result = impatient.run(List.of("sleep", "5"));

        long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(-1, result.exitCode());
        assertEquals("timed out after 200 ms", result.stderr());
        assertTrue(elapsedMillis < 2000, "took " + elapsedMillis + " ms");
    }

    @Test
    void aShellWhoseChildHoldsThePipesIsKilledQuicklyToo() {
        ProcessCommandRunner impatient = new ProcessCommandRunner(Duration.ofMillis(200));
        long start = System.nanoTime();

        CommandResult result = impatient.run(List.of("sh", "-c", "echo started; sleep 5; echo never"));

        long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(new CommandResult(-1, "started\n", "timed out after 200 ms"), result);
        assertTrue(elapsedMillis < 2000, "took " + elapsedMillis + " ms");
    }

    @Test
    void oneDeadlineBoundsTheCommandAndTheReadingOfBothStreams() {
        // The shell exits just before its timeout, leaving a child that holds stdout and stderr
        // open: waiting the full timeout for each stream again would take about 5 s.
        ProcessCommandRunner impatient = new ProcessCommandRunner(Duration.ofSeconds(2));
        long start = System.nanoTime();

        CommandResult result = impatient.run(List.of("sh", "-c", "echo started; sleep 1; sleep 6 & exit 0"));

        long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(new CommandResult(0, "started\n", ""), result);
        assertTrue(elapsedMillis < 3500, "took " + elapsedMillis + " ms");
    }
}
