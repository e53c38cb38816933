package io.nodedns.app;

import com.github.benmanes.caffeine.cache.Ticker;
import io.nodedns.cache.CachePolicy;
import io.nodedns.cache.DisabledZones;
import io.nodedns.cache.PrefetchPolicy;
import io.nodedns.cache.ResponseCache;
import io.nodedns.cache.StalePolicy;
import io.nodedns.config.CacheSettings;
import io.nodedns.config.Corefile;
import io.nodedns.config.ForwardSettings;
import io.nodedns.config.ServerBlock;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.nodedns.config.ServerKey;
import io.nodedns.metrics.CoreDnsMetrics;
import io.nodedns.metrics.MetricsHttpServer;
import io.nodedns.metrics.NodednsMetrics;
import io.nodedns.metrics.SetupErrors;
import io.nodedns.server.BlockResolver;
import io.nodedns.server.DnsServer;
import io.nodedns.server.ErrorLog;
import io.nodedns.server.PendingQueries;
import io.nodedns.server.QueryCounters;
import io.nodedns.server.ZoneRouter;
import io.nodedns.transport.NettyTransport;
import io.nodedns.upstream.ForwardPolicy;
import io.nodedns.upstream.Forwarder;
import io.nodedns.upstream.ForwarderSettings;
import io.nodedns.upstream.TransportMode;
import io.nodedns.wire.WireNames;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A running nodedns: the runtime objects built from a {@link Corefile}, in start
 * and stop order. The one place that knows every package.
 */
public final class Daemon implements AutoCloseable {
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(Daemon.class.getName());
    /** How long stop() waits for queries already read to be answered (the forward deadline, plus slack). */
    static final Duration DRAIN = Duration.ofSeconds(5);

    private final NettyTransport transport;
    private final QueryCounters counters = new QueryCounters();
    private final PendingQueries pending = new PendingQueries();
    private final List<Forwarder> forwarders = new ArrayList<>();
    private final DnsServer server;
    /** The distinct {@code prometheus} addresses of the Corefile, in file order. */
    private final List<InetSocketAddress> prometheusAddresses;
    private final SetupErrors setupErrors = new SetupErrors();
    private PrometheusMeterRegistry registry;
    /** Held so what its meters read stays reachable (Micrometer holds it weakly). */
    private CoreDnsMetrics coreDnsMetrics;
    private NodednsMetrics nodednsMetrics;
    private MetricsHttpServer metricsServer;
    private MetricsHttpServer setupMetricsServer;
    private boolean stopped;

    private Daemon(Corefile corefile, NettyTransport transport) {
        this.transport = transport;
        this.prometheusAddresses = corefile.blocks().stream().flatMap(b -> b.prometheus().stream()).distinct()
                .collect(Collectors.toList());
        ErrorLog errorLog = new ErrorLog(System::nanoTime);
        Map<InetSocketAddress, List<ZoneRouter.Route>> routes = new LinkedHashMap<>();
        for (ServerBlock block : corefile.blocks()) {
            BlockResolver resolver = resolverFor(block, errorLog);
            for (ServerKey key : block.keys()) {
                byte[] zone = WireNames.toWire(key.zone());
                for (InetSocketAddress address : listenAddresses(block, key.port())) {
                    routes.computeIfAbsent(address, a -> new ArrayList<>()).add(new ZoneRouter.Route(zone, resolver));
                }
            }
        }
        List<DnsServer.Listener> listeners = new ArrayList<>();
        routes.forEach((address, list) -> listeners.add(new DnsServer.Listener(address, ZoneRouter.of(list))));
        this.server = new DnsServer(transport, listeners, DnsServer.Limits.defaults(), counters, pending);
    }

    /**
     * Builds and starts a daemon for {@code corefile}: binds every listener. On
     * failure everything built so far is closed and the exception names the cause.
     */
    public static Daemon start(Corefile corefile, NettyTransport transport) throws IOException {
        return start(corefile, transport, null);
    }

