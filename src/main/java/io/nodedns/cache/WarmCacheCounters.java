package io.nodedns.cache;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * What warm restarts did ({@code -cache-dir}): entries saved and loaded (at start, and merged later
 * from a predecessor's file: {@link PredecessorMerge}), and files, blocks or entries that could not
 * be used, by reason. Read by the metrics package at scrape time. Thread-safe.
 */
public final class WarmCacheCounters {
    /** Why a cache file, or one block of it, was not loaded (or the file not written). */
    public enum Failure {
        /** The file does not start with nodedns's magic: not ours. */
        FOREIGN,
        /** A format version this nodedns does not know (a newer one wrote it). */
        VERSION,
        /** Shorter than its header says. */
        TRUNCATED,
        /**
         * The checksum (CRC32C) or the structure does not match; or, once per entry, an entry whose
         * message's question is not its key.
         */
        CORRUPT,
        /**
         * Larger than {@link WarmCacheFile#MAX_FILE_BYTES}: not read at all; or a save that reached
         * it and left out the entries that did not fit.
         */
        TOO_LARGE,
        /** Reading or writing the file failed (permissions, disk full...). */
        IO,
        /** The heap ran out while saving: no file written, the stop went on. */
        MEMORY,
        /** A saved block whose settings changed or that is gone from the Corefile; skipped. */
        BLOCK_CHANGED
    }

    public final LongAdder entriesSaved = new LongAdder();
    public final LongAdder entriesLoaded = new LongAdder();
    private final Map<Failure, LongAdder> failures = new EnumMap<>(Failure.class);

    public WarmCacheCounters() {
        for (Failure f : Failure.values()) {
            failures.put(f, new LongAdder());
        }
    }

    public void count(Failure failure) {
        failures.get(failure).increment();
    }

    public LongAdder failures(Failure failure) {
        return failures.get(failure);
    }
}
