package io.nodedns.server;

import io.nodedns.wire.QuestionKey;
import io.nodedns.wire.WireNames;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Picks the server block for a query on one listener: the block whose zone is
 * the longest suffix of the query name, as CoreDNS does. Immutable; routing
 * allocates nothing (a linear scan; listeners have a handful of zones).
 */
public final class ZoneRouter {
    private final byte[][] zones;
    private final BlockResolver[] resolvers;
    private final ZoneMetrics[] metrics;
    private final ZoneMetrics dropped = new ZoneMetrics(ZoneMetrics.DROPPED, null);

    private ZoneRouter(List<Route> routes) {
        List<Route> sorted = new ArrayList<>(routes);
        sorted.sort(Comparator.comparingInt((Route r) -> r.zoneWire.length).reversed());
        zones = new byte[sorted.size()][];
        resolvers = new BlockResolver[sorted.size()];
        metrics = new ZoneMetrics[sorted.size()];
        for (int i = 0; i < sorted.size(); i++) {
            zones[i] = sorted.get(i).zoneWire;
            resolvers[i] = sorted.get(i).resolver;
            metrics[i] = new ZoneMetrics(WireNames.toText(zones[i], 0, zones[i].length), resolvers[i]);
        }
    }

    /** A zone (lower-case wire name) served by a block. */
    public record Route(byte[] zoneWire, BlockResolver resolver) {}

    public static ZoneRouter of(List<Route> routes) {
        return new ZoneRouter(routes);
    }

    /** The block for {@code key}'s name, or null if none of this listener's zones contains it. */
    BlockResolver route(QuestionKey key) {
        int i = routeIndex(key);
        return i < 0 ? null : resolvers[i];
    }

    /** The route index for {@code key}'s name, or -1 if none of this listener's zones contains it. */
    int routeIndex(QuestionKey key) {
        for (int i = 0; i < zones.length; i++) {
            if (key.isInZone(zones[i])) {
                return i;
            }
        }
        return -1;
    }

    BlockResolver resolver(int routeIndex) {
        return resolvers[routeIndex];
    }

    ZoneMetrics metrics(int routeIndex) {
        return metrics[routeIndex];
    }

    /** What queries no zone takes are counted in (zone label {@value ZoneMetrics#DROPPED}). */
    ZoneMetrics dropped() {
        return dropped;
    }

    /** The counters of every zone of this listener, then those of {@value ZoneMetrics#DROPPED}. */
    public List<ZoneMetrics> zoneMetrics() {
        List<ZoneMetrics> out = new ArrayList<>(List.of(metrics));
        out.add(dropped);
        return out;
    }
}
