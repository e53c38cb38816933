package io.nodedns.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ForwarderSettingsTest {
    private static final List<InetSocketAddress> ONE = List.of(new InetSocketAddress("127.0.0.1", 53));

    @Test
    void defaultsAreCoreDnsDefaultsWithADeadlineBeforeTheStubResolversRetry() {
        ForwarderSettings settings = ForwarderSettings.defaults("cluster.local.", ONE);
        assertEquals(TransportMode.SAME_AS_CLIENT, settings.transport());
        assertEquals(Duration.ofSeconds(10), settings.expire());
        assertEquals(2, settings.maxFails());
        assertEquals(Duration.ofMillis(500), settings.healthCheck());
        assertEquals(ForwardPolicy.RANDOM, settings.policy());
        assertEquals(0, settings.maxConcurrent());
        assertEquals(Duration.ofSeconds(2), settings.tryTimeout());
        assertTrue(settings.deadline().compareTo(Duration.ofSeconds(5)) < 0);
    }

    @Test
    void rejectsNoUpstreamsOrMoreThanFifteen() {
        assertThrows(IllegalArgumentException.class, () -> ForwarderSettings.defaults("x.", List.of()));
        List<InetSocketAddress> sixteen = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            sixteen.add(new InetSocketAddress("127.0.0.1", 1000 + i));
        }
        assertThrows(IllegalArgumentException.class, () -> ForwarderSettings.defaults("x.", sixteen));
    }

    @Test
    void rejectsUnresolvedUpstreamsAndNegativeValues() {
        assertThrows(IllegalArgumentException.class, () -> ForwarderSettings.defaults("x.",
                List.of(InetSocketAddress.createUnresolved("kube-dns", 53))));
        ForwarderSettings ok = ForwarderSettings.defaults("x.", ONE);
        assertThrows(IllegalArgumentException.class, () -> ok.withHealth(-1, Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> ok.withMaxConcurrent(-1));
        assertThrows(IllegalArgumentException.class, () -> ok.withExpire(Duration.ofSeconds(-1)));
        assertThrows(IllegalArgumentException.class, () -> ok.withTimeouts(Duration.ZERO, Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> ok.withTimeouts(Duration.ofSeconds(1), Duration.ZERO));
    }

    @Test
    void acceptsZeroExpireAndHealthCheckAsCorefilesMaySayThem() {
        ForwarderSettings settings = ForwarderSettings.defaults("x.", ONE)
                .withExpire(Duration.ZERO)
                .withHealth(2, Duration.ZERO);
        assertEquals(Duration.ZERO, settings.expire());
        assertEquals(Duration.ZERO, settings.healthCheck());
    }

    @Test
    void copiesTheUpstreamList() {
        List<InetSocketAddress> mutable = new ArrayList<>(ONE);
        ForwarderSettings settings = ForwarderSettings.defaults("x.", mutable);
        mutable.clear();
        assertEquals(ONE, settings.upstreams());
    }
}
