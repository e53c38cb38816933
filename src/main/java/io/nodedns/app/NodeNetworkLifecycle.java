package io.nodedns.app;

import io.nodedns.metrics.SetupErrors;
import io.nodedns.node.CommandRunner;
import io.nodedns.node.NodeNetworkSettings;
import io.nodedns.node.NodeNetworking;
import io.nodedns.node.NodeSetupException;
import io.nodedns.node.SuccessorProbe;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Node mode's networking along the daemon's life, in node-cache's order (cache_app.go: Init sets
 * up the interface, runPeriodic adds the iptables rules once CoreDNS runs and re-ensures both every
 * {@code -syncinterval}, TeardownNetworking removes them on exit):
 * <ol>
 *   <li>{@link #prepare}: checks that can refuse the start, changing nothing;</li>
 *   <li>{@link #beforeBind}: the link and its addresses, which the listeners bind to;</li>
 *   <li>{@link #afterBind}: the NOTRACK and ACCEPT rules, only once something listens behind
 *       them (a rule for a dead port would only hide the traffic from kube-proxy), then a
 *       reconcile every {@code -syncinterval} on its own thread;</li>
 *   <li>{@link #stop}: no more reconciles, then the rules go (unless {@code -skipteardown},
 *       or a successor serves the local IPs: see below), before the listeners drain: in
 *       transparent mode the kube-dns IP goes back to kube-proxy at once, so new queries reach
 *       kube-dns while this process finishes the ones it has;</li>
 *   <li>{@link #finish}: after the drain, the link and its addresses, which those last answers
 *       needed as their source.</li>
 * </ol>
 * Outside node mode, or with both {@code -setupinterface} and {@code -setupiptables} off, every step
 * does nothing.
 *
 * <p>A rolling update with maxSurge starts the new nodedns while the old one runs; both listen on
 * the local IPs with SO_REUSEPORT. When the old one stops, {@link #stop} asks the
 * {@link SuccessorProbe} whether another process listens on every local IP; if so, it withdraws
 * its own UDP sockets from the SO_REUSEPORT groups (so that a successor stopping at the same time
 * does not count them) and asks again; a successor seen both times gets the link and the rules
 * ({@link NodeNetworking#handOver}): nothing is removed. The same holds for a start that fails
 * while another instance serves: it leaves that instance's link and rules alone.
 */
final class NodeNetworkLifecycle {
    private static final Logger LOG = Logger.getLogger("io.nodedns.node");
    /** Bounds each {@code ip}/{@code iptables} command; iptables waits up to 5 s for the xtables lock. */
    static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(10);
    /**
     * What the stop watchdog allows for the teardown: the rules' own deadline (20 s) plus one
     * command for the link. Within the DaemonSet's terminationGracePeriodSeconds with the drain.
     */
    static final Duration TEARDOWN_BUDGET = Duration.ofSeconds(20).plus(COMMAND_TIMEOUT);

    private final NodeNetworking networking;
    private final Duration syncInterval;
    /** True if another process listens on every local IP's DNS port (UDP, unconnected). */
    private final BooleanSupplier successorListening;
    /** Takes this process's UDP sockets out of their SO_REUSEPORT groups; set once bound. */
    private Runnable withdrawListeners = () -> { };
    private ScheduledExecutorService syncThread;
    private boolean stopped;

    private NodeNetworkLifecycle(NodeNetworking networking, Duration syncInterval, BooleanSupplier successorListening) {
        this.networking = networking;
        this.syncInterval = syncInterval;
        this.successorListening = successorListening;
    }

    /** Nothing to set up: outside node mode, for {@code -check}, or with both setup flags off. */
    static NodeNetworkLifecycle none() {
        return new NodeNetworkLifecycle(null, Duration.ZERO, () -> false);
    }

    /**
     * The preflight of {@link NodeNetworking#prepare}: binaries present, no local IP held by another
     * link, the iptables backend chosen. Changes nothing on the node.
     *
     * @throws NodeSetupException with the operator's explanation; the start must not go on
     */
    static NodeNetworkLifecycle prepare(CommandLine cmd, SetupErrors errors, CommandRunner runner)
            throws NodeSetupException {
        return prepare(cmd, errors, runner, SuccessorProbe::of);
    }

    /**
     * {@link #prepare(CommandLine, SetupErrors, CommandRunner)} with the successor check built by
     * {@code successorProbe} from the settings (tests answer it themselves).
     */
    static NodeNetworkLifecycle prepare(CommandLine cmd, SetupErrors errors, CommandRunner runner,
                                        java.util.function.Function<NodeNetworkSettings, BooleanSupplier> successorProbe)
            throws NodeSetupException {
        if (!cmd.nodeMode() || cmd.check() || (!cmd.setupInterface() && !cmd.setupIptables())) {
            return none();
        }
        int dnsPort = cmd.dnsPort() != null ? cmd.dnsPort() : Main.DEFAULT_DNS_PORT;
        NodeNetworkSettings settings;
        try {
            settings = new NodeNetworkSettings(cmd.localIps(), dnsPort, cmd.healthPort(), cmd.setupInterface(),
                    cmd.interfaceName(), cmd.setupIptables(), cmd.skipTeardown());
        } catch (IllegalArgumentException e) {
            // What the command line lets through but rules and links cannot hold (port 0, a link
            // name that `ip` would read as an option): refused before anything changes.
            throw new NodeSetupException(e.getMessage());
        }
        return new NodeNetworkLifecycle(NodeNetworking.prepare(settings, runner, errors), cmd.syncInterval(),
                successorProbe.apply(settings));
    }

    /** The link holding the local IPs, so that the listeners can bind them. */
    void beforeBind() throws NodeSetupException {
        if (networking != null) {
            networking.ensureInterface();
        }
    }

    /**
     * The rules, now that the listeners are bound, and the periodic reconcile.
     *
     * @param withdrawListeners takes the listeners' UDP sockets out of their SO_REUSEPORT groups
     *     without closing them ({@code Daemon#withdrawListeners}); {@link #stop} runs it when it
     *     sees a successor
     */
    synchronized void afterBind(Runnable withdrawListeners) {
        this.withdrawListeners = withdrawListeners;
        if (networking == null || stopped) {
            return;
        }
        networking.ensureRules();
        syncThread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "nodedns-node-sync");
            t.setDaemon(true);
            return t;
        });
        long period = syncInterval.toMillis();
        syncThread.scheduleWithFixedDelay(this::reconcile, period, period, TimeUnit.MILLISECONDS);
    }

    private void reconcile() {
        try {
            networking.reconcile();
        } catch (RuntimeException e) {
            // A scheduled task that throws is never run again; the next interval must still come.
            LOG.log(Level.SEVERE, "node networking: reconcile failed", e);
        }
    }

    /** How long {@link #stop} may take: zero when there is nothing to tear down. */
    Duration teardownBudget() {
        return networking == null ? Duration.ZERO : TEARDOWN_BUDGET;
    }

    /** For the start log line; empty when there is nothing to set up. */
    String describe() {
        return networking == null ? "" : "; node networking: " + networking.describe();
    }

    /**
     * Stops the reconcile and removes the rules unless {@code -skipteardown} or a successor serves
     * (then nothing is removed, here or in {@link #finish}); the link stays for
     * {@link #finish}. A reconcile in progress is not interrupted (that would kill its commands
     * half way and count the kills as errors): the teardown waits for it on
     * {@link NodeNetworking}'s lock, and no reconcile changes anything after it. Idempotent: the
     * normal stop and the fatal-error paths may both call it.
     */
    synchronized void stop() {
        if (networking == null) {
            return;
        }
        if (syncThread != null) {
            syncThread.shutdown();   // cancels the periodic task; one already running finishes
        }
        if (stopped) {
            return;
        }
        stopped = true;
        if (successorServes()) {
            networking.handOver();
        } else {
            uninterrupted(networking::removeRules);
        }
    }

    /**
     * Looks twice, withdrawing in between (see the class comment): a successor that stops at the
     * same time withdraws too, and of the two, the one that looks last sees no other listener and
     * tears down, so the link and rules never stay behind with nobody listening. With
     * {@code -skipteardown} nothing is removed anyway and nobody is asked.
     */
    private boolean successorServes() {
        if (networking.skipsTeardown() || !successorListening.getAsBoolean()) {
            return false;
        }
        withdrawListeners.run();
        if (!successorListening.getAsBoolean()) {
            LOG.info("the other listener on the local IPs went away; tearing down");
            return false;
        }
        return true;
    }

    /**
     * After the listeners drained: {@link #stop} if it has not run, then the link and its
     * addresses go (unless {@code -skipteardown}). Idempotent.
     */
    synchronized void finish() {
        if (networking == null) {
            return;
        }
        stop();
        uninterrupted(networking::removeLink);
    }

    /**
     * An interrupted caller (the main thread after an InterruptedException) would have every
     * command killed at once and leave the rules behind; the teardown runs uninterrupted and the
     * caller gets its interrupt back.
     */
    private static void uninterrupted(Runnable teardown) {
        boolean interrupted = Thread.interrupted();
        try {
            teardown.run();
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
