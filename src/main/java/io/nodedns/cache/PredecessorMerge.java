package io.nodedns.cache;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * Takes over the cache of the pod this one replaces in a surge rollout. The DaemonSet rolls out
 * with maxSurge: the new pod starts (and loads the file the previous rollout left, which is old),
 * becomes Ready, and only then the old pod gets SIGTERM, hands over, drains and saves its cache
 * (at most about 5 s after the SIGTERM). So after its start a daemon polls the file's header every
 * {@link #POLL_INTERVAL}, for at most {@link #WINDOW}; when a file saved at or after its own start
 * appears, it is merged once ({@link WarmCacheStore#merge}: only keys this process holds nothing
 * for) and the polling ends.
 *
 * <p>The window is measured on the wall clock that also dates the file (one clock on one node for
 * both pods). A file saved later than the window (a predecessor stuck long past its grace period)
 * is left alone; it is read by the next start. Not thread-safe: the caller polls from one thread
 * at a time, under the lock that guards the blocks.
 */
public final class PredecessorMerge {
    private static final Logger LOG = Logger.getLogger(PredecessorMerge.class.getName());
    /** How often the header is read: the DaemonSet's readiness period is 2 s, the old pod's drain <= 5 s. */
    public static final Duration POLL_INTERVAL = Duration.ofSeconds(1);
    /**
     * How long after the start a predecessor's file is waited for: readiness (a few periods of
     * 2 s), the kubelet's SIGTERM, lameduck and the drain, with room for a slow node.
     */
    public static final Duration WINDOW = Duration.ofSeconds(120);

    private final WarmCacheStore store;
    private final Clock clock;
    private final long startedAtMillis;
    private boolean done;

    /** Watches for a file saved at or after {@code startedAtMillis} on {@code clock}. */
    public PredecessorMerge(WarmCacheStore store, Clock clock, long startedAtMillis) {
        this.store = store;
        this.clock = clock;
        this.startedAtMillis = startedAtMillis;
    }

    /**
     * One poll: merges the predecessor's file if it is there now.
     *
     * @param blocks the caches serving now, asked only when there is a file to merge
     * @return true when the watch is over (merged, or the window passed): stop polling
     */
    public boolean poll(Supplier<List<WarmCacheStore.Block>> blocks) {
        if (done) {
            return true;
        }
        OptionalLong savedAt = store.savedAtMillis();
        if (savedAt.isPresent() && savedAt.getAsLong() >= startedAtMillis) {
            store.merge(blocks.get());
            done = true;
        } else if (clock.millis() - startedAtMillis >= WINDOW.toMillis()) {
            LOG.info("warm restart: no predecessor saved " + store.file() + " within " + WINDOW.toSeconds()
                    + " s of the start; not waiting for one any more");
            done = true;
        }
        return done;
    }
}
