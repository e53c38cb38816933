package io.nodedns.config;

import static io.nodedns.config.CorefileTesting.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** How per-block {@code reload}, {@code health} and {@code ready} add up for the process. */
class ProcessSettingsTest {

    private static InetSocketAddress loopback(int port) {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }

    @Test
    void nothingWithoutTheDirectives() throws Exception {
        ProcessSettings settings = ProcessSettings.of(parse(". {", "}"));

        assertEquals(new ProcessSettings(Optional.empty(), List.of(), Duration.ZERO, List.of()), settings);
    }

    @Test
    void oneBlockWithReloadMakesTheProcessReloadAndTheLastBlockWins() throws Exception {
        ProcessSettings settings = ProcessSettings.of(parse(
                "a. {", "  reload 10s", "}",
                "b. {", "}",
                "c. {", "  reload 1m 20s", "}",
                "d. {", "}"));

        assertEquals(Optional.of(new ReloadSettings(Duration.ofMinutes(1), Duration.ofSeconds(20))), settings.reload());
    }

    @Test
    void healthAndReadyAddressesAreDistinctInFileOrderAndTheLongestLameduckApplies() throws Exception {
        ProcessSettings settings = ProcessSettings.of(parse(
                "a. {", "  health localhost:8080 {", "    lameduck 2s", "  }", "  ready localhost:8181", "}",
                "b. {", "  health localhost:8081 {", "    lameduck 5s", "  }", "}",
                "c. {", "  health localhost:8080", "  ready localhost:8181", "}",
                "d. {", "  ready", "}"));

        assertEquals(List.of(loopback(8080), loopback(8081)), settings.healthAddresses());
        assertEquals(Duration.ofSeconds(5), settings.lameduck());
        assertEquals(List.of(loopback(8181), new InetSocketAddress(8181)), settings.readyAddresses());
    }
}
