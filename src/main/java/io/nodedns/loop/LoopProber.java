package io.nodedns.loop;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.nodedns.server.UpstreamClient;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Sends one block's loop probe through its forwarder until something answers, the way CoreDNS's
 * loop setup.go {@code OnStartup} does: armed for {@link #WINDOW} from start; a probe that fails
 * (every upstream timed out or refused) is sent again {@link #RETRY_AFTER} later; the first
 * answer, whatever its RCODE, ends the sending, and the probe stays armed {@link #GRACE} longer
 * for a looped copy still on its way (an upstream may answer SERVFAIL before the copy it passed on
 * comes back). Without an answer within the window, detection turns off, as CoreDNS's does.
 *
 * <p>Threading: all state but {@link #stopped} is confined to {@code scheduler}, a single thread
 * (an event loop); completions of the forwarder's futures are handed to it.
 */
final class LoopProber {
    private static final Logger LOG = Logger.getLogger(LoopProber.class.getName());

    /** CoreDNS: {@code deadline := time.Now().Add(30 * time.Second)}, time for upstreams to come up. */
    static final Duration WINDOW = Duration.ofSeconds(30);
    /** CoreDNS: {@code time.Sleep(1 * time.Second)} after a failed exchange. */
    static final Duration RETRY_AFTER = Duration.ofSeconds(1);
    /** CoreDNS: {@code time.Sleep(2 * time.Second); l.setDisabled()} after a successful exchange. */
    static final Duration GRACE = Duration.ofSeconds(2);

    private final LoopProbe probe;
    private final UpstreamClient forwarder;
    private final ScheduledExecutorService scheduler;
    private final ByteBufAllocator alloc;
    private volatile boolean stopped;

    private boolean started;
    private boolean finished;
    private ScheduledFuture<?> windowEnd;
    private ScheduledFuture<?> retry;
    private ScheduledFuture<?> disarmAfterGrace;

    /**
     * @param forwarder the block's forwarder itself, not its {@link LoopGuard}: the probe must leave
     *                  for the upstreams, not be caught on the way out
     * @param scheduler the thread and clock of the retries and the window; an event loop in production
     */
    LoopProber(LoopProbe probe, UpstreamClient forwarder, ScheduledExecutorService scheduler, ByteBufAllocator alloc) {
        this.probe = probe;
        this.forwarder = forwarder;
        this.scheduler = scheduler;
        this.alloc = alloc;
    }

    /** Arms the probe and sends the first one, on the scheduler. Once; later calls do nothing. */
    void start() {
        onScheduler(this::begin);
    }

    /** Stops sending and disarms the probe. Idempotent; a probe still in flight is ignored when it ends. */
    void stop() {
        stopped = true;
        probe.disarm();
        onScheduler(this::finish);
    }

    private void begin() {
        if (started || stopped) {
            return;
        }
        started = true;
        probe.arm();
        windowEnd = scheduler.schedule(this::onWindowEnd, WINDOW.toNanos(), TimeUnit.NANOSECONDS);
        send();
    }

    private void send() {
        if (finished || stopped) {
            return;
        }
        CompletableFuture<ByteBuf> answer;
        ByteBuf query = probe.newQuery(alloc);
        try {
            answer = forwarder.forward(query, false);
        } catch (RuntimeException e) {
            answer = CompletableFuture.failedFuture(e);
        } finally {
            query.release();
        }
        answer.whenComplete((response, failure) -> {
            if (response != null) {
                response.release();
            }
            onScheduler(() -> onProbeDone(failure));
        });
    }

    private void onProbeDone(Throwable failure) {
        if (finished || stopped) {
            return;
        }
        if (failure == null) {
            finished = true;
            cancel(windowEnd);
            disarmAfterGrace = scheduler.schedule(probe::disarm, GRACE.toNanos(), TimeUnit.NANOSECONDS);
            LOG.fine(() -> "loop: probe " + probe.name() + " answered; detection ends in " + GRACE.toSeconds() + " s");
            return;
        }
        if (probe.loopReported()) {
            // Found already; going on would only send the loop round again.
            finish();
            return;
        }
        LOG.fine(() -> "loop: probe " + probe.name() + " failed (" + failure.getMessage() + "), sending again in "
                + RETRY_AFTER.toMillis() + " ms");
        retry = scheduler.schedule(this::send, RETRY_AFTER.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void onWindowEnd() {
        if (!finished) {
            LOG.info("loop: no answer to probe " + probe.name() + " within " + WINDOW.toSeconds()
                    + " s; loop detection is off");
            finish();
        }
    }

    private void finish() {
        finished = true;
        cancel(windowEnd);
        cancel(retry);
        cancel(disarmAfterGrace);
        probe.disarm();
    }

    private static void cancel(ScheduledFuture<?> timer) {
        if (timer != null) {
            timer.cancel(false);
        }
    }

    private void onScheduler(Runnable task) {
        try {
            scheduler.execute(task);
        } catch (RejectedExecutionException shuttingDown) {
            // The event loops are going away with the process: nothing is left to probe or cancel.
            probe.disarm();
        }
    }
}
