package io.nodedns.cache;

import io.netty.buffer.Unpooled;
import io.nodedns.wire.AnswerTemplate;
import io.nodedns.wire.DnsWire;
import io.nodedns.wire.QuestionKey;
import io.nodedns.wire.ResponseScanner;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.logging.Logger;

/**
 * Warm restarts ({@code -cache-dir DIR}): on stop every block's cache is written to
 * {@code DIR/}{@value #FILE_NAME}, on start what is still fresh or still within serve_stale's
 * window is put back into the block of the same keys and settings, before the listeners answer.
 * A rollout across many nodes then does not send every name to kube-dns at once.
 *
 * <p>Writing is atomic (a temporary file in DIR, forced to disk, then renamed over the old one), so
 * a crash mid-write leaves the previous file or none. Reading never throws: a missing file is a cold
 * start; a foreign, newer, truncated, corrupt or oversized file is ignored with one log line and
 * counted ({@link WarmCacheCounters}); a block whose settings changed or that is gone is skipped
 * with one log line. Ages survive the restart through the file's wall-clock timestamp: the time
 * nodedns was down is added to each entry's age, so TTLs keep counting down (a clock that went
 * backwards counts as no time down).
 */
public final class WarmCacheStore {
    private static final Logger LOG = Logger.getLogger(WarmCacheStore.class.getName());
    public static final String FILE_NAME = "nodedns-cache.bin";

    private final Path dir;
    private final Clock clock;
    private final WarmCacheCounters counters;

    /**
     * One server block's cache and what identifies it across restarts.
     *
     * @param id the block's keys, e.g. {@code cluster.local.:53}
     * @param fingerprint the settings its answers depend on; a saved block with another is skipped
     */
    public record Block(String id, String fingerprint, ResponseCache cache) {}

    public WarmCacheStore(Path dir, Clock clock, WarmCacheCounters counters) {
        this.dir = dir;
        this.clock = clock;
        this.counters = counters;
    }

    public Path file() {
        return dir.resolve(FILE_NAME);
    }

    /**
     * Writes every block's entries, replacing the previous file atomically. The file is streamed
     * ({@link WarmCacheFile.Writer}); at {@link WarmCacheFile#MAX_FILE_BYTES} it stops adding
     * entries (one log line, counted as {@code TOO_LARGE}) and keeps what it wrote. Failures,
     * running out of heap included, are logged and counted, not thrown: a stop must go on.
     *
     * @return the entries written, 0 on failure
     */
    public int save(List<Block> blocks) {
        Path tmp = null;
        WarmCacheFile.Writer writer;
        try {
            Files.createDirectories(dir);
            // Unique per writer: two instances stopping together (a surge rollout's old pod and a
            // crash-looping new one) must not write into each other's temporary file.
            tmp = Files.createTempFile(dir, FILE_NAME + ".", ".tmp");
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                writer = new WarmCacheFile.Writer(out, clock.millis());
                for (Block b : blocks) {
                    if (!writer.beginBlock(b.id(), b.fingerprint())) {
                        break;
                    }
                    b.cache().forEachEntry(writer::entry);
                    if (writer.full()) {
                        break;
                    }
                }
                writer.finish();
                // On disk before the rename makes it the file: a power cut must not leave a renamed empty file.
                out.force(true);
            }
            try {
                Files.move(tmp, file(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file(), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException e) {
            return saveFailed(WarmCacheCounters.Failure.IO, e, tmp);
        } catch (OutOfMemoryError e) {
            // What was being built is garbage now; the stop goes on to close forwarders and telemetry.
            return saveFailed(WarmCacheCounters.Failure.MEMORY, e, tmp);
        }
        int entries = writer.entries();
        if (writer.full()) {
            counters.count(WarmCacheCounters.Failure.TOO_LARGE);
            LOG.warning("warm restart: " + file() + " reached " + WarmCacheFile.MAX_FILE_BYTES
                    + " bytes; the cache entries after the first " + entries + " were not saved");
        }
        counters.entriesSaved.add(entries);
        LOG.info("warm restart: saved " + entries + " cache entries of " + blocks.size() + " server blocks to "
                + file());
        return entries;
    }

    private int saveFailed(WarmCacheCounters.Failure failure, Throwable e, Path tmp) {
        counters.count(failure);
        LOG.warning("warm restart: could not write " + file() + ": " + e);
        if (tmp != null) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // Nothing more to do: a stray temporary file is never read.
            }
        }
        return 0;
    }

    /**
     * Puts back what the file holds into the blocks with the same id and fingerprint, at start.
     *
     * @return the entries loaded
     */
    public int load(List<Block> blocks) {
        WarmCacheFile.Snapshot snapshot = read();
        return snapshot == null ? 0 : apply(snapshot, blocks, false);
    }

    /**
     * The timestamp in the file's header, if there is a file this version reads: what a successor
     * polls for ({@link PredecessorMerge}), reading 24 bytes rather than the whole file.
     */
    public OptionalLong savedAtMillis() {
        try (InputStream in = Files.newInputStream(file())) {
            return WarmCacheFile.savedAtMillis(in.readNBytes(WarmCacheFile.HEADER_LENGTH));
        } catch (IOException e) {
            return OptionalLong.empty();
        }
    }

    /**
     * Merges the file into caches that are already serving: only keys a cache holds nothing for
     * are filled (what this process fetched itself is newer), with the aging and validity rules
     * of {@link #load}. Counted with the loaded entries.
     *
     * @return the entries merged
     */
    public int merge(List<Block> blocks) {
        WarmCacheFile.Snapshot snapshot = read();
        return snapshot == null ? 0 : apply(snapshot, blocks, true);
    }

