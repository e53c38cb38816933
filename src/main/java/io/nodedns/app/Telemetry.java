package io.nodedns.app;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.nodedns.config.Corefile;
import io.nodedns.config.ProcessSettings;
import io.nodedns.metrics.CoreDnsMetrics;
import io.nodedns.metrics.HealthEndpoint;
import io.nodedns.metrics.HealthSelfCheck;
import io.nodedns.metrics.HealthState;
import io.nodedns.metrics.HttpEndpointServer;
import io.nodedns.metrics.MetricsEndpoint;
import io.nodedns.metrics.NodednsMetrics;
import io.nodedns.metrics.WarmCacheMetrics;
import io.nodedns.cache.WarmCacheCounters;
import io.nodedns.metrics.ReadyEndpoint;
import io.nodedns.metrics.ReloadOutcomes;
import io.nodedns.metrics.Repeater;
import io.nodedns.metrics.SetupErrors;
import io.nodedns.metrics.SocketHealthProbe;
import io.nodedns.metrics.UpstreamMetrics;
import io.nodedns.server.DnsServer;
import io.nodedns.server.QueryCounters;
import io.nodedns.upstream.Forwarder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * The metrics registry and the HTTP endpoints of a running daemon, made to follow its
 * configuration: {@code /metrics} while some block has {@code prometheus}, {@code /health} and
 * {@code /ready} where {@code health} and {@code ready} say, CoreDNS's health self check, and
 * node-cache's setup error metric on {@code -metrics-listen-address}. Not thread-safe: the
 * {@link Daemon} calls it under its lock.
 */
final class Telemetry {
    private static final Logger LOG = Logger.getLogger(Telemetry.class.getName());

    private final QueryCounters counters;
    private final ReloadOutcomes reloads;
    private final SetupErrors setupErrors;
    private final WarmCacheCounters warm;
    /** Liveness and readiness, as {@code /health} and {@code /ready} report them. */
    private final HealthState health = new HealthState();
    /** Exists while some block has {@code prometheus}. */
    private PrometheusMeterRegistry registry;
    /** Held so what its meters read stays reachable (Micrometer holds it weakly). */
    private NodednsMetrics nodednsMetrics;
    /** The series of the current configuration; replaced on every {@link #apply}. */
    private CoreDnsMetrics coreDnsMetrics;
    private UpstreamMetrics upstreamMetrics;
    /** Serves {@code /metrics}, {@code /health} and {@code /ready}; null when none is configured. */
    private HttpEndpointServer http;
    private HttpSpec httpServes = HttpSpec.NONE;
    private HealthSelfCheck healthSelfCheck;
    private SelfCheckSpec healthSelfCheckServes;
    private HttpEndpointServer setupMetricsServer;

    Telemetry(QueryCounters counters, ReloadOutcomes reloads, SetupErrors setupErrors, WarmCacheCounters warm) {
        this.warm = warm;
        this.counters = counters;
        this.reloads = reloads;
        this.setupErrors = setupErrors;
    }

    HealthState health() {
        return health;
    }

    /**
     * Serves {@code coredns_nodecache_setup_errors_total} on {@code address} (none when null). A
     * port already taken is logged, not fatal: node-cache keeps serving DNS then.
     */
    void startSetupMetrics(InetSocketAddress address) {
        if (address == null) {
            return;
        }
        PrometheusMeterRegistry setupRegistry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        setupErrors.bindTo(setupRegistry);
        try {
            setupMetricsServer = HttpEndpointServer.builder("metrics")
                    .serve(address, "/metrics", new MetricsEndpoint(setupRegistry)).start();
        } catch (IOException e) {
            LOG.warning(e.getMessage() + "; coredns_nodecache_setup_errors_total is not served");
            setupRegistry.close();
        }
    }

    /**
     * Makes the metrics and the endpoints match {@code corefile}, served by {@code server} (started:
     * its ports are in the labels) and {@code forwarders}. Without {@code prometheus} nothing is
     * registered and request durations are not measured, as in CoreDNS; the per-configuration
     * series are registered anew, reading counters that kept blocks carry over. The HTTP server is
     * restarted only when what it serves where changes; if the new one cannot bind, the previous
     * endpoints are restored (so {@code /health} does not vanish) and only a first start throws.
     */
    void apply(Corefile corefile, DnsServer server, List<Forwarder> forwarders) throws IOException {
        closeConfigurationSeries();
        List<InetSocketAddress> metricsAt = corefile.blocks().stream().flatMap(b -> b.prometheus().stream())
                .distinct().toList();
        ProcessSettings process = ProcessSettings.of(corefile);
        if (metricsAt.isEmpty()) {
            closeRegistry();
        } else {
            if (registry == null) {
                registry = NodednsMetrics.newRegistry();
                nodednsMetrics = new NodednsMetrics(registry, Main.version(), counters, server);
                reloads.bindTo(registry);
                WarmCacheMetrics.bindTo(registry, warm);
            }
            coreDnsMetrics = new CoreDnsMetrics(registry, server, forwarders, System::nanoTime);
            upstreamMetrics = new UpstreamMetrics(registry, forwarders);
        }
        HttpSpec wanted = new HttpSpec(metricsAt, process.healthAddresses(), process.readyAddresses(), registry);
        if (!wanted.equals(httpServes)) {
            HttpSpec before = httpServes;
            closeHttp();
            try {
                http = startHttp(wanted);
                httpServes = wanted;
            } catch (IOException e) {
                if (before.isEmpty()) {
                    throw e;
                }
                LOG.warning(e.getMessage() + "; keeping the HTTP endpoints at their previous addresses");
                http = startHttp(new HttpSpec(registry == null ? List.of() : before.metrics(), before.health(),
                        before.ready(), registry));
                httpServes = before;
            }
        }
        applySelfCheck();
    }

