package io.nodedns.server;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts client queries waiting for an upstream answer, so that shutdown can
 * answer what it already read before closing (the server's drain step).
 * Counting is lock-free; only a waiting {@link #awaitIdle} takes the monitor.
 */
public final class PendingQueries {
    private final AtomicInteger pending = new AtomicInteger();

    public void add() {
        pending.incrementAndGet();
    }

    public void done() {
        if (pending.decrementAndGet() == 0) {
            synchronized (this) {
                notifyAll();
            }
        }
    }

    public int count() {
        return pending.get();
    }

    /** Waits until nothing is pending or {@code timeoutMillis} passed; returns what is still pending. */
    public int awaitIdle(long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        synchronized (this) {
            while (pending.get() > 0) {
                long leftMillis = (deadline - System.nanoTime()) / 1_000_000L;
                if (leftMillis <= 0) {
                    break;
                }
                // Bounded wait: a done() between the check and the wait would otherwise be missed.
                wait(Math.min(leftMillis, 50));
            }
        }
        return pending.get();
    }
}
