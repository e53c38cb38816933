package io.nodedns.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.nodedns.cache.ResponseCache;
import io.nodedns.config.HostPorts;
import io.nodedns.server.BlockResolver;
import io.nodedns.server.DnsServer;
import io.nodedns.server.ZoneMetrics;
import io.nodedns.upstream.Forwarder;
import io.nodedns.upstream.UpstreamStats;
import io.prometheus.metrics.model.registry.MultiCollector;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

/**
 * Registers the CoreDNS series ({@code coredns_dns_*}, {@code coredns_cache_*},
 * {@code coredns_proxy_*}, {@code coredns_forward_*}) over the counters the server and upstream
 * packages keep, read at scrape time: the per-query series through {@link DnsSeriesCollector}, the
 * others as {@link FunctionCounter}s and {@link Gauge}s that sum
 * {@link java.util.concurrent.atomic.LongAdder}s. Queries never call Micrometer.
 *
 * <p>Names, labels and buckets follow CoreDNS (plugin/metrics/vars, plugin/cache/metrics.go,
 * plugin/pkg/proxy/metrics.go, plugin/forward/metrics.go). The Prometheus registry appends
 * {@code _total} to counters, so the counter names given here lack it.
 */
public final class CoreDnsMetrics implements AutoCloseable {
    /** CoreDNS labels everything with its view; nodedns has no views ({@code view=""}, as CoreDNS without). */
    static final String NO_VIEW = "";
    /** The {@code proxy_name} label of forward's proxies. */
    static final String PROXY_NAME = "forward";

    /**
     * What the meters read. Micrometer holds a function meter's object weakly; the arrays and lists
     * made here have no other holder, so this instance (kept by the daemon) holds them.
     */
    private final List<Object> referents = new ArrayList<>();
    private final PrometheusMeterRegistry registry;
    private final List<Meter> meters = new ArrayList<>();
    private final List<MultiCollector> collectors = new ArrayList<>();

    /**
     * Registers everything: see {@link #bindServer} and {@link #bindForwarders}. Keep the instance
     * for as long as the registry is scraped.
     */
    public CoreDnsMetrics(PrometheusMeterRegistry registry, DnsServer server, List<Forwarder> forwarders,
                          LongSupplier nanoClock) {
        this.registry = registry;
        bindServer(registry, server, nanoClock);
        bindForwarders(registry, forwarders);
    }

    private void register(PrometheusMeterRegistry registry, MultiCollector collector) {
        registry.getPrometheusRegistry().register(collector);
        collectors.add(collector);
    }

    private void track(Meter meter) {
        meters.add(meter);
    }

    /**
     * Removes every series registered here, so that a reloaded configuration can register its own
     * (a block kept by the reload registers the same counters again: its series go on).
     */
    @Override
    public void close() {
        for (MultiCollector collector : collectors) {
            registry.getPrometheusRegistry().unregister(collector);
        }
        for (Meter meter : meters) {
            registry.remove(meter);
        }
        collectors.clear();
        meters.clear();
    }

    private <T> T keep(T referent) {
        referents.add(referent);
        return referent;
    }

    /**
     * CoreDNS's {@code server} label: {@code dns://HOST:PORT}, with an empty HOST for a wildcard
     * listener (as CoreDNS prints a block without {@code bind}) and IPv6 in brackets.
     */
    static String serverLabel(InetSocketAddress bound) {
        if (bound.getAddress() == null || bound.getAddress().isAnyLocalAddress()) {
            return "dns://:" + bound.getPort();
        }
        String host = bound.getAddress().getHostAddress();
        if (bound.getAddress() instanceof Inet6Address) {
            int scope = host.indexOf('%');
            host = "[" + (scope < 0 ? host : host.substring(0, scope)) + "]";
        }
        return "dns://" + host + ":" + bound.getPort();
    }

    /**
     * Registers the DNS, cache and duration series of every listener of a started {@code server}
     * and starts measuring request durations.
     *
     * @param nanoClock what request durations are measured with
     */
    private void bindServer(PrometheusMeterRegistry registry, DnsServer server, LongSupplier nanoClock) {
        List<DnsServer.Listener> listeners = server.listeners();
        List<InetSocketAddress> bound = server.boundAddresses();
        List<DnsSeriesCollector.Source> sources = new ArrayList<>();
        for (int i = 0; i < listeners.size(); i++) {
            String serverLabel = serverLabel(bound.get(i));
            Map<BlockResolver, List<ZoneMetrics>> zonesByBlock = new LinkedHashMap<>();
            for (ZoneMetrics zone : listeners.get(i).router().zoneMetrics()) {
                sources.add(new DnsSeriesCollector.Source(serverLabel, zone));
                zone.measureDurations(nanoClock);
                if (zone.resolver() != null && zone.resolver().cache() != null) {
                    zonesByBlock.computeIfAbsent(zone.resolver(), b -> new ArrayList<>()).add(zone);
                }
            }
            zonesByBlock.forEach((block, zones) -> bindCache(registry, serverLabel, block, zones));
        }
        register(registry, new DnsSeriesCollector(sources));
    }