    /** CoreDNS's health plugin times a request to its own /health every second; kept while /health stays. */
    private void applySelfCheck() {
        List<InetSocketAddress> targets = addresses("/health");
        SelfCheckSpec wanted = new SelfCheckSpec(targets, registry);
        if (wanted.equals(healthSelfCheckServes)) {
            return;
        }
        closeSelfCheck();
        if (registry != null && !targets.isEmpty()) {
            healthSelfCheck = new HealthSelfCheck(targets, new SocketHealthProbe(SocketHealthProbe.TIMEOUT),
                    System::nanoTime);
            healthSelfCheck.bindTo(registry);
            healthSelfCheck.start(Repeater.onNewThread("nodedns-health-check"));
        }
        healthSelfCheckServes = wanted;
    }

    /**
     * What the HTTP server serves where: {@code /metrics}, {@code /health} and {@code /ready}
     * addresses as configured, and the registry {@code /metrics} reads (a new one after the
     * {@code prometheus} directives went and came back).
     */
    private record HttpSpec(List<InetSocketAddress> metrics, List<InetSocketAddress> health,
                            List<InetSocketAddress> ready, PrometheusMeterRegistry registry) {
        static final HttpSpec NONE = new HttpSpec(List.of(), List.of(), List.of(), null);

        boolean isEmpty() {
            return metrics.isEmpty() && health.isEmpty() && ready.isEmpty();
        }

        /** For the bind error: "cannot serve metrics, health on ...". */
        String purpose() {
            List<String> purposes = new ArrayList<>();
            if (!metrics.isEmpty()) {
                purposes.add("metrics");
            }
            if (!health.isEmpty()) {
                purposes.add("health");
            }
            if (!ready.isEmpty()) {
                purposes.add("ready");
            }
            return String.join(", ", purposes);
        }
    }

    /** Where the health self check sends its requests and which registry holds its series. */
    private record SelfCheckSpec(List<InetSocketAddress> targets, PrometheusMeterRegistry registry) {}

    /** Starts a server for {@code spec}, or returns null when it serves nothing. */
    private HttpEndpointServer startHttp(HttpSpec spec) throws IOException {
        if (spec.isEmpty()) {
            return null;
        }
        HttpEndpointServer.Builder builder = HttpEndpointServer.builder(spec.purpose());
        spec.metrics().forEach(a -> builder.serve(a, "/metrics", new MetricsEndpoint(spec.registry())));
        spec.health().forEach(a -> builder.serve(a, "/health", new HealthEndpoint(health)));
        spec.ready().forEach(a -> builder.serve(a, "/ready", new ReadyEndpoint(health)));
        return builder.start();
    }

    /** Where {@code path} ({@code /metrics}, {@code /health}, {@code /ready}) is served now, ports resolved. */
    List<InetSocketAddress> addresses(String path) {
        return http == null ? List.of() : http.boundAddressesServing(path);
    }

    List<InetSocketAddress> setupMetricsAddresses() {
        return setupMetricsServer == null ? List.of() : setupMetricsServer.boundAddresses();
    }

    /** Closes everything: endpoints, self check, registry and the setup metrics. */
    void close() {
        closeSelfCheck();
        closeHttp();
        closeConfigurationSeries();
        closeRegistry();
        if (setupMetricsServer != null) {
            setupMetricsServer.close();
            setupMetricsServer = null;
        }
    }

    private void closeSelfCheck() {
        if (healthSelfCheck != null) {
            healthSelfCheck.close();
            healthSelfCheck = null;
        }
        healthSelfCheckServes = null;
    }

    private void closeConfigurationSeries() {
        if (coreDnsMetrics != null) {
            coreDnsMetrics.close();
            upstreamMetrics.close();
            coreDnsMetrics = null;
            upstreamMetrics = null;
        }
    }

    private void closeHttp() {
        if (http != null) {
            http.close();
            http = null;
        }
        httpServes = HttpSpec.NONE;
    }

    private void closeRegistry() {
        if (nodednsMetrics != null) {
            nodednsMetrics.close();
            nodednsMetrics = null;
        }
        if (registry != null) {
            registry.close();
            registry = null;
        }
    }
}
