package io.nodedns.app;

import io.nodedns.config.Corefile;
import io.nodedns.config.CorefileException;
import io.nodedns.config.CorefileParser;
import io.nodedns.metrics.SetupErrors;
import io.nodedns.node.NodeSetupException;
import io.nodedns.node.ProcessCommandRunner;
import io.nodedns.transport.NettyTransport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.logging.ConsoleHandler;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.Logger;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Entry point. Exit codes: 0 after a clean stop (SIGTERM, SIGINT), 1 when the
 * configuration or a listener fails at start or the {@code loop} directive finds a forwarding
 * loop (after an orderly stop), 2 for a bad command line.
 */
public final class Main {
    /** node-cache's default for server keys without a port; the laptop default listens on 5353. */
    static final int DEFAULT_DNS_PORT = 53;
    static final int LAPTOP_PORT = 5353;
    /** A second stop signal cuts the drain short only if it comes at least this long after the first. */
    static final java.time.Duration SECOND_SIGNAL_AFTER = java.time.Duration.ofSeconds(1);
    /** Grace beyond the drain before a stuck stop is cut short. */
    static final java.time.Duration STOP_WATCHDOG = java.time.Duration.ofSeconds(10);

    private Main() {}

    public static void main(String[] args) {
        // Netty samples one buffer in 128 for leak tracking by default, capturing a stack trace
        // each time: measurable on every cached answer (benchmarks/RESULTS.md). Tests run paranoid;
        // operators can still ask for it with -Dio.netty.leakDetection.level=simple.
        if (System.getProperty("io.netty.leakDetection.level") == null
                && System.getProperty("io.netty.leakDetectionLevel") == null) {
            System.setProperty("io.netty.leakDetection.level", "disabled");
        }
        configureLogging();
        System.exit(run(args));
    }

