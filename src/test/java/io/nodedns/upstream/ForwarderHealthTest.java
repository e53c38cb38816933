package io.nodedns.upstream;

import static io.nodedns.upstream.UpstreamTesting.answer;
import static io.nodedns.upstream.UpstreamTesting.firstAddress;
import static io.nodedns.upstream.UpstreamTesting.forward;
import static io.nodedns.upstream.UpstreamTesting.settings;
import static io.nodedns.upstream.UpstreamTesting.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nodedns.transport.NettyTransport;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Type;

/** max_fails, health checks and policies against real (fake) upstreams. */
@Timeout(60)
class ForwarderHealthTest {
    private static NettyTransport transport;

    @BeforeAll
    static void startLoops() {
        transport = NettyTransport.create(2, true);
    }

    @AfterAll
    static void stopLoops() {
        transport.close();
    }

    @Test
    void marksAnUpstreamDownAfterMaxFailsAndUpAgainWhenItAnswersAHealthCheck() throws Exception {
        try (FakeUpstream flaky = FakeUpstream.start("192.0.2.1");
             FakeUpstream backup = FakeUpstream.start("192.0.2.2")) {
            flaky.dropAll(true);
            ForwarderSettings settings = settings(TransportMode.PREFER_UDP, flaky, backup)
                    .withHealth(2, Duration.ofMillis(100))
                    .withTimeouts(Duration.ofMillis(150), Duration.ofSeconds(3));
            try (Forwarder forwarder = new Forwarder(settings, transport, System::nanoTime)) {
                UpstreamStats flakyStats = forwarder.stats().upstreams().get(0);
                assertEquals("192.0.2.2", firstAddress(answer(forward(forwarder, "f1.example.", 1, false))));
                assertFalse(flakyStats.down(), "down after one failure");
                assertEquals("192.0.2.2", firstAddress(answer(forward(forwarder, "f2.example.", 2, false))));
                assertTrue(flakyStats.down(), "not down after max_fails failures");

                // While down it is skipped: sequential goes straight to the backup.
                int flakyQueries = queriesFor(flaky, "f3.example.");
                assertEquals("192.0.2.2", firstAddress(answer(forward(forwarder, "f3.example.", 3, false))));
                assertEquals(flakyQueries, queriesFor(flaky, "f3.example."));

                waitUntil("a health check failed", () -> flakyStats.healthCheckFailures() >= 1);
                flaky.dropAll(false);
                waitUntil("the health check marks it up", () -> !flakyStats.down());
                Message probe = flaky.received().stream()
                        .filter(m -> m.getQuestion().getName().equals(Name.root)).findFirst().orElseThrow();
                assertEquals(Type.NS, probe.getQuestion().getType());
                assertTrue(probe.getHeader().getFlag(Flags.RD), "CoreDNS's default probe asks for recursion");
                assertTrue(flaky.udpQueries() >= 3, "probes go over the configured transport (UDP)");

                assertEquals("192.0.2.1", firstAddress(answer(forward(forwarder, "f4.example.", 4, false))));
            }
        }
    }

    @Test
    void maxFailsZeroNeverMarksAnUpstreamDown() throws Exception {
        try (FakeUpstream silent = FakeUpstream.start("192.0.2.1");
             FakeUpstream backup = FakeUpstream.start("192.0.2.2")) {
            silent.dropAll(true);
            ForwarderSettings settings = settings(TransportMode.FORCE_TCP, silent, backup)
                    .withHealth(0, Duration.ofMillis(100))
                    .withTimeouts(Duration.ofMillis(100), Duration.ofSeconds(3));
            try (Forwarder forwarder = new Forwarder(settings, transport, System::nanoTime)) {
                for (int i = 0; i < 4; i++) {
                    answer(forward(forwarder, "z" + i + ".example.", i, false));
                }
                assertFalse(forwarder.stats().upstreams().get(0).down());
                assertEquals(4, silent.queries(), "every forward still tries the first upstream");
                assertEquals(0, forwarder.stats().upstreams().get(0).healthCheckFailures());
            }
        }
    }

