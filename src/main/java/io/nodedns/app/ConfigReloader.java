package io.nodedns.app;

import io.nodedns.config.Corefile;
import io.nodedns.config.CorefileException;
import io.nodedns.config.CorefileParser;
import io.nodedns.config.ProcessSettings;
import io.nodedns.config.ReloadSettings;
import io.nodedns.metrics.ReloadOutcomes;
import io.nodedns.metrics.ReloadOutcomes.Outcome;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongUnaryOperator;
import java.util.logging.Logger;

/**
 * Reloads the configuration when its text changes, as CoreDNS's reload plugin does: every
 * INTERVAL plus or minus a random part of JITTER (of the {@code reload} directive,
 * {@link ProcessSettings#reload()}; no periodic check without one), it reads the text, and if its SHA-512 differs from the last one
 * seen, parses it and hands it to {@link Daemon#reconfigure}. SIGUSR1 asks for a reload at once,
 * changed or not ({@link #reloadNow}).
 *
 * <p>A text that does not parse, or cannot be put in place, is logged with its FILE:LINE, counted
 * ({@link ReloadOutcomes}), and the configuration serving keeps serving. Its hash is remembered,
 * so the same broken text is reported once, not at every check (CoreDNS does the same).
 */
final class ConfigReloader implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ConfigReloader.class.getName());

    /** What one check came to. */
    enum Result { UNCHANGED, APPLIED, INVALID, FAILED }

    private final ConfigText text;
    private final int defaultPort;
    private final Daemon daemon;
    private final ScheduledExecutorService scheduler;
    /** Maps the jitter bound (ns) to an offset in [-bound, +bound]; injected so tests are exact. */
    private final LongUnaryOperator jitter;
    private final ReloadOutcomes outcomes;
    /** Hash of the last text seen, whether it was applied or refused. */
    private String lastHash;
    private ScheduledFuture<?> next;
    private boolean closed;

    /**
     * @param startText the text {@code daemon} was started from
     * @param jitter    given a bound in nanoseconds, a random offset between minus and plus it
     */
    ConfigReloader(ConfigText text, int defaultPort, Daemon daemon, String startText,
                   ScheduledExecutorService scheduler, LongUnaryOperator jitter) {
        this.text = text;
        this.defaultPort = defaultPort;
        this.daemon = daemon;
        this.scheduler = scheduler;
        this.jitter = jitter;
        this.outcomes = daemon.reloads();
        this.lastHash = sha512(startText);
        outcomes.version(lastHash);
    }

    /** Schedules the first periodic check, if the configuration asks for them. */
    synchronized void start() {
        schedule();
    }

    /** Checks now and applies a changed text (the periodic check). */
    synchronized Result checkNow() {
        return check(false);
    }

    /** Reads, parses and applies the text now even if it did not change (SIGUSR1). */
    synchronized Result reloadNow() {
        return check(true);
    }

    private Result check(boolean force) {
        if (closed) {
            return Result.UNCHANGED;
        }
        try {
            return apply(force);
        } catch (RuntimeException e) {
            // A bug, not a bad configuration: say so loudly rather than let the executor swallow it.
            LOG.log(java.util.logging.Level.SEVERE, "reload of " + text.source() + " failed unexpectedly; the "
                    + "previous configuration keeps serving", e);
            outcomes.count(Outcome.FAILED);
            return Result.FAILED;
        } finally {
            schedule();
        }
    }

    private Result apply(boolean force) {
        String content;
        try {
            content = text.read();
        } catch (CorefileException e) {
            return refuse(null, Outcome.INVALID, e.getMessage());
        } catch (IOException e) {
            // Reading the Corefile, or in node mode also writing the rendered one.
            return refuse(null, Outcome.FAILED, text.source() + ": " + e.getMessage());
        }
        String hash = sha512(content);
        if (hash.equals(lastHash) && !force) {
            return Result.UNCHANGED;
        }
        Corefile corefile;
        try {
            corefile = CorefileParser.parse(text.source(), content, defaultPort);
        } catch (CorefileException e) {
            return refuse(hash, Outcome.INVALID, e.getMessage());
        }
        try {
            daemon.reconfigure(corefile);
        } catch (IOException | RuntimeException e) {
            return refuse(hash, Outcome.FAILED, "cannot apply " + text.source() + ": " + e.getMessage());
        }
        lastHash = hash;
        outcomes.version(hash);
        outcomes.count(Outcome.APPLIED);
        return Result.APPLIED;
    }

    private Result refuse(String hash, Outcome outcome, String why) {
        if (hash != null) {
            lastHash = hash;
        }
        outcomes.count(outcome);
        LOG.severe("reload: " + why + "; the previous configuration keeps serving");
        return outcome == Outcome.INVALID ? Result.INVALID : Result.FAILED;
    }

    /** Replaces the pending check with one per the current configuration's {@code reload}, if any. */
    private void schedule() {
        if (next != null) {
            next.cancel(false);
            next = null;
        }
        if (closed) {
            return;
        }
        Optional<ReloadSettings> settings = ProcessSettings.of(daemon.corefile()).reload();
        if (settings.isEmpty()) {
            return;
        }
        long delay = delayNanos(settings.get());
        next = scheduler.schedule(this::checkNow, delay, TimeUnit.NANOSECONDS);
    }

    /** INTERVAL plus or minus up to JITTER, never below a second. */
    long delayNanos(ReloadSettings settings) {
        long interval = settings.interval().toNanos();
        long offset = settings.jitter().isZero() ? 0 : jitter.applyAsLong(settings.jitter().toNanos());
        return Math.max(Duration.ofSeconds(1).toNanos(), interval + offset);
    }

    static String sha512(String text) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-512");
            return HexFormat.of().formatHex(digest.digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-512", e);
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (next != null) {
            next.cancel(false);
            next = null;
        }
    }
}
