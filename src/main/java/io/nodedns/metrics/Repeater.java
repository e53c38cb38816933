package io.nodedns.metrics;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs a task periodically: the seam through which tests drive periodic work by hand instead of
 * waiting for it.
 */
@FunctionalInterface
public interface Repeater {
    /**
     * Runs {@code task} every {@code period}, the first time one period from now, until the
     * returned handle is closed. Runs never overlap; a run that overruns delays the next.
     */
    AutoCloseable every(Duration period, Runnable task);

    /** Runs tasks on {@code executor}, which the caller owns and shuts down. */
    static Repeater on(ScheduledExecutorService executor) {
        return (period, task) -> {
            ScheduledFuture<?> future = executor.scheduleAtFixedRate(task, period.toNanos(), period.toNanos(),
                    TimeUnit.NANOSECONDS);
            return () -> future.cancel(false);
        };
    }

    /**
     * Runs each task on a daemon thread of its own named {@code threadName}, which closing the
     * task's handle ends.
     */
    static Repeater onNewThread(String threadName) {
        return (period, task) -> {
            ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, threadName);
                t.setDaemon(true);
                return t;
            });
            executor.scheduleAtFixedRate(task, period.toNanos(), period.toNanos(), TimeUnit.NANOSECONDS);
            return executor::shutdownNow;
        };
    }
}
