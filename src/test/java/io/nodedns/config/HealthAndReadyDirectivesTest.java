package io.nodedns.config;

import static io.nodedns.config.CorefileTesting.assertEachRejected;
import static io.nodedns.config.CorefileTesting.inBlock;
import static io.nodedns.config.CorefileTesting.onlyBlock;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@code health [ADDRESS] { lameduck DURATION }} and {@code ready [ADDRESS]}. */
class HealthAndReadyDirectivesTest {

    private static HealthSettings health(String... directiveLines) throws CorefileException {
        return onlyBlock(inBlock(". {", directiveLines)).health().orElseThrow();
    }

    private static InetSocketAddress at(String ip, int port) throws Exception {
        return new InetSocketAddress(InetAddress.getByName(ip), port);
    }

    @Test
    void healthDefaultsToEveryAddressPort8080WithoutLameduck() throws Exception {
        HealthSettings settings = health("health");

        assertEquals(new HealthSettings(new InetSocketAddress(8080), Duration.ZERO), settings);
        assertEquals(true, settings.address().getAddress().isAnyLocalAddress());
    }

    @Test
    void healthTakesAnAddressAndALameduck() throws Exception {
        assertEquals(new HealthSettings(at("169.254.20.10", 8080), Duration.ZERO), health("health 169.254.20.10:8080"));
        assertEquals(new HealthSettings(at("::1", 8091), Duration.ZERO), health("health [::1]:8091"));
        assertEquals(new HealthSettings(at("127.0.0.1", 8092), Duration.ofSeconds(1)),
                health("health localhost:8092 {", "  lameduck 1s", "}"));
        assertEquals(new HealthSettings(new InetSocketAddress(8080), Duration.ofMillis(5500)),
                health("health {", "  lameduck 5.5s", "}"));
        assertEquals(Duration.ofSeconds(7), health("health {", "  lameduck 5s", "  lameduck 7s", "}").lameduck(),
                "a later lameduck replaces an earlier one, as CoreDNS overwrites");
        assertEquals(Duration.ZERO, health("health {", "  lameduck 0s", "}").lameduck(), "zero is none, as in CoreDNS");
    }

    @Test
    void healthRejections() {
        // {directive lines, message}
        List<String[]> table = List.of(
                new String[] {"health 8080",
                        "Corefile:2: health: not an address [HOST]:PORT with HOST an IP or localhost: \"8080\""},
                new String[] {"health dns.example:8080",
                        "Corefile:2: health: not an address [HOST]:PORT with HOST an IP or localhost: "
                                + "\"dns.example:8080\""},
                new String[] {"health :8080 :8081", "Corefile:2: health: takes at most one address, got 2 arguments"},
                new String[] {"health {\n  lameduck\n  }",
                        "Corefile:3: health: lameduck: wrong argument count: want 1, got 0"},
                new String[] {"health {\n  lameduck 1s 2s\n  }",
                        "Corefile:3: health: lameduck: wrong argument count: want 1, got 2"},
                new String[] {"health {\n  lameduck 5\n  }",
                        "Corefile:3: health: lameduck: missing unit in duration \"5\""},
                new String[] {"health {\n  lameduck -1s\n  }", "Corefile:3: health: lameduck: can't be negative: \"-1s\""},
                new String[] {"health {\n  lamedcuk 5s\n  }", "Corefile:3: health: unknown property 'lamedcuk'"},
                new String[] {"health :8080\n  health :8081", "Corefile:3: health: can only be used once per server block"});
        assertEachRejected(table);
    }

    @Test
    void readyDefaultsToEveryAddressPort8181() throws Exception {
        InetSocketAddress ready = onlyBlock(". {", "  ready", "}").ready().orElseThrow();

        assertEquals(new InetSocketAddress(8181), ready);
        assertEquals(true, ready.getAddress().isAnyLocalAddress());
        assertEquals(at("127.0.0.1", 8182), onlyBlock(". {", "  ready 127.0.0.1:8182", "}").ready().orElseThrow());
        assertEquals(Optional.empty(), onlyBlock(". {", "}").ready());
    }

    @Test
    void readyRejections() {
        List<String[]> table = List.of(
                new String[] {"ready :8181 :8182", "Corefile:2: ready: takes at most one address, got 2 arguments"},
                new String[] {"ready localhost",
                        "Corefile:2: ready: not an address [HOST]:PORT with HOST an IP or localhost: \"localhost\""},
                new String[] {"ready {\n  monitor continuously\n  }", "Corefile:2: ready: a '{' block is not supported yet"},
                new String[] {"ready\n  ready :8182", "Corefile:3: ready: can only be used once per server block"});
        assertEachRejected(table);
    }

    @Test
    void settingsRecordRefusesANegativeLameduck() {
        assertThrows(IllegalArgumentException.class,
                () -> new HealthSettings(new InetSocketAddress(8080), Duration.ofSeconds(-1)));
    }
}