    /** The cache series of one block on one listener: the sums over the block's zones there. */
    private void bindCache(MeterRegistry registry, String server, BlockResolver block, List<ZoneMetrics> zones) {
        ResponseCache cache = block.cache();
        // CoreDNS labels cache series with the cache's zones, comma-separated.
        String zonesLabel = String.join(",", zones.stream().map(ZoneMetrics::zone).toList());
        Tags base = Tags.of("server", server, "zones", zonesLabel, "view", NO_VIEW);
        ZoneMetrics[] parts = zones.toArray(new ZoneMetrics[0]);
        counter(registry, "coredns_cache_hits", "The count of cache hits.", base.and("type", "success"), parts,
                ZoneMetrics::successHits);
        counter(registry, "coredns_cache_hits", "The count of cache hits.", base.and("type", "denial"), parts,
                ZoneMetrics::denialHits);
        counter(registry, "coredns_cache_misses",
                "The count of cache misses. Deprecated, derive misses from cache hits/requests counters.", base, parts,
                ZoneMetrics::cacheMisses);
        counter(registry, "coredns_cache_requests", "The count of cache requests.", base, parts,
                z -> z.successHits() + z.denialHits() + z.cacheMisses());
        counter(registry, "coredns_cache_prefetch", "The number of times the cache has prefetched a cached item.",
                base, parts, ZoneMetrics::prefetches);
        counter(registry, "coredns_cache_served_stale", "The number of requests served from stale cache entries.",
                base, parts, ZoneMetrics::servedStale);
        track(Gauge.builder("coredns_cache_entries", keep(cache), ResponseCache::successSize)
                .description("The number of elements in the cache.")
                .tags(base.and("type", "success")).register(registry));
        track(Gauge.builder("coredns_cache_entries", cache, ResponseCache::denialSize)
                .description("The number of elements in the cache.")
                .tags(base.and("type", "denial")).register(registry));
        track(FunctionCounter.builder("coredns_cache_evictions", cache, ResponseCache::successEvictions)
                .description("The count of cache evictions.")
                .tags(base.and("type", "success")).register(registry));
        track(FunctionCounter.builder("coredns_cache_evictions", cache, ResponseCache::denialEvictions)
                .description("The count of cache evictions.")
                .tags(base.and("type", "denial")).register(registry));
    }

    private void counter(MeterRegistry registry, String name, String help, Tags tags, ZoneMetrics[] parts,
                         ToLongFunction<ZoneMetrics> value) {
        ToDoubleFunction<ZoneMetrics[]> sum = zs -> {
            long total = 0;
            for (ZoneMetrics z : zs) {
                total += value.applyAsLong(z);
            }
            return total;
        };
        track(FunctionCounter.builder(name, keep(parts), sum).description(help).tags(tags)
                .register(registry));
    }

    /**
     * Registers the forward and proxy series. CoreDNS labels them by upstream only ({@code to}), so
     * an upstream shared by several {@code forward} directives is one series: the sum over them.
     */
    private void bindForwarders(PrometheusMeterRegistry registry, List<Forwarder> forwarders) {
        Map<String, List<UpstreamStats>> byTo = upstreamsByTo(forwarders);
        register(registry, new ProxySeriesCollector(byTo));
        for (Map.Entry<String, List<UpstreamStats>> e : byTo.entrySet()) {
            track(FunctionCounter.builder("coredns_proxy_healthcheck_failures", keep(e.getValue()),
                            us -> us.stream().mapToLong(UpstreamStats::healthCheckFailures).sum())
                    .description("Counter of the number of failed healthchecks.")
                    .tags("proxy_name", PROXY_NAME, "to", e.getKey()).register(registry));
            for (boolean tcp : new boolean[] {false, true}) {
                String proto = tcp ? "tcp" : "udp";
                track(FunctionCounter.builder("coredns_proxy_conn_cache_hits", keep(e.getValue()),
                                us -> us.stream().mapToLong(u -> u.connectionCacheHits(tcp)).sum())
                        .description("Counter of connection cache hits per upstream and protocol.")
                        .tags("proxy_name", PROXY_NAME, "to", e.getKey(), "proto", proto).register(registry));
                track(FunctionCounter.builder("coredns_proxy_conn_cache_misses", keep(e.getValue()),
                                us -> us.stream().mapToLong(u -> u.connectionCacheMisses(tcp)).sum())
                        .description("Counter of connection cache misses per upstream and protocol.")
                        .tags("proxy_name", PROXY_NAME, "to", e.getKey(), "proto", proto).register(registry));
            }
        }
        // CoreDNS keeps one unlabelled counter for all forward plugins.
        track(FunctionCounter.builder("coredns_forward_max_concurrent_rejects", keep(List.copyOf(forwarders)),
                        fs -> fs.stream().mapToLong(f -> f.stats().concurrencyRejects()).sum())
                .description("Counter of the number of queries rejected because the concurrent queries were at maximum.")
                .register(registry));
        track(FunctionCounter.builder("nodedns_forward_overload_rejects", keep(List.copyOf(forwarders)),
                        fs -> fs.stream().mapToLong(f -> f.stats().overloadRejects()).sum())
                .description("Forwards failed at once (SERVFAIL or stale to the client) because a forward block had "
                        + "its bound of forwards in flight without max_concurrent.")
                .register(registry));
    }

    /** Every upstream of {@code forwarders} by its {@code to} label, in configuration order. */
    static Map<String, List<UpstreamStats>> upstreamsByTo(List<Forwarder> forwarders) {
        Map<String, List<UpstreamStats>> byTo = new LinkedHashMap<>();
        for (Forwarder forwarder : forwarders) {
            for (UpstreamStats upstream : forwarder.stats().upstreams()) {
                byTo.computeIfAbsent(HostPorts.format(upstream.address()), k -> new ArrayList<>()).add(upstream);
            }
        }
        return byTo;
    }

}