    static int run(String[] args) {
        Logger log = Logger.getLogger("io.nodedns");
        CommandLine cmd;
        try {
            cmd = CommandLine.parse(args, System.getenv());
        } catch (CommandLine.UsageException e) {
            System.err.println(e.getMessage());
            System.err.println(CommandLine.USAGE);
            return 2;
        }
        if (cmd.help()) {
            System.out.println(CommandLine.USAGE);
            return 0;
        }
        if (cmd.version()) {
            System.out.println("nodedns " + version());
            return 0;
        }
        if (cmd.nodeSetupRefusal().isPresent()) {
            log.severe(cmd.nodeSetupRefusal().get());
            return 1;
        }
        int defaultPort = cmd.dnsPort() != null ? cmd.dnsPort() : DEFAULT_DNS_PORT;
        SetupErrors setupErrors = new SetupErrors();
        ConfigText config = configText(cmd, setupErrors);
        String text;
        Corefile corefile;
        try {
            text = config.read();
            corefile = CorefileParser.parse(config.source(), text, defaultPort);
        } catch (CorefileException | IOException e) {
            String message = e instanceof IOException ? "cannot read " + config.source() + ": " + e.getMessage()
                    : e.getMessage();
            if (cmd.check()) {
                System.err.println(message);
            } else {
                log.severe(message);
            }
            return 1;
        }
        if (cmd.check()) {
            // Operators run this in CI before rolling out a ConfigMap: nothing is bound or started.
            System.out.println(corefile.source() + ": valid, " + corefile.blocks().size() + " server block"
                    + (corefile.blocks().size() == 1 ? "" : "s"));
            return 0;
        }
        NodeNetworkLifecycle network;
        try {
            network = NodeNetworkLifecycle.prepare(cmd, setupErrors,
                    new ProcessCommandRunner(NodeNetworkLifecycle.COMMAND_TIMEOUT));
        } catch (NodeSetupException e) {
            log.severe(e.getMessage());
            return 1;
        }
        NettyTransport transport = NettyTransport.createDefault();
        CountDownLatch stopSignal = new CountDownLatch(1);
        // loop directive: a forwarding loop is fatal, as CoreDNS's log.Fatalf, but after an orderly stop.
        AtomicBoolean loopDetected = new AtomicBoolean();
        Consumer<String> onLoop = message -> {
            log.severe(message);
            loopDetected.set(true);
            stopSignal.countDown();
        };
        // Before anything binds: once a listener answers, a supervisor may already send SIGTERM, and
        // the JVM's default action would end the process with 143 instead of an orderly stop.
        // A signal during the start is kept by the latch and acted on as soon as the start is done.
        AtomicBoolean drained = new AtomicBoolean();
        installStopSignals(stopSignal, drained, network, log);
        try {
            network.beforeBind();
        } catch (NodeSetupException e) {
            log.severe(e.getMessage());
            network.finish();
            transport.close();
            return 1;
        }
        Daemon daemon;
        try {
            daemon = Daemon.start(corefile, transport, cmd.setupMetricsAddress(), setupErrors, onLoop, cmd.cacheDir(),
                    java.time.Clock.systemUTC());
        } catch (IOException | RuntimeException e) {
            log.severe("cannot start: " + e.getMessage());
            network.finish();
            transport.close();
            return 1;
        }
        try {
            network.afterBind(daemon::withdrawListeners);
            log.info("nodedns " + version() + " started from " + corefile.source() + ": " + daemon.describe()
                    + network.describe());
            writePidfile(cmd.pidfile(), log);
            ScheduledExecutorService reloadThread = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "nodedns-reload");
                t.setDaemon(true);
                return t;
            });
            ConfigReloader reloader = startReloads(config, defaultPort, daemon, text, reloadThread, log);

            stopSignal.await();
            reloader.close();
            reloadThread.shutdownNow();
            log.info(loopDetected.get() ? "stopping after a forwarding loop: no new queries, answering those in flight"
                    : "stopping: no new queries, answering those in flight");
            startStopWatchdog(log, network.teardownBudget().plus(daemon.lameduck()));
            // Readiness false first, so probes see the stop; then no reconcile and no rules, so that
            // in transparent mode new queries to the kube-dns IP are kube-proxy's again while this
            // drains; the link goes last, the drained answers leave from its addresses.
            daemon.health().markStopping();
            network.stop();
            daemon.stop();
            network.finish();
            drained.set(true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            network.finish();   // a no-op after the orderly stop; the teardown after anything else
            transport.close();
            removePidfile(cmd.pidfile(), log);
        }
        log.info("stopped");
        return loopDetected.get() ? 1 : 0;
    }

    /**
     * SIGTERM and SIGINT count {@code stopSignal} down; a second one more than
     * {@link #SECOND_SIGNAL_AFTER} later, before {@code drained}, ends the process at once (exit 1),
     * but not before the node networking is torn down: rules left behind for a dead process would
     * blackhole the node's DNS until the next start.
     */
    private static void installStopSignals(CountDownLatch stopSignal, AtomicBoolean drained,
                                           NodeNetworkLifecycle network, Logger log) {
        AtomicLong firstSignalNanos = new AtomicLong();
        SignalHandler onSignal = s -> {
            long now = System.nanoTime();
            if (firstSignalNanos.compareAndSet(0, now)) {
                stopSignal.countDown();
            } else if (!drained.get() && now - firstSignalNanos.get() > SECOND_SIGNAL_AFTER.toNanos()) {
                // An impatient operator (or supervisor): stop waiting for queries in flight. A
                // second signal within a second is the same stop seen twice (Ctrl-C plus a
                // wrapper's SIGTERM), and one after the drain changes nothing.
                log.warning("second SIG" + s.getName() + ": exiting without waiting for queries in flight");
                network.finish();
                Runtime.getRuntime().halt(1);
            }
        };
        Signal.handle(new Signal("TERM"), onSignal);
        Signal.handle(new Signal("INT"), onSignal);
        // SIGUSR1's default action ends the process; until the reloader takes it over, a reload
        // asked for during the start has nothing to do: the daemon starts from the file as read.
        Signal.handle(new Signal("USR1"), s -> log.info("SIGUSR1 during the start: serving the configuration just read"));
    }

    /**
     * Reloads on change every {@code reload} interval, and at once on SIGUSR1 as CoreDNS does; checks
     * run on {@code reloadThread}, one at a time.
     */
    private static ConfigReloader startReloads(ConfigText config, int defaultPort, Daemon daemon, String text,
                                               ScheduledExecutorService reloadThread, Logger log) {
        ConfigReloader reloader = new ConfigReloader(config, defaultPort, daemon, text, reloadThread,
                bound -> ThreadLocalRandom.current().nextLong(-bound, bound + 1));
        reloader.start();
        Signal.handle(new Signal("USR1"), s -> {
            log.info("SIGUSR1: reloading " + config.source());
            try {
                reloadThread.execute(reloader::reloadNow);
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                log.info("SIGUSR1 during the stop: not reloading");
            }
        });
        return reloader;
    }

    /** {@code -pidfile}: written once serving. CoreDNS exits when it cannot; DNS already serves here. */
    private static void writePidfile(Path pidfile, Logger log) {
        if (pidfile == null) {
            return;
        }
        try {
            Files.writeString(pidfile, ProcessHandle.current().pid() + "\n");
        } catch (IOException e) {
            log.warning("cannot write -pidfile " + pidfile + ": " + e.getMessage());
        }
    }

    private static void removePidfile(Path pidfile, Logger log) {
        if (pidfile == null) {
            return;
        }
        try {
            Files.deleteIfExists(pidfile);
        } catch (IOException e) {
            log.warning("cannot remove -pidfile " + pidfile + ": " + e.getMessage());
        }
    }

    /**
     * Bounds the orderly stop: the node networking's teardown and lameduck ({@code before}), then
     * the drain of at most {@link Daemon#DRAIN}; if the process is still here {@link #STOP_WATCHDOG}
     * later, something is stuck, and it says what before it halts (exit 1) rather than hang until
     * SIGKILL.
     */
    private static void startStopWatchdog(Logger log, java.time.Duration before) {
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(before.plus(Daemon.DRAIN).plus(STOP_WATCHDOG).toMillis());
            } catch (InterruptedException e) {
                return;
            }
            StringBuilder stuck = new StringBuilder();
            Thread.getAllStackTraces().forEach((t, frames) -> {
                if (!t.isDaemon() || t.getName().startsWith("nodedns")) {
                    stuck.append("\n  ").append(t.getName()).append(": ")
                            .append(frames.length > 0 ? frames[0] : "(no frames)");
                }
            });
            log.severe("stop did not finish in time; halting. Threads:" + stuck);
            Runtime.getRuntime().halt(1);
        }, "nodedns-stop-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
    }

    /**
     * Where the Corefile comes from: in node mode with a base Corefile (the node-local-dns
     * ConfigMap), node-cache's template pipeline; else the file served ({@code -conf}, or
     * {@code -corefile} in node mode); else the laptop default.
     *
     * <p>The template is rendered to the file served: node-cache's parseAndValidateFlags sets its
     * CoreFile (the render target) to {@code -conf}'s value, so the DaemonSet's
     * {@code -conf /etc/Corefile} is both what is written and what is read.
     */
    static ConfigText configText(CommandLine cmd, SetupErrors setupErrors) {
        if (cmd.nodeMode() && Files.exists(cmd.baseCorefile())) {
            return new NodeCacheConfigText(cmd.nodeCacheInputs(System.getenv()), cmd.servedCorefile(), setupErrors,
                    !cmd.check());
        }
        if (cmd.servedCorefile() != null) {
            return ConfigText.file(cmd.servedCorefile());
        }
        return ConfigText.fixed("<laptop default>", laptopCorefile(cmd));
    }

    /**
     * The configuration run without {@code -conf}: a cache on 127.0.0.1:5353 that
     * forwards everything to the nameservers of resolv.conf.
     */
    static String laptopCorefile(CommandLine cmd) {
        int port = cmd.dnsPort() != null ? cmd.dnsPort() : LAPTOP_PORT;
        return ".:" + port + " {\n"
                + "    bind 127.0.0.1\n"
                + "    cache\n"
                + "    forward . \"" + cmd.resolvConf().toAbsolutePath() + "\"\n"
                + "    errors\n"
                + "}\n";
    }

    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v != null ? v : "dev";
    }

    private static void configureLogging() {
        Logger root = Logger.getLogger("");
        for (Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        ConsoleHandler stderr = new ConsoleHandler();
        stderr.setFormatter(new LogFormat());
        stderr.setLevel(Level.ALL);
        root.addHandler(stderr);
        root.setLevel(Level.INFO);
    }
}
