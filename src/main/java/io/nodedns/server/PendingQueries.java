package io.nodedns.server;

/**
 * Counts client queries waiting for an upstream answer, so that shutdown can
 * answer what it already read before closing (the server's drain step).
 */
public final class PendingQueries {
    private int pending;

    public synchronized void add() {
        pending++;
    }

    public synchronized void done() {
        if (--pending == 0) {
            notifyAll();
        }
    }

    public synchronized int count() {
        return pending;
    }

    /** Waits until nothing is pending or {@code timeoutMillis} passed; returns what is still pending. */
    public synchronized int awaitIdle(long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (pending > 0) {
            long leftMillis = (deadline - System.nanoTime()) / 1_000_000L;
            if (leftMillis <= 0) {
                break;
            }
            wait(leftMillis);
        }
        return pending;
    }
}