    /** The file decoded, or null (logged and counted) if there is none or it cannot be used. */
    private WarmCacheFile.Snapshot read() {
        byte[] bytes;
        try {
            bytes = readBounded(file());
        } catch (NoSuchFileException e) {
            LOG.info("warm restart: no " + file() + ", starting with empty caches");
            return null;
        } catch (TooLargeException e) {
            return ignore(WarmCacheCounters.Failure.TOO_LARGE, "over " + WarmCacheFile.MAX_FILE_BYTES + " bytes");
        } catch (IOException e) {
            return ignore(WarmCacheCounters.Failure.IO, e.toString());
        }
        try {
            return WarmCacheFile.decode(bytes);
        } catch (WarmCacheFile.FormatException e) {
            return ignore(e.failure(), e.getMessage());
        }
    }

    private int apply(WarmCacheFile.Snapshot snapshot, List<Block> blocks, boolean merging) {
        long downNanos = Math.max(0, clock.millis() - snapshot.savedAtMillis()) * 1_000_000L;
        Map<String, Block> byId = new HashMap<>();
        for (Block b : blocks) {
            byId.put(b.id(), b);
        }
        int loaded = 0;
        int dropped = 0;
        int mismatched = 0;
        int held = 0;
        for (WarmCacheFile.Block saved : snapshot.blocks()) {
            Block block = byId.get(saved.id());
            if (block == null || !block.fingerprint().equals(saved.fingerprint())) {
                counters.count(WarmCacheCounters.Failure.BLOCK_CHANGED);
                LOG.info("warm restart: skipped the " + saved.entries().size() + " saved entries of server block "
                        + saved.id() + ": " + (block == null ? "no such block now" : "its cache or forward settings "
                        + "changed"));
                continue;
            }
            for (WarmCacheFile.Entry e : saved.entries()) {
                switch (restore(block.cache(), e, downNanos, merging)) {
                    case RESTORED -> loaded++;
                    case MISMATCHED -> mismatched++;
                    case HELD -> held++;
                    case UNUSABLE -> dropped++;
                }
            }
        }
        for (int i = 0; i < mismatched; i++) {
            counters.count(WarmCacheCounters.Failure.CORRUPT);
        }
        counters.entriesLoaded.add(loaded);
        String ms = " (" + downNanos / 1_000_000L + " ms old; ";
        if (merging) {
            LOG.info("warm restart: merged " + loaded + " cache entries from the predecessor's " + file() + ms
                    + held + " already cached, " + dropped + " expired or unusable, " + mismatched
                    + " not answering their key dropped)");
        } else {
            LOG.info("warm restart: loaded " + loaded + " cache entries from " + file() + " (down "
                    + downNanos / 1_000_000L + " ms; " + dropped + " expired or unusable, " + mismatched
                    + " not answering their key dropped)");
        }
        return loaded;
    }

    private enum Outcome { RESTORED, HELD, UNUSABLE, MISMATCHED }

    private static Outcome restore(ResponseCache cache, WarmCacheFile.Entry e, long downNanos, boolean merging) {
        AnswerTemplate template = ResponseScanner.scan(Unpooled.wrappedBuffer(e.message()));
        if (template == null || e.name().length == 0 || e.name().length > 255) {
            return Outcome.UNUSABLE;
        }
        if (!answersKey(e)) {
            return Outcome.MISMATCHED;
        }
        QuestionKey key = QuestionKey.of(e.name(), e.qtype(), e.qclass(), e.dnssecOk(), e.checkingDisabled());
        long age = e.ageNanos() + downNanos;
        age = age < 0 ? Long.MAX_VALUE : age;
        if (!merging) {
            return cache.restore(key, template, e.lifetimeSeconds(), age) ? Outcome.RESTORED : Outcome.UNUSABLE;
        }
        if (cache.holds(key)) {
            return Outcome.HELD;
        }
        return cache.restoreIfAbsent(key, template, e.lifetimeSeconds(), age) ? Outcome.RESTORED : Outcome.UNUSABLE;
    }

    /**
     * Whether the message's question (the scanner checked there is exactly one) is the entry's
     * key: name (case-insensitively, RFC 4343), type and class. A file that passed its checksum
     * but pairs a key with another name's answer would otherwise serve that answer for the key.
     */
    static boolean answersKey(WarmCacheFile.Entry e) {
        byte[] m = e.message();
        byte[] name = e.name();
        int at = DnsWire.HEADER_LENGTH;
        if (m.length < at + name.length + 4) {
            return false;
        }
        // The question is the first name in the message: nothing earlier it could point to, so a
        // compression pointer there cannot be nodedns's and compares unequal byte for byte.
        for (int i = 0; i < name.length; i++) {
            if (DnsWire.toLowerAscii(m[at + i]) != DnsWire.toLowerAscii(name[i])) {
                return false;
            }
        }
        ByteBuffer tail = ByteBuffer.wrap(m, at + name.length, 4);
        return Short.toUnsignedInt(tail.getShort()) == e.qtype() && Short.toUnsignedInt(tail.getShort()) == e.qclass();
    }

    private WarmCacheFile.Snapshot ignore(WarmCacheCounters.Failure failure, String why) {
        counters.count(failure);
        LOG.warning("warm restart: ignored " + file() + " (" + failure.name().toLowerCase(java.util.Locale.ROOT)
                + ": " + why + "), its entries not used");
        return null;
    }

    /** The file's bytes, reading at most one byte past the limit to tell an oversized file. */
    private static byte[] readBounded(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] bytes = in.readNBytes(WarmCacheFile.MAX_FILE_BYTES + 1);
            if (bytes.length > WarmCacheFile.MAX_FILE_BYTES) {
                throw new TooLargeException();
            }
            return bytes;
        }
    }

    private static final class TooLargeException extends IOException {
        TooLargeException() {
            super("too large");
        }
    }
}
