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
    private final ZoneMetrics dropped;

    private ZoneRouter(List<Route> routes, ZoneRouter previous) {
        List<Route> sorted = new ArrayList<>(routes);
        sorted.sort(Comparator.comparingInt((Route r) -> r.zoneWire.length).reversed());
        zones = new byte[sorted.size()][];
        resolvers = new BlockResolver[sorted.size()];
        metrics = new ZoneMetrics[sorted.size()];
        for (int i = 0; i < sorted.size(); i++) {
            zones[i] = sorted.get(i).zoneWire;
            resolvers[i] = sorted.get(i).resolver;
            ZoneMetrics kept = previous == null ? null : previous.metricsOf(zones[i], resolvers[i]);
            metrics[i] = kept != null ? kept
                    : new ZoneMetrics(WireNames.toText(zones[i], 0, zones[i].length), resolvers[i]);
        }
        dropped = previous != null ? previous.dropped : new ZoneMetrics(ZoneMetrics.DROPPED, null);
    }

    /** A zone (lower-case wire name) served by a block. */
    public record Route(byte[] zoneWire, BlockResolver resolver) {}

    public static ZoneRouter of(List<Route> routes) {
        return new ZoneRouter(routes, null);
    }

    /**
     * A router for {@code routes} that goes on counting in {@code previous}'s counters where a
     * zone still routes to the same block, so a reload that keeps a block does not reset its
     * series (a new or changed block starts from zero, as a new series).
     */
    public static ZoneRouter of(List<Route> routes, ZoneRouter previous) {
        return new ZoneRouter(routes, previous);
    }

    private ZoneMetrics metricsOf(byte[] zone, BlockResolver resolver) {
        for (int i = 0; i < zones.length; i++) {
            if (resolvers[i] == resolver && java.util.Arrays.equals(zones[i], zone)) {
                return metrics[i];
            }
        }
        return null;
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
