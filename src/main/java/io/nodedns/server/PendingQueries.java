package io.nodedns.server;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts client queries waiting for an upstream answer, so that shutdown can
 * answer what it already read before closing (the server's drain step), and bounds them: past
 * {@link #limit()} a miss is answered at once (stale or SERVFAIL) instead of waiting, so a slow or
 * dead kube-dns cannot make the queries held for it grow without bound.
 * Counting is lock-free; only a waiting {@link #awaitIdle} takes the monitor.
 */
public final class PendingQueries {
    /**
     * The default bound: 20000 waiting clients, each holding a query copy and a waiter (well under
     * 1 KiB), so under 20 MiB; far above what a node sees while kube-dns answers (a few hundred at
     * 10k queries/s and tens of milliseconds of latency).
     */
    public static final int DEFAULT_LIMIT = 20_000;

    private final AtomicInteger pending = new AtomicInteger();
    private final int limit;

    public PendingQueries() {
        this(DEFAULT_LIMIT);
    }

    /** @param limit the most queries that may wait at once */
    public PendingQueries(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be positive: " + limit);
        }
        this.limit = limit;
    }

    public int limit() {
        return limit;
    }

    /** Counts one more waiting query, whatever the bound (a query the caller must answer anyway). */
    public void add() {
        pending.incrementAndGet();
    }

    /**
     * Counts one more waiting query if fewer than {@link #limit()} wait; otherwise counts nothing
     * and returns false (the caller answers at once, and must not call {@link #done()}).
     */
    public boolean tryAdd() {
        if (pending.incrementAndGet() > limit) {
            // Still at least limit >= 1 after this: no waiter of awaitIdle can be due a wake-up.
            pending.decrementAndGet();
            return false;
        }
        return true;
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
