package io.nodedns.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class UpstreamOrderTest {
    private static final List<String> UPSTREAMS = List.of("a", "b", "c");

    @Test
    void sequentialAlwaysStartsWithTheFirstHealthyUpstream() {
        Set<String> down = new HashSet<>();
        UpstreamOrder<String> order = new UpstreamOrder<>(ForwardPolicy.SEQUENTIAL, UPSTREAMS, down::contains);
        assertEquals(List.of("a", "b", "c"), order.next());
        assertEquals(List.of("a", "b", "c"), order.next());
        down.add("a");
        assertEquals(List.of("b", "c"), order.next());
    }

    @Test
    void roundRobinRotatesTheStartingUpstream() {
        UpstreamOrder<String> order = new UpstreamOrder<>(ForwardPolicy.ROUND_ROBIN, UPSTREAMS, u -> false);
        assertEquals(List.of("a", "b", "c"), order.next());
        assertEquals(List.of("b", "c", "a"), order.next());
        assertEquals(List.of("c", "a", "b"), order.next());
        assertEquals(List.of("a", "b", "c"), order.next());
    }

    @Test
    void roundRobinSkipsDownUpstreams() {
        UpstreamOrder<String> order = new UpstreamOrder<>(ForwardPolicy.ROUND_ROBIN, UPSTREAMS, "b"::equals);
        assertEquals(List.of("a", "c"), order.next());
        assertEquals(List.of("c", "a"), order.next());
    }

    @Test
    void randomStartsWithEveryUpstreamSometimesAndAlwaysListsAll() {
        UpstreamOrder<String> order = new UpstreamOrder<>(ForwardPolicy.RANDOM, UPSTREAMS, u -> false);
        Set<String> firsts = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            List<String> next = order.next();
            assertEquals(Set.copyOf(UPSTREAMS), Set.copyOf(next));
            assertEquals(3, next.size());
            firsts.add(next.get(0));
        }
        assertEquals(Set.copyOf(UPSTREAMS), firsts);
    }

    @Test
    void triesEveryUpstreamInRandomOrderWhenAllAreDown() {
        UpstreamOrder<String> order = new UpstreamOrder<>(ForwardPolicy.SEQUENTIAL, UPSTREAMS, u -> true);
        Set<String> firsts = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            List<String> next = order.next();
            assertEquals(Set.copyOf(UPSTREAMS), Set.copyOf(next));
            firsts.add(next.get(0));
        }
        assertEquals(Set.copyOf(UPSTREAMS), firsts);
    }
}
