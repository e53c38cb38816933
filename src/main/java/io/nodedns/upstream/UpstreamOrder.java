package io.nodedns.upstream;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * The order in which one forward tries the upstreams, with CoreDNS forward semantics: the
 * {@link ForwardPolicy} orders them, upstreams that are down are skipped, and when every
 * upstream is down health checking is assumed broken and all are tried in random order.
 * Thread-safe (the round-robin position is atomic).
 */
final class UpstreamOrder<T> {
    private final ForwardPolicy policy;
    private final List<T> upstreams;
    private final Predicate<T> isDown;
    private final AtomicInteger roundRobin = new AtomicInteger();

    UpstreamOrder(ForwardPolicy policy, List<T> upstreams, Predicate<T> isDown) {
        this.policy = policy;
        this.upstreams = List.copyOf(upstreams);
        this.isDown = isDown;
    }

    /**
     * The healthy upstreams in policy order, or all of them shuffled if none is healthy; read-only.
     * With one upstream, or in sequential order with every upstream healthy, the same list every
     * time (nothing allocated per forward).
     */
    List<T> next() {
        int count = upstreams.size();
        if ((count == 1 || policy == ForwardPolicy.SEQUENTIAL) && noneDown()) {
            return upstreams;
        }
        List<T> order = new ArrayList<>(count);
        switch (policy) {
            case SEQUENTIAL -> order.addAll(upstreams);
            case ROUND_ROBIN -> {
                int start = Math.floorMod(roundRobin.getAndIncrement(), count);
                for (int i = 0; i < count; i++) {
                    order.add(upstreams.get((start + i) % count));
                }
            }
            case RANDOM -> {
                order.addAll(upstreams);
                Collections.shuffle(order, ThreadLocalRandom.current());
            }
        }
        order.removeIf(isDown);
        if (order.isEmpty()) {
            order.addAll(upstreams);
            Collections.shuffle(order, ThreadLocalRandom.current());
        }
        return order;
    }

    private boolean noneDown() {
        for (int i = 0; i < upstreams.size(); i++) {
            if (isDown.test(upstreams.get(i))) {
                return false;
            }
        }
        return true;
    }
}
