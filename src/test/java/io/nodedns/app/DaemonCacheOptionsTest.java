package io.nodedns.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.nodedns.cache.CachePolicy;
import io.nodedns.cache.DisabledZones;
import io.nodedns.cache.PrefetchPolicy;
import io.nodedns.cache.StalePolicy;
import io.nodedns.config.CacheSettings;
import io.nodedns.config.CorefileParser;
import io.nodedns.upstream.FakeUpstream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/** The cache's prefetch, serve_stale and disable lines reach the running cache. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DaemonCacheOptionsTest {
    private final DaemonFixture fixture = new DaemonFixture(1);

    @AfterEach
    void stop() throws Exception {
        fixture.close();
    }

    private static CacheSettings cacheOf(String cacheBlock) throws Exception {
        return CorefileParser.parse("test", "example.:53 {\n" + cacheBlock + "\n}\n", 53)
                .blocks().get(0).cache().orElseThrow();
    }

    @Test
    void policyCarriesPrefetchServeStaleAndDisabledZones() throws Exception {
        CachePolicy policy = Daemon.policy(cacheOf(
                "cache {\n prefetch 5 30s 20%\n serve_stale 2h verify\n disable denial nx.example\n}"));

        assertEquals(new PrefetchPolicy(5, Duration.ofSeconds(30).toNanos(), 20), policy.prefetch());
        assertEquals(new StalePolicy(Duration.ofHours(2).toNanos(), StalePolicy.Refresh.VERIFY), policy.stale());
        assertEquals(new DisabledZones(List.of(), List.of("nx.example.")), policy.disabled());
    }

    @Test
    void withoutTheLinesNothingIsOn() throws Exception {
        CachePolicy policy = Daemon.policy(cacheOf("cache 30"));

        assertEquals(0, policy.prefetch().amount());
        assertEquals(StalePolicy.OFF, policy.stale());
        assertEquals(DisabledZones.NONE, policy.disabled());
        assertEquals(new CachePolicy(9984, 30, 5, 9984, 30, 5, 5), policy);
    }

    @Test
    void disableSuccessSendsEveryQueryUpstream() throws Exception {
        FakeUpstream upstream = fixture.upstream("127.0.0.9");
        Daemon daemon = fixture.start("example.:0 {\n  bind 127.0.0.1\n  cache {\n    disable success a.example\n"
                + "  }\n  forward . " + DaemonFixture.hostPort(upstream) + "\n}\n");
        InetSocketAddress dns = daemon.listeners().get(0);

        for (int i = 0; i < 2; i++) {
            assertEquals(Rcode.NOERROR, DaemonFixture.ask(dns, "a.example.", Type.A).getRcode());
            assertEquals(Rcode.NOERROR, DaemonFixture.ask(dns, "b.example.", Type.A).getRcode());
        }
        assertEquals(3, upstream.queries(), "a.example. twice, b.example. once (then from the cache)");
    }
}