    /**
     * {@link #start(Corefile, NettyTransport)}, also serving node-cache's
     * {@code coredns_nodecache_setup_errors_total} on {@code setupMetricsAddress}
     * ({@code -metrics-listen-address}) unless it is null.
     */
    public static Daemon start(Corefile corefile, NettyTransport transport, InetSocketAddress setupMetricsAddress)
            throws IOException {
        Daemon daemon = new Daemon(corefile, transport);
        try {
            daemon.server.start();
            daemon.startMetrics(setupMetricsAddress);
        } catch (IOException | RuntimeException e) {
            daemon.closeMetrics();
            try {
                daemon.server.stop(Duration.ZERO);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
            daemon.closeForwarders();
            throw e;
        }
        return daemon;
    }

    /**
     * Registers the metrics and serves them on the {@code prometheus} addresses, once the
     * listeners are bound (their ports are in the labels). Without a {@code prometheus} directive
     * nothing is registered and request durations are not measured, as in CoreDNS.
     */
    private void startMetrics(InetSocketAddress setupMetricsAddress) throws IOException {
        if (!prometheusAddresses.isEmpty()) {
            registry = NodednsMetrics.newRegistry();
            coreDnsMetrics = new CoreDnsMetrics(registry, server, forwarders, System::nanoTime);
            nodednsMetrics = new NodednsMetrics(registry, Main.version(), counters, server, forwarders);
            metricsServer = MetricsHttpServer.start(registry, prometheusAddresses);
        }
        if (setupMetricsAddress != null) {
            PrometheusMeterRegistry setupRegistry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            setupErrors.bindTo(setupRegistry);
            try {
                setupMetricsServer = MetricsHttpServer.start(setupRegistry, List.of(setupMetricsAddress));
            } catch (IOException e) {
                // node-cache logs this and keeps serving DNS: the setup metric is not worth an outage.
                LOG.warning(e.getMessage() + "; coredns_nodecache_setup_errors_total is not served");
                setupRegistry.close();
            }
        }
    }

    private void closeMetrics() {
        if (metricsServer != null) {
            metricsServer.close();
        }
        if (setupMetricsServer != null) {
            setupMetricsServer.close();
        }
        if (nodednsMetrics != null) {
            nodednsMetrics.close();
        }
        if (registry != null) {
            registry.close();
        }
    }

    private BlockResolver resolverFor(ServerBlock block, ErrorLog errorLog) {
        String name = block.keys().stream().map(k -> k.zone() + ":" + k.port()).collect(Collectors.joining(" "));
        ResponseCache cache = block.cache().map(c -> new ResponseCache(policy(c), Ticker.systemTicker())).orElse(null);
        Forwarder forwarder = null;
        byte[] from = null;
        if (block.forward().isPresent()) {
            ForwardSettings f = block.forward().get();
            forwarder = new Forwarder(forwarderSettings(f), transport, System::nanoTime);
            forwarders.add(forwarder);
            from = WireNames.toWire(f.from());
        }
        byte[][] cacheZones = block.cache().map(c -> cacheZones(block, c)).orElse(null);
        return new BlockResolver(name, cache, cacheZones, from, forwarder == null ? null : forwarder::forward,
                counters, pending, block.errors() ? errorLog : null, block.log());
    }

    /**
     * The zones of {@code cache [TTL] ZONES...} in wire form, or null when they
     * cover every zone of the block (the usual case: no filtering per query).
     */
    static byte[][] cacheZones(ServerBlock block, CacheSettings cache) {
        List<byte[]> zones = cache.zones().stream().map(WireNames::toWire).collect(Collectors.toList());
        boolean coversBlock = block.keys().stream().allMatch(k -> zones.stream().anyMatch(
                z -> io.nodedns.wire.QuestionKey.of(WireNames.toWire(k.zone()), 0, 0, false, false).isInZone(z)));
        return coversBlock ? null : zones.toArray(new byte[0][]);
    }

    static CachePolicy policy(CacheSettings c) {
        CacheSettings.Prefetch prefetch = c.prefetch();
        CacheSettings.ServeStale stale = c.serveStale();
        return new CachePolicy(c.successCapacity(), c.successMaxTtl().toSeconds(), c.successMinTtl().toSeconds(),
                c.denialCapacity(), c.denialMaxTtl().toSeconds(), c.denialMinTtl().toSeconds(),
                c.servfailTtl().toSeconds(),
                new PrefetchPolicy(prefetch.amount(), prefetch.duration().toNanos(), prefetch.percentage()),
                new StalePolicy(stale.duration().toNanos(), StalePolicy.Refresh.valueOf(stale.refreshMode().name())),
                new DisabledZones(c.successDisabledZones(), c.denialDisabledZones()));
    }

    static ForwarderSettings forwarderSettings(ForwardSettings f) {
        TransportMode mode = f.forceTcp() ? TransportMode.FORCE_TCP
                : f.preferUdp() ? TransportMode.PREFER_UDP : TransportMode.SAME_AS_CLIENT;
        return new ForwarderSettings(f.from(), f.to(), mode, f.expire(), f.maxFails(), f.healthCheck(),
                ForwardPolicy.valueOf(f.policy().name()), f.maxConcurrent(), ForwarderSettings.DEFAULT_TRY_TIMEOUT,
                ForwarderSettings.DEFAULT_DEADLINE);
    }

    /** The block's bind addresses on {@code port}, or the wildcard (all addresses, dual-stack). */
    private static List<InetSocketAddress> listenAddresses(ServerBlock block, int port) {
        if (block.bind().isEmpty()) {
            return List.of(new InetSocketAddress(port));
        }
        List<InetSocketAddress> out = new ArrayList<>();
        for (InetAddress ip : block.bind()) {
            out.add(new InetSocketAddress(ip, port));
        }
        return out;
    }

    public List<InetSocketAddress> listeners() {
        return server.boundAddresses();
    }

    /** Where {@code /metrics} is served (ports resolved), or empty without a {@code prometheus} directive. */
    public List<InetSocketAddress> metricsAddresses() {
        return metricsServer == null ? List.of() : metricsServer.boundAddresses();
    }

    /** Where {@code coredns_nodecache_setup_errors_total} is served, or empty. */
    public List<InetSocketAddress> setupMetricsAddresses() {
        return setupMetricsServer == null ? List.of() : setupMetricsServer.boundAddresses();
    }

    /** node-cache's setup error counts, for whatever performs node setup. */
    public SetupErrors setupErrors() {
        return setupErrors;
    }

    /** A one-line summary of listeners and upstreams, for the start log line. */
    public String describe() {
        String listen = listeners().stream().map(a -> "udp+tcp " + a.getAddress().getHostAddress() + ":" + a.getPort())
                .collect(Collectors.joining(", "));
        String upstreams = forwarders.stream()
                .map(f -> f.name() + " -> " + f.upstreams().stream()
                        .map(a -> a.getAddress().getHostAddress() + ":" + a.getPort())
                        .collect(Collectors.joining(" ")))
                .collect(Collectors.joining("; "));
        return "listening on " + listen + "; upstreams " + (upstreams.isEmpty() ? "none" : upstreams)
                + "; transport " + (transport.isEpoll() ? "epoll" : "nio") + " x" + transport.threads()
                + metricsAddresses().stream().map(a -> "; metrics on http://" + a.getAddress().getHostAddress() + ":"
                        + a.getPort() + "/metrics").collect(Collectors.joining());
    }

    /**
     * Stops in order: listeners stop taking queries, queries already read are
     * answered (up to {@link #DRAIN}), upstream connections close. Idempotent.
     */
    public synchronized void stop() throws InterruptedException {
        if (stopped) {
            return;
        }
        stopped = true;
        server.stop(DRAIN);
        closeForwarders();
        closeMetrics();
    }

    private void closeForwarders() {
        for (Forwarder f : forwarders) {
            f.close();
        }
    }

    @Override
    public void close() {
        try {
            stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
