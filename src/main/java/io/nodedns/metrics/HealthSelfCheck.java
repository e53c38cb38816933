package io.nodedns.metrics;

import io.nodedns.config.HostPorts;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.logging.Logger;

/**
 * CoreDNS's self check (plugin/health overloaded.go): once a second, GET this process's own
 * {@code /health} and record how long it took, as a sign of how overloaded the process is.
 *
 * <ul>
 *   <li>{@code coredns_health_request_duration_seconds}: histogram of every check's duration,
 *       failed ones included; CoreDNS's {@code SlimTimeBuckets} (0.25 ms times 10 up to 2.5 s).</li>
 *   <li>{@code coredns_health_request_failures_total}: checks without an HTTP response (refused,
 *       timed out after 3 s...). Any status counts as a response, as Go's client sees it.</li>
 * </ul>
 * No {@code server} label: an overloaded process is a property of the process, not of a block
 * (CoreDNS's README says the same). Each health address is checked, as each CoreDNS health plugin
 * instance polls its own, into the same two series. A wildcard address is checked through the
 * loopback address, as Go dials {@code ":8080"}. A check slower than 1 s, or a failed one, is
 * logged as a warning, as CoreDNS does.
 *
 * <p>Meters exist from construction; {@link #bindTo} exports them on a registry (only when a
 * {@code prometheus} directive made one). Time is read from the injected clock and the period
 * comes from an injected {@link Repeater}, so tests run checks by hand.
 */
public final class HealthSelfCheck implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(HealthSelfCheck.class.getName());
    /** CoreDNS: {@code time.NewTicker(1 * time.Second)}. */
    public static final Duration PERIOD = Duration.ofSeconds(1);
    /** CoreDNS's plugin.SlimTimeBuckets: prometheus.ExponentialBuckets(0.00025, 10, 5). */
    static final double[] BUCKETS = {0.00025, 0.0025, 0.025, 0.25, 2.5};
    /** "1s is pretty random, but a *local* scrape taking that long isn't good" (CoreDNS). */
    private static final long SLOW_NANOS = Duration.ofSeconds(1).toNanos();

    private final List<InetSocketAddress> targets;
    private final HealthProbe probe;
    private final LongSupplier nanoTime;
    private final Histogram duration = Histogram.builder()
            .name("coredns_health_request_duration_seconds")
            .help("Histogram of the time (in seconds) each request took.")
            .classicUpperBounds(BUCKETS)
            .classicOnly()
            .withoutExemplars()
            .build();
    private final Counter failures = Counter.builder()
            .name("coredns_health_request_failures")
            .help("The number of times the health check failed.")
            .withoutExemplars()
            .build();
    private PrometheusRegistry boundTo;
    private AutoCloseable schedule;

    /**
     * @param healthAddresses where {@code /health} is served (bound addresses, ports resolved)
     * @param probe           makes one request; {@link SocketHealthProbe} for real
     * @param nanoTime        the clock durations are measured with ({@code System::nanoTime})
     */
    public HealthSelfCheck(List<InetSocketAddress> healthAddresses, HealthProbe probe, LongSupplier nanoTime) {
        List<InetSocketAddress> resolved = new ArrayList<>();
        for (InetSocketAddress address : healthAddresses) {
            resolved.add(target(address));
        }
        this.targets = List.copyOf(resolved);
        this.probe = probe;
        this.nanoTime = nanoTime;
    }

    /** Where to connect to reach a listener bound at {@code bound}: loopback for a wildcard. */
    static InetSocketAddress target(InetSocketAddress bound) {
        InetAddress ip = bound.getAddress();
        if (ip == null || !ip.isAnyLocalAddress()) {
            return bound;
        }
        byte[] loopback = ip instanceof Inet6Address ? new byte[16] : new byte[] {127, 0, 0, 0};
        loopback[loopback.length - 1] = 1;
        try {
            return new InetSocketAddress(InetAddress.getByAddress(loopback), bound.getPort());
        } catch (UnknownHostException impossibleForFourOrSixteenBytes) {
            throw new AssertionError(impossibleForFourOrSixteenBytes);
        }
    }

    /** Exports the two series on {@code registry}'s Prometheus registry; once. */
    public synchronized void bindTo(PrometheusMeterRegistry registry) {
        if (boundTo != null) {
            throw new IllegalStateException("already bound to a registry");
        }
        boundTo = registry.getPrometheusRegistry();
        boundTo.register(duration);
        boundTo.register(failures);
    }

    /** Checks every health address once, now, on the calling thread. */
    public void checkOnce() {
        for (InetSocketAddress target : targets) {
            long start = nanoTime.getAsLong();
            Exception failure = null;
            try {
                probe.get(target);
            } catch (IOException | RuntimeException e) {
                // A RuntimeException too: escaping, it would end the periodic task for good.
                failure = e;
            }
            long elapsed = nanoTime.getAsLong() - start;
            duration.observe(elapsed / 1e9);
            String url = "http://" + HostPorts.format(target) + "/health";
            if (failure != null) {
                failures.inc();
                LOG.warning("Local health request to \"" + url + "\" failed: " + failure);
            } else if (elapsed > SLOW_NANOS) {
                LOG.warning("Local health request to \"" + url + "\" took more than 1s: "
                        + Duration.ofNanos(elapsed));
            }
        }
    }

    /** Checks every {@link #PERIOD} through {@code repeater} until {@link #close}. */
    public synchronized void start(Repeater repeater) {
        if (schedule != null) {
            throw new IllegalStateException("already started");
        }
        schedule = repeater.every(PERIOD, this::checkOnce);
    }

    /** Stops checking and removes the series from the registry they were exported on. */
    @Override
    public synchronized void close() {
        if (schedule != null) {
            try {
                schedule.close();
            } catch (Exception e) {
                LOG.fine("stopping the health self check: " + e);
            }
            schedule = null;
        }
        if (boundTo != null) {
            boundTo.unregister(duration);
            boundTo.unregister(failures);
            boundTo = null;
        }
    }
}
