package io.nodedns.cache;

import io.netty.buffer.Unpooled;
import io.nodedns.wire.AnswerTemplate;
import io.nodedns.wire.QuestionKey;
import io.nodedns.wire.ResponseScanner;
import java.io.IOException;
import java.io.InputStream;
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
     * Writes every block's entries, replacing the previous file atomically. Failures are logged and
     * counted, not thrown: a stop must go on.
     *
     * @return the entries written, 0 on failure
     */
    public int save(List<Block> blocks) {
        List<WarmCacheFile.Block> saved = blocks.stream()
                .map(b -> new WarmCacheFile.Block(b.id(), b.fingerprint(), b.cache().snapshot())).toList();
        int entries = saved.stream().mapToInt(b -> b.entries().size()).sum();
        Path tmp = dir.resolve(FILE_NAME + ".tmp");
        try {
            byte[] bytes = WarmCacheFile.encode(new WarmCacheFile.Snapshot(clock.millis(), saved));
            Files.createDirectories(dir);
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    out.write(buffer);
                }
                // On disk before the rename makes it the file: a power cut must not leave a renamed empty file.
                out.force(true);
            }
            try {
                Files.move(tmp, file(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file(), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException e) {
            counters.count(WarmCacheCounters.Failure.IO);
            LOG.warning("warm restart: could not write " + file() + ": " + e);
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // Nothing more to do: the next save truncates it.
            }
            return 0;
        }
        counters.entriesSaved.add(entries);
        LOG.info("warm restart: saved " + entries + " cache entries of " + blocks.size() + " server blocks to "
                + file());
        return entries;
    }

    /**
     * Puts back what the file holds into the blocks with the same id and fingerprint.
     *
     * @return the entries loaded
     */
    public int load(List<Block> blocks) {
        byte[] bytes;
        try {
            bytes = readBounded(file());
        } catch (NoSuchFileException e) {
            LOG.info("warm restart: no " + file() + ", starting with empty caches");
            return 0;
        } catch (TooLargeException e) {
            return ignore(WarmCacheCounters.Failure.TOO_LARGE, "over " + WarmCacheFile.MAX_FILE_BYTES + " bytes");
        } catch (IOException e) {
            return ignore(WarmCacheCounters.Failure.IO, e.toString());
        }
        WarmCacheFile.Snapshot snapshot;
        try {
            snapshot = WarmCacheFile.decode(bytes);
        } catch (WarmCacheFile.FormatException e) {
            return ignore(e.failure(), e.getMessage());
        }
        long downNanos = Math.max(0, clock.millis() - snapshot.savedAtMillis()) * 1_000_000L;
        Map<String, Block> byId = new HashMap<>();
        for (Block b : blocks) {
            byId.put(b.id(), b);
        }
        int loaded = 0;
        int dropped = 0;
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
                if (restore(block.cache(), e, downNanos)) {
                    loaded++;
                } else {
                    dropped++;
                }
            }
        }
        counters.entriesLoaded.add(loaded);
        LOG.info("warm restart: loaded " + loaded + " cache entries from " + file() + " (down "
                + downNanos / 1_000_000L + " ms; " + dropped + " expired or unusable dropped)");
        return loaded;
    }

    private static boolean restore(ResponseCache cache, WarmCacheFile.Entry e, long downNanos) {
        AnswerTemplate template = ResponseScanner.scan(Unpooled.wrappedBuffer(e.message()));
        if (template == null || e.name().length == 0 || e.name().length > 255) {
            return false;
        }
        QuestionKey key = QuestionKey.of(e.name(), e.qtype(), e.qclass(), e.dnssecOk(), e.checkingDisabled());
        long age = e.ageNanos() + downNanos;
        return cache.restore(key, template, e.lifetimeSeconds(), age < 0 ? Long.MAX_VALUE : age);
    }

    private int ignore(WarmCacheCounters.Failure failure, String why) {
        counters.count(failure);
        LOG.warning("warm restart: ignored " + file() + " (" + failure.name().toLowerCase(java.util.Locale.ROOT)
                + ": " + why + "), starting with empty caches");
        return 0;
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
