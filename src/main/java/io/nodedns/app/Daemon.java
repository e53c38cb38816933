package io.nodedns.app;

import io.nodedns.cache.PredecessorMerge;
import io.nodedns.cache.WarmCacheCounters;
import io.nodedns.cache.WarmCacheStore;
import java.nio.file.Path;
import java.time.Clock;

import com.github.benmanes.caffeine.cache.Ticker;
import io.nodedns.cache.CachePolicy;
import io.nodedns.cache.DisabledZones;
import io.nodedns.cache.PrefetchPolicy;
import io.nodedns.cache.ResponseCache;
import io.nodedns.cache.StalePolicy;
import io.nodedns.config.AutopathSettings;
import io.nodedns.config.CacheSettings;
import io.nodedns.config.Corefile;
import io.nodedns.config.FilterAaaaSettings;
import io.nodedns.config.ForwardSettings;
import io.nodedns.config.HostPorts;
import io.nodedns.config.ProcessSettings;
import io.nodedns.config.ServerBlock;
import io.nodedns.config.ServerKey;
import io.nodedns.loop.LoopDetector;
import io.nodedns.metrics.HealthState;
import io.nodedns.metrics.ReloadOutcomes;
import io.nodedns.metrics.SetupErrors;
import io.nodedns.server.AaaaFilter;
import io.nodedns.server.AutopathRules;
import io.nodedns.server.BlockResolver;
import io.nodedns.server.DnsServer;
import io.nodedns.server.ErrorLog;
import io.nodedns.server.PendingQueries;
import io.nodedns.server.QueryCounters;
import io.nodedns.server.UpstreamClient;
import io.nodedns.server.ZoneRouter;
import io.nodedns.transport.NettyTransport;
import io.nodedns.upstream.ForwardPolicy;
import io.nodedns.upstream.Forwarder;
import io.nodedns.upstream.ForwarderSettings;
import io.nodedns.upstream.TransportMode;
import io.nodedns.wire.QuestionKey;
import io.nodedns.wire.WireNames;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * A running nodedns: the runtime objects built from a {@link Corefile}, in start
 * and stop order, and their replacement when the configuration is reloaded. The one place that
 * knows every package.
 */
public final class Daemon implements AutoCloseable {
    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(Daemon.class.getName());
    /** How long stop() waits for queries already read to be answered (the forward deadline, plus slack). */
    static final Duration DRAIN = Duration.ofSeconds(5);
    /** The readiness condition "every DNS listener is bound", as {@code /ready} names it while false. */
    static final String LISTENERS_READY = "dns";

    private final NettyTransport transport;
    private final QueryCounters counters = new QueryCounters();
    private final PendingQueries pending = new PendingQueries();
    private final ErrorLog errorLog = new ErrorLog(System::nanoTime);
    private DnsServer server;
    /** Forwarders of resolvers a reload dropped, closed once their queries are answered. */
    private final Set<Forwarder> retiring = ConcurrentHashMap.newKeySet();
    private final ReloadOutcomes reloads = new ReloadOutcomes();
    /** What serves now; replaced whole by {@link #reconfigure}. */
    private Configuration current;
    /** Metrics and the HTTP endpoints, following {@link #current}. */
    private final Telemetry telemetry;
    private boolean stopped;
    /** Told CoreDNS's log line when a block's loop probe comes back; the caller makes it fatal. */
    private final Consumer<String> onLoop;
    /** The loop detector in front of each resolver built for a block with {@code loop} and {@code forward}. */
    private final Map<BlockResolver, LoopDetector> loopDetectors = new LinkedHashMap<>();
    private final SecureRandom probeNames = new SecureRandom();
    /** Warm restarts ({@code -cache-dir}); null when off. */
    private WarmCacheStore warmStore;
    private final WarmCacheCounters warmCounters = new WarmCacheCounters();
    /** Waits for the file of the pod this one replaces; null when off or once over. Guarded by this. */
    private PredecessorMerge predecessorMerge;
    /** Ends the polling of {@link #predecessorMerge}; guarded by this. */
    private Runnable stopPredecessorPolling = () -> { };