    @Test
    void triesDownUpstreamsAnywayWhenAllAreDown() throws Exception {
        try (FakeUpstream a = FakeUpstream.start("192.0.2.1");
             FakeUpstream b = FakeUpstream.start("192.0.2.2")) {
            a.dropAll(true);
            b.dropAll(true);
            ForwarderSettings settings = settings(TransportMode.FORCE_TCP, a, b)
                    .withHealth(1, Duration.ofSeconds(30))
                    .withTimeouts(Duration.ofMillis(100), Duration.ofSeconds(2));
            try (Forwarder forwarder = new Forwarder(settings, transport, System::nanoTime)) {
                UpstreamTesting.failure(forward(forwarder, "first.example.", 1, false));
                assertTrue(forwarder.stats().upstreams().stream().allMatch(UpstreamStats::down), "both down");
                // CoreDNS: when every upstream is down, health checking is assumed broken; try anyway.
                UpstreamTesting.failure(forward(forwarder, "second.example.", 2, false));
                assertEquals(1, queriesFor(a, "second.example."));
                assertEquals(1, queriesFor(b, "second.example."));
            }
        }
    }

    @Test
    void sequentialSendsEverythingToTheFirstHealthyUpstream() throws Exception {
        try (FakeUpstream first = FakeUpstream.start("192.0.2.1");
             FakeUpstream second = FakeUpstream.start("192.0.2.2")) {
            try (Forwarder forwarder = new Forwarder(settings(TransportMode.PREFER_UDP, first, second), transport,
                    System::nanoTime)) {
                for (int i = 0; i < 6; i++) {
                    assertEquals("192.0.2.1", firstAddress(answer(forward(forwarder, "s" + i + ".example.", i, false))));
                }
                assertEquals(0, second.queries());
            }
        }
    }

    @Test
    void roundRobinRotatesOverTheUpstreams() throws Exception {
        try (FakeUpstream a = FakeUpstream.start("192.0.2.1");
             FakeUpstream b = FakeUpstream.start("192.0.2.2");
             FakeUpstream c = FakeUpstream.start("192.0.2.3")) {
            ForwarderSettings settings = settings(TransportMode.PREFER_UDP, a, b, c).withPolicy(ForwardPolicy.ROUND_ROBIN);
            try (Forwarder forwarder = new Forwarder(settings, transport, System::nanoTime)) {
                for (int i = 0; i < 9; i++) {
                    answer(forward(forwarder, "rr" + i + ".example.", i, false));
                }
                assertEquals(List.of(3, 3, 3), List.of(a.queries(), b.queries(), c.queries()));
            }
        }
    }

    @Test
    void randomEventuallyUsesEveryUpstream() throws Exception {
        try (FakeUpstream a = FakeUpstream.start("192.0.2.1");
             FakeUpstream b = FakeUpstream.start("192.0.2.2");
             FakeUpstream c = FakeUpstream.start("192.0.2.3")) {
            ForwarderSettings settings = settings(TransportMode.PREFER_UDP, a, b, c).withPolicy(ForwardPolicy.RANDOM);
            try (Forwarder forwarder = new Forwarder(settings, transport, System::nanoTime)) {
                Set<String> answeredBy = new HashSet<>();
                for (int i = 0; i < 60 && answeredBy.size() < 3; i++) {
                    answeredBy.add(firstAddress(answer(forward(forwarder, "rnd" + i + ".example.", i, false))));
                }
                assertEquals(Set.of("192.0.2.1", "192.0.2.2", "192.0.2.3"), answeredBy);
            }
        }
    }

    private static int queriesFor(FakeUpstream upstream, String name) {
        return (int) upstream.received().stream()
                .filter(m -> m.getQuestion().getName().toString().equals(name)).count();
    }
}
