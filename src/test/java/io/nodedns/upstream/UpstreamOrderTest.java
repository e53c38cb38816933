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
        assertEquals(Set.copyOf(UPSTREAMS), firstsOf200Orders(order));
    }

    @Test
    void triesEveryUpstreamInRandomOrderWhenAllAreDown() {
        UpstreamOrder<String> order = new UpstreamOrder<>(ForwardPolicy.SEQUENTIAL, UPSTREAMS, u -> true);
        assertEquals(Set.copyOf(UPSTREAMS), firstsOf200Orders(order));
    }

    /** Takes 200 orders, checking that each lists every upstream once; the upstreams that came first. */
    private static Set<String> firstsOf200Orders(UpstreamOrder<String> order) {
        Set<String> firsts = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            List<String> next = order.next();
            assertEquals(Set.copyOf(UPSTREAMS), Set.copyOf(next));
            assertEquals(UPSTREAMS.size(), next.size());
            firsts.add(next.get(0));
        }
        return firsts;
    }
}