    /**
     * Runs a task every {@code period} until the returned action is run. How a daemon polls for its
     * predecessor's cache file; tests pass one they drive by hand, so that no test sleeps.
     */
    @FunctionalInterface
    public interface Repeater {
        Runnable every(Duration period, Runnable task);
    }

    /** The {@link Repeater} of a running nodedns: one daemon thread, ended with the polling. */
    public static final Repeater OWN_THREAD = (period, task) -> {
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "nodedns-warm-merge");
            t.setDaemon(true);
            return t;
        });
        executor.scheduleWithFixedDelay(task, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
        return executor::shutdownNow;
    };

    /**
     * The runtime objects of one Corefile.
     *
     * @param resolvers  one per server block, by what it is made of, so a reload can keep those
     *                   that did not change (with their caches, upstream connections and counters)
     * @param forwarders the forwarder each resolver owns, if it has one
     * @param listeners  the addresses to listen on and what routes their queries
     */
    private record Configuration(Corefile corefile, Map<ResolverSpec, BlockResolver> resolvers,
                                 Map<BlockResolver, Forwarder> forwarders, List<DnsServer.Listener> listeners) {
        List<Forwarder> forwarderList() {
            return new ArrayList<>(forwarders.values());
        }
    }

    /**
     * What a {@link BlockResolver} is made of: two blocks equal in these answer alike, so a reload
     * keeps the old resolver rather than building an empty one. What does not reach the resolver
     * (bind, prometheus, health, reload...) is left out on purpose: changing it keeps the cache.
     */
    private record ResolverSpec(List<ServerKey> keys, Optional<CacheSettings> cache,
                                Optional<ForwardSettings> forward, boolean errors, boolean log, boolean loop,
                                Optional<AutopathSettings> autopath, Optional<FilterAaaaSettings> filterAaaa) {
        static ResolverSpec of(ServerBlock block) {
            return new ResolverSpec(block.keys(), block.cache(), block.forward(), block.errors(), block.log(),
                    block.loop(), block.autopath(), block.filterAaaa());
        }
    }

    private Daemon(NettyTransport transport, SetupErrors setupErrors, Consumer<String> onLoop) {
        this.transport = transport;
        this.telemetry = new Telemetry(counters, reloads, setupErrors, warmCounters);
        this.onLoop = onLoop;
        telemetry.health().notReady(LISTENERS_READY);
    }

    /**
     * Builds and starts a daemon for {@code corefile}: binds every listener. On failure everything
     * built so far is closed and the exception names the cause.
     */
    public static Daemon start(Corefile corefile, NettyTransport transport) throws IOException {
        return start(corefile, transport, null, new SetupErrors(), LOG::severe);
    }

    /**
     * {@link #start(Corefile, NettyTransport)}, also serving node-cache's
     * {@code coredns_nodecache_setup_errors_total} on {@code setupMetricsAddress}
     * ({@code -metrics-listen-address}) unless it is null, counting node setup errors in
     * {@code setupErrors} (which may already hold some: a kube-dns ConfigMap read before the start),
     * and telling {@code onLoop} CoreDNS's {@code Loop (A -> B) detected ...} line when a block with
     * {@code loop} finds a forwarding loop (at start, or for a block a reload adds). It is called at
     * most once per block, on an event loop: it must not block, nor stop the daemon there. CoreDNS
     * exits (log.Fatalf), so the caller should stop the daemon and exit 1.
     */
    public static Daemon start(Corefile corefile, NettyTransport transport, InetSocketAddress setupMetricsAddress,
                               SetupErrors setupErrors, Consumer<String> onLoop) throws IOException {
        return start(corefile, transport, setupMetricsAddress, setupErrors, onLoop, null, Clock.systemUTC());
    }

    /**
     * {@link #start(Corefile, NettyTransport, InetSocketAddress, SetupErrors, Consumer)} with warm
     * restarts ({@code -cache-dir}): unless {@code cacheDir} is null, the caches saved there by the
     * last stop are loaded (what is still fresh or stale-servable) before the listeners answer, and
     * {@link #stop()} saves them there after the drain. {@code wallClock} dates the file.
     */
    public static Daemon start(Corefile corefile, NettyTransport transport, InetSocketAddress setupMetricsAddress,
                               SetupErrors setupErrors, Consumer<String> onLoop, Path cacheDir, Clock wallClock)
            throws IOException {
        return start(corefile, transport, setupMetricsAddress, setupErrors, onLoop, cacheDir, wallClock, OWN_THREAD);
    }

    /**
     * {@link #start(Corefile, NettyTransport, InetSocketAddress, SetupErrors, Consumer, Path, Clock)}
     * also merging the cache of the pod this one replaces in a surge rollout: with {@code cacheDir},
     * {@code repeater} polls the directory every {@link PredecessorMerge#POLL_INTERVAL} for a file
     * saved after this start, for at most {@link PredecessorMerge#WINDOW}, and merges it once.
     */
    static Daemon start(Corefile corefile, NettyTransport transport, InetSocketAddress setupMetricsAddress,
                        SetupErrors setupErrors, Consumer<String> onLoop, Path cacheDir, Clock wallClock,
                        Repeater repeater) throws IOException {
        Daemon daemon = new Daemon(transport, setupErrors, onLoop);
        daemon.warmStore = cacheDir == null ? null : new WarmCacheStore(cacheDir, wallClock, daemon.warmCounters);
        // Read before the load: a file saved from here on is the predecessor's, not the one loaded.
        long startedAtMillis = wallClock.millis();
        daemon.current = daemon.build(corefile, null);
        if (daemon.warmStore != null) {
            daemon.warmStore.load(daemon.warmBlocks());
        }
        daemon.server = new DnsServer(transport, daemon.current.listeners(), DnsServer.Limits.defaults(),
                daemon.counters, daemon.pending);
        try {
            daemon.server.start();
            daemon.telemetry.health().ready(LISTENERS_READY);
            daemon.telemetry.startSetupMetrics(setupMetricsAddress);
            daemon.telemetry.apply(corefile, daemon.server, daemon.current.forwarderList());
            daemon.syncLoopDetectors();
            if (daemon.warmStore != null) {
                synchronized (daemon) {
                    daemon.predecessorMerge = new PredecessorMerge(daemon.warmStore, wallClock, startedAtMillis);
                    daemon.stopPredecessorPolling = repeater.every(PredecessorMerge.POLL_INTERVAL,
                            daemon::pollPredecessor);
                }
            }
        } catch (IOException | RuntimeException e) {
            daemon.telemetry.close();
            try {
                daemon.server.stop(Duration.ZERO);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
            daemon.current.forwarders().values().forEach(Forwarder::close);
            throw e;
        }
        return daemon;
    }

    /**
     * Builds the runtime objects of {@code corefile}, taking over from {@code previous} (null at
     * start) every resolver whose block did not change. On failure, closes the forwarders it created.
     */
    private Configuration build(Corefile corefile, Configuration previous) throws IOException {
        Map<ResolverSpec, BlockResolver> resolvers = new LinkedHashMap<>();
        Map<BlockResolver, Forwarder> forwarders = new LinkedHashMap<>();
        Map<BlockResolver, Forwarder> created = new LinkedHashMap<>();
        try {
            Map<InetSocketAddress, List<ZoneRouter.Route>> routes = new LinkedHashMap<>();
            for (ServerBlock block : corefile.blocks()) {
                ResolverSpec spec = ResolverSpec.of(block);
                BlockResolver resolver = previous == null ? null : previous.resolvers().get(spec);
                if (resolver != null) {
                    Forwarder kept = previous.forwarders().get(resolver);
                    if (kept != null) {
                        forwarders.put(resolver, kept);
                    }
                } else {
                    resolver = resolverFor(block, created);
                    if (created.containsKey(resolver)) {
                        forwarders.put(resolver, created.get(resolver));
                    }
                }
                resolvers.put(spec, resolver);
                for (ServerKey key : block.keys()) {
                    byte[] zone = WireNames.toWire(key.zone());
                    for (InetSocketAddress address : listenAddresses(corefile.source(), block, key.port())) {
                        routes.computeIfAbsent(address, a -> new ArrayList<>())
                                .add(new ZoneRouter.Route(zone, resolver));
                    }
                }
            }
            Map<InetSocketAddress, ZoneRouter> previousRouters = new LinkedHashMap<>();
            if (previous != null) {
                for (DnsServer.Listener l : previous.listeners()) {
                    previousRouters.put(l.address(), l.router());
                }
            }
            List<DnsServer.Listener> listeners = new ArrayList<>();
            routes.forEach((address, list) -> listeners.add(
                    new DnsServer.Listener(address, ZoneRouter.of(list, previousRouters.get(address)))));
            return new Configuration(corefile, resolvers, forwarders, listeners);
        } catch (IOException | RuntimeException e) {
            created.values().forEach(Forwarder::close);
            // Forget the loop detectors of the resolvers just made (each has a forwarder); they never started.
            loopDetectors.keySet().removeIf(created::containsKey);
            throw e;
        }
    }

    /**
     * Serves {@code next} from now on without dropping a query: blocks that did not change keep
     * their resolver (cache, in-flight queries, upstream connections, counters); listeners whose
     * address stays keep their sockets; new addresses are bound before anything changes, so if one
     * cannot be (or a {@code bind} interface is missing) this throws and the old configuration
     * serves on untouched. Resolvers that are gone have their forwarders closed after
     * {@link #DRAIN}, once the queries they hold are answered.
     */
    public synchronized void reconfigure(Corefile next) throws IOException {
        if (stopped) {
            throw new IllegalStateException("stopped");
        }
        Configuration previous = current;
        Configuration replacement = build(next, previous);
        try {
            server.reconfigure(replacement.listeners());
        } catch (IOException | RuntimeException e) {
            for (Map.Entry<BlockResolver, Forwarder> f : replacement.forwarders().entrySet()) {
                if (!previous.forwarders().containsKey(f.getKey())) {
                    f.getValue().close();
                }
            }
            syncLoopDetectors();
            throw e;
        }
        current = replacement;
        syncLoopDetectors();
        List<Forwarder> retired = new ArrayList<>();
        for (Map.Entry<BlockResolver, Forwarder> f : previous.forwarders().entrySet()) {
            if (!replacement.forwarders().containsKey(f.getKey())) {
                retired.add(f.getValue());
            }
        }
        if (!retired.isEmpty()) {
            retiring.addAll(retired);
            // Runs on an event loop: it must not wait for the Daemon's lock (a stop holds it).
            transport.group().schedule(() -> {
                retired.forEach(Forwarder::close);
                retiring.removeAll(retired);
            }, DRAIN.toMillis(), TimeUnit.MILLISECONDS);
        }
        try {
            telemetry.apply(next, server, replacement.forwarderList());
        } catch (IOException e) {
            // DNS already serves the new configuration; losing /metrics is not worth undoing that.
            LOG.warning(e.getMessage() + "; metrics are not served");
        }
        long kept = replacement.resolvers().values().stream()
                .filter(r -> previous.resolvers().containsValue(r)).count();
        LOG.info("reloaded " + next.source() + ": " + replacement.resolvers().size() + " server blocks, " + kept
                + " of them unchanged (cache and upstream connections kept); " + describe());
    }

    /** Configuration reload outcomes and the running configuration's hash, for whoever reloads. */
    public ReloadOutcomes reloads() {
        return reloads;
    }

    /** The configuration serving now. */
    public synchronized Corefile corefile() {
        return current.corefile();
    }

    /**
     * A new resolver for {@code block}; its forwarder, if it has one, is recorded in {@code created}.
     */
    private BlockResolver resolverFor(ServerBlock block, Map<BlockResolver, Forwarder> created) {
        ResponseCache cache = block.cache().map(c -> new ResponseCache(policy(c), Ticker.systemTicker())).orElse(null);
        Forwarder forwarder = null;
        byte[] from = null;
        if (block.forward().isPresent()) {
            ForwardSettings f = block.forward().get();
            forwarder = new Forwarder(forwarderSettings(f), transport, System::nanoTime);
            from = WireNames.toWire(f.from());
        }
        byte[][] cacheZones = block.cache().map(c -> cacheZones(block, c)).orElse(null);
        UpstreamClient upstream = forwarder == null ? null : forwarder::forward;
        LoopDetector loop = null;
        if (block.loop() && upstream != null) {
            // The guard sees every miss the block forwards; the prober sends past it, to the forwarder.
            loop = LoopDetector.forBlock(block, upstream, transport.group().next(), probeNames, onLoop).orElse(null);
            if (loop != null) {
                upstream = loop.guard();
            }
        }
        AutopathRules autopath = block.autopath()
                .map(a -> new AutopathRules(a.zones(), a.searchDomains())).orElse(null);
        AaaaFilter aaaaFilter = block.filterAaaa()
                .map(f -> new AaaaFilter(f.zones(), f.except(), f.ttl().toSeconds())).orElse(null);
        BlockResolver resolver = new BlockResolver(block.name(), cache, cacheZones, from,
                upstream, counters, pending, block.errors() ? errorLog : null,
                block.log(), autopath, aaaaFilter);
        if (forwarder != null) {
            created.put(resolver, forwarder);
        }
        if (loop != null) {
            loopDetectors.put(resolver, loop);
        }
        return resolver;
    }

    /**
     * Starts probing for the resolvers serving now that have not (CoreDNS probes OnStartup, once
     * the listeners are up: a loop needs them to bring the probe back), and stops and forgets the
     * detectors of resolvers that no longer serve or never did (a refused reload). A resolver a
     * reload keeps is not probed again.
     */
    private void syncLoopDetectors() {
        Collection<BlockResolver> serving = current.resolvers().values();
        loopDetectors.entrySet().removeIf(e -> {
            if (serving.contains(e.getKey())) {
                e.getValue().start();
                return false;
            }
            e.getValue().stop();
            return true;
        });
    }

    /**
     * The caches of the blocks serving now, as a warm restart saves and loads them: a block is known
     * by its keys, and its cache and forward settings must be the same for entries to carry over
     * (a new TTL cap or upstream makes the old answers wrong to keep).
     */
    private List<WarmCacheStore.Block> warmBlocks() {
        List<WarmCacheStore.Block> blocks = new ArrayList<>();
        current.resolvers().forEach((spec, resolver) -> {
            if (resolver.cache() != null) {
                blocks.add(new WarmCacheStore.Block(resolver.name(),
                        "cache " + spec.cache().map(Object::toString).orElse("") + "; forward "
                                + spec.forward().map(Object::toString).orElse(""), resolver.cache()));
            }
        });
        return blocks;
    }

    /**
     * One poll for the predecessor's cache file ({@link PredecessorMerge}), under the lock so the
     * blocks do not change under the merge; ends the polling when the watch is over or fails.
     */
    private synchronized void pollPredecessor() {
        if (predecessorMerge == null) {
            return;
        }
        boolean over;
        try {
            over = predecessorMerge.poll(this::warmBlocks);
        } catch (RuntimeException | OutOfMemoryError e) {
            LOG.warning("warm restart: merging the predecessor's cache failed, not trying again: " + e);
            over = true;
        }
        if (over) {
            predecessorMerge = null;
            stopPredecessorPolling.run();
        }
    }

    /** What warm restarts did, for metrics and tests. */
    public WarmCacheCounters warmCounters() {
        return warmCounters;
    }

    /**
     * The zones of {@code cache [TTL] ZONES...} in wire form, or null when they
     * cover every zone of the block (the usual case: no filtering per query).
     */
    static byte[][] cacheZones(ServerBlock block, CacheSettings cache) {
        byte[][] zones = cache.zones().stream().map(WireNames::toWire).toArray(byte[][]::new);
        boolean coversBlock = block.keys().stream().allMatch(
                k -> QuestionKey.of(WireNames.toWire(k.zone()), 0, 0, false, false).isInAnyZone(zones));
        return coversBlock ? null : zones;
    }

    static CachePolicy policy(CacheSettings c) {
        CacheSettings.Prefetch prefetch = c.prefetch();
        CacheSettings.ServeStale stale = c.serveStale();
        return new CachePolicy(c.successCapacity(), c.successMaxTtl().toSeconds(), c.successMinTtl().toSeconds(),
                c.denialCapacity(), c.denialMaxTtl().toSeconds(), c.denialMinTtl().toSeconds(),
                c.servfailTtl().toSeconds(),
                new PrefetchPolicy(prefetch.amount(), prefetch.duration().toNanos(), prefetch.percentage()),
                new StalePolicy(stale.duration().toNanos(), StalePolicy.Refresh.valueOf(stale.refreshMode().name()),
                        stale.answerTtl().toSeconds(), stale.nxdomain() == CacheSettings.ServeStale.Nxdomain.KEEP
                                ? StalePolicy.Nxdomain.KEEP_POSITIVE : StalePolicy.Nxdomain.REPLACE),
                new DisabledZones(c.successDisabledZones(), c.denialDisabledZones()));
    }

    static ForwarderSettings forwarderSettings(ForwardSettings f) {
        TransportMode mode = f.forceTcp() ? TransportMode.FORCE_TCP
                : f.preferUdp() ? TransportMode.PREFER_UDP : TransportMode.SAME_AS_CLIENT;
        return new ForwarderSettings(f.from(), f.to(), mode, f.expire(), f.maxFails(), f.healthCheck(),
                ForwardPolicy.valueOf(f.policy().name()), f.maxConcurrent(), ForwarderSettings.DEFAULT_TRY_TIMEOUT,
                ForwarderSettings.DEFAULT_DEADLINE);
    }

    /**
     * The block's bind addresses on {@code port}: its IPs, then the addresses its {@code bind}
     * interfaces hold now; or the wildcard (all addresses, dual-stack) without {@code bind}.
     *
     * @throws IOException naming the Corefile, the block's line and the interface, if a {@code bind}
     *     interface does not exist or holds no address
     */
    private static List<InetSocketAddress> listenAddresses(String source, ServerBlock block, int port)
            throws IOException {
        if (block.bind().isEmpty() && block.bindInterfaces().isEmpty()) {
            return List.of(new InetSocketAddress(port));
        }
        Set<InetAddress> ips = new LinkedHashSet<>(block.bind());
        for (String name : block.bindInterfaces()) {
            try {
                ips.addAll(interfaceAddresses(name));
            } catch (IOException e) {
                throw new IOException(source + ":" + block.line() + ": " + e.getMessage(), e);
            }
        }
        List<InetSocketAddress> out = new ArrayList<>();
        for (InetAddress ip : ips) {
            out.add(new InetSocketAddress(ip, port));
        }
        return out;
    }

    /**
     * The addresses of interface {@code name}, as CoreDNS's bind plugin takes them: every IPv4
     * address, and the IPv6 ones except link-local (setup.go's listIP), IPv4 first.
     */
    static List<InetAddress> interfaceAddresses(String name) throws IOException {
        NetworkInterface nic = NetworkInterface.getByName(name);
        if (nic == null) {
            throw new IOException("bind: interface " + name + " does not exist");
        }
        List<InetAddress> out = new ArrayList<>();
        for (InetAddress a : Collections.list(nic.getInetAddresses())) {
            if (!(a instanceof Inet6Address && a.isLinkLocalAddress())) {
                // Without the interface's scope (%lo), which global addresses do not need.
                out.add(InetAddress.getByAddress(a.getAddress()));
            }
        }
        if (out.isEmpty()) {
            throw new IOException("bind: interface " + name + " has no address");
        }
        out.sort(Comparator.comparing((InetAddress a) -> a instanceof Inet6Address));
        return out;
    }

    /** The DNS addresses bound now (ports resolved), in configuration order. */
    public List<InetSocketAddress> listeners() {
        return server.boundAddresses();
    }

    /** Where {@code /metrics} is served (ports resolved), or empty without a {@code prometheus} directive. */
    public List<InetSocketAddress> metricsAddresses() {
        return endpointAddresses("/metrics");
    }

    /** Where {@code path} ({@code /metrics}, {@code /health}, {@code /ready}) is served now, ports resolved. */
    public synchronized List<InetSocketAddress> endpointAddresses(String path) {
        return telemetry.addresses(path);
    }

    /** Where {@code coredns_nodecache_setup_errors_total} is served, or empty. */
    public synchronized List<InetSocketAddress> setupMetricsAddresses() {
        return telemetry.setupMetricsAddresses();
    }

    /** A one-line summary of listeners and upstreams, for the start log line. */
    public synchronized String describe() {
        String listen = listeners().stream().map(a -> "udp+tcp " + HostPorts.format(a))
                .collect(Collectors.joining(", "));
        String upstreams = current.forwarderList().stream()
                .map(f -> f.name() + " -> " + f.upstreams().stream().map(HostPorts::format)
                        .collect(Collectors.joining(" ")))
                .collect(Collectors.joining("; "));
        return "listening on " + listen + "; upstreams " + (upstreams.isEmpty() ? "none" : upstreams)
                + "; transport " + (transport.isEpoll() ? "epoll" : "nio") + " x" + transport.threads()
                + metricsAddresses().stream().map(a -> "; metrics on http://" + HostPorts.format(a) + "/metrics")
                        .collect(Collectors.joining());
    }

    /** How long a stop keeps answering DNS after /health and /ready turned 503 ({@code lameduck}). */
    public synchronized Duration lameduck() {
        return ProcessSettings.of(current.corefile()).lameduck();
    }

    /**
     * Takes the DNS listeners' UDP sockets out of their SO_REUSEPORT groups, keeping what they
     * queued for the drain ({@link DnsServer#withdraw}): a successor on the same addresses gets
     * every new query from now on.
     */
    public void withdrawListeners() {
        server.withdraw();
    }

    /** Liveness and readiness as {@code /health} and {@code /ready} report them. */
    public HealthState health() {
        return telemetry.health();
    }

    /**
     * Stops in order: {@code /health} and {@code /ready} turn 503; DNS is still answered for the
     * {@code lameduck} duration, so that load balancers and probes stop sending first; listeners
     * stop taking queries, queries already read are answered (up to {@link #DRAIN}), upstream
     * connections and the HTTP endpoints close. Idempotent.
     */
    public void stop() throws InterruptedException {
        Duration lameduck;
        synchronized (this) {
            if (stopped) {
                return;
            }
            // From here on reconfigure() refuses; the lock is not held while waiting below, so
            // nothing that needs it (a reload, a scrape of describe()) can stall the stop.
            stopped = true;
            predecessorMerge = null;
            stopPredecessorPolling.run();
            loopDetectors.values().forEach(LoopDetector::stop);
            telemetry.health().markStopping();
            lameduck = ProcessSettings.of(current.corefile()).lameduck();
        }
        if (!lameduck.isZero()) {
            LOG.info("lameduck: answering DNS for " + lameduck.toMillis() + " ms more while /health and /ready "
                    + "report the stop");
            Thread.sleep(lameduck.toMillis());
        }
        server.stop(DRAIN);
        synchronized (this) {
            // After the drain: the answers the last queries brought are in the file too.
            try {
                if (warmStore != null) {
                    warmStore.save(warmBlocks());
                }
            } finally {
                // save() counts its own failures; whatever escapes it must not leave sockets open.
                current.forwarders().values().forEach(Forwarder::close);
                retiring.forEach(Forwarder::close);
                telemetry.close();
            }
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
