package io.nodedns.cache;

import static io.nodedns.cache.ResponseCacheTest.answer;
import static io.nodedns.cache.ResponseCacheTest.key;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nodedns.testing.MillisClock;
import io.nodedns.wire.QuestionKey;
import io.nodedns.wire.WireNames;
import io.nodedns.wire.AnswerTemplate;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/**
 * Warm restarts at the cache level: a cache saved by one "process" (its own ticker) and loaded by
 * the next (a new ticker, a wall clock moved by the downtime); every kind of bad file.
 */
class WarmCacheStoreTest {
    private static final long SECOND = 1_000_000_000L;
    private static final long T0 = 1_700_000_000_000L;
    private static final String FINGERPRINT = "cache 30; forward x";

    @TempDir
    Path dir;

    private final AtomicLong ticker1 = new AtomicLong(77 * SECOND);
    /** The next process's ticker starts elsewhere: nanoTime has no meaning across processes. */
    private final AtomicLong ticker2 = new AtomicLong(5 * SECOND);
    private final WarmCacheCounters counters = new WarmCacheCounters();

    private static CachePolicy policy(long staleSeconds) {
        return new CachePolicy(100, 3600, 5, 100, 1800, 5, 5, PrefetchPolicy.OFF,
                staleSeconds == 0 ? StalePolicy.OFF : new StalePolicy(staleSeconds * SECOND, StalePolicy.Refresh.IMMEDIATE),
                DisabledZones.NONE);
    }

    private static Clock at(long millis) {
        return Clock.fixed(Instant.ofEpochMilli(millis), ZoneOffset.UTC);
    }

    private WarmCacheStore store(long wallMillis) {
        return new WarmCacheStore(dir, at(wallMillis), counters);
    }

    /** A cache holding a.example. (TTL 100), b.example. (TTL 20) and an NXDOMAIN (SOA minimum 60), saved at T0 after 10 s. */
    private ResponseCache savedCache(long staleSeconds) throws Exception {
        ResponseCache first = new ResponseCache(policy(staleSeconds), ticker1::get);
        first.put(key("a.example."), answer("a.example.", 100));
        first.put(key("b.example."), answer("b.example.", 20));
        first.put(key("missing.example."), ResponseCacheTest.denial(Rcode.NXDOMAIN, 60, 60, true));
        ticker1.addAndGet(10 * SECOND);
        assertEquals(3, store(T0).save(List.of(new WarmCacheStore.Block("example.:53", FINGERPRINT, first))));
        return first;
    }

    @Test
    void aRoundTripLowersTtlsByTheTimeSpentDownAndDropsWhatExpired() throws Exception {
        ResponseCache first = savedCache(0);
        ResponseCache second = new ResponseCache(policy(0), ticker2::get);
        int loaded = store(T0 + 30_000).load(List.of(new WarmCacheStore.Block("example.:53", FINGERPRINT, second)));

        assertEquals(2, loaded, "b.example. (20 s) expired during the 10 s up + 30 s down");
        CachedAnswer a = second.get(key("a.example."));
        assertNotNull(a);
        assertEquals(40, a.ageSeconds(second.nowNanos()), "10 s old at the save, 30 s down");
        assertEquals(60, a.remainingSeconds(second.nowNanos()));
        assertEquals(100, a.lifetimeSeconds());
        assertArrayEquals(first.get(key("a.example.")).template().messageCopy(), a.template().messageCopy());
        assertNull(second.get(key("b.example.")));
        CachedAnswer nx = second.get(key("missing.example."));
        assertEquals(20, nx.remainingSeconds(second.nowNanos()), "the denial's 60 s less 40");
        assertEquals(1, second.successSize());
        assertEquals(1, second.denialSize());
        assertEquals(3, counters.entriesSaved.sum());
        assertEquals(2, counters.entriesLoaded.sum());

        ticker2.addAndGet(60 * SECOND);
        assertNull(second.get(key("a.example.")), "it expires when it would have, had nodedns kept running");
    }

    @Test
    void entriesWithinTheServeStaleWindowAreLoadedStale() throws Exception {
        savedCache(3600);
        ResponseCache second = new ResponseCache(policy(3600), ticker2::get);
        int loaded = store(T0 + 600_000).load(List.of(new WarmCacheStore.Block("example.:53", FINGERPRINT, second)));

        assertEquals(3, loaded, "10 minutes down: all expired, all within the hour of serve_stale");
        CachedAnswer a = second.get(key("a.example."));
        assertFalse(a.isFresh(second.nowNanos()));
        assertEquals(100 - 610, a.remainingSeconds(second.nowNanos()));
        ticker2.addAndGet((3600 - 510 - 1) * SECOND);
        assertNotNull(second.get(key("a.example.")), "a second before its stale window ends");
        ticker2.addAndGet(SECOND);
        assertNull(second.get(key("a.example.")), "gone when the window ends");

        ResponseCache past = new ResponseCache(policy(3600), ticker2::get);
        counters.entriesLoaded.reset();
        assertEquals(0, store(T0 + 3_700_000).load(List.of(new WarmCacheStore.Block("example.:53", FINGERPRINT, past))),
                "down longer than lifetime + window: nothing");
    }

    @Test
    void aBlockWhoseSettingsChangedOrThatIsGoneIsSkipped() throws Exception {
        savedCache(0);
        ResponseCache changed = new ResponseCache(policy(0), ticker2::get);
        assertEquals(0, store(T0).load(List.of(new WarmCacheStore.Block("example.:53", "cache 60; forward x", changed))));
        assertEquals(0, changed.successSize());
        assertEquals(1, counters.failures(WarmCacheCounters.Failure.BLOCK_CHANGED).sum(), "settings changed");

        ResponseCache other = new ResponseCache(policy(0), ticker2::get);
        assertEquals(0, store(T0).load(List.of(new WarmCacheStore.Block("other.:53", FINGERPRINT, other))));
        assertEquals(0, other.successSize());
        assertEquals(2, counters.failures(WarmCacheCounters.Failure.BLOCK_CHANGED).sum(), "example.:53 is gone");

        ResponseCache same = new ResponseCache(policy(0), ticker2::get);
        assertEquals(3, store(T0).load(List.of(new WarmCacheStore.Block("example.:53", FINGERPRINT, same))),
                "the same block, no time down: all three");
        assertEquals(2, counters.failures(WarmCacheCounters.Failure.BLOCK_CHANGED).sum());
    }

    private WarmCacheCounters.Failure loadBroken(byte[] bytes) throws Exception {
        Files.write(dir.resolve(WarmCacheStore.FILE_NAME), bytes);
        WarmCacheCounters fresh = new WarmCacheCounters();
        ResponseCache target = new ResponseCache(policy(0), ticker2::get);
        assertEquals(0, new WarmCacheStore(dir, at(T0), fresh).load(
                List.of(new WarmCacheStore.Block("example.:53", FINGERPRINT, target))));
        assertEquals(0, target.successSize() + target.denialSize());
        WarmCacheCounters.Failure seen = null;
        for (WarmCacheCounters.Failure f : WarmCacheCounters.Failure.values()) {
            if (fresh.failures(f).sum() > 0) {
                assertNull(seen, "one failure counted per file");
                assertEquals(1, fresh.failures(f).sum());
                seen = f;
            }
        }
        return seen;
    }

    @Test
    void everyKindOfBadFileIsIgnoredAndCountedNeverThrown() throws Exception {
        savedCache(0);
        byte[] good = Files.readAllBytes(dir.resolve(WarmCacheStore.FILE_NAME));

        assertEquals(WarmCacheCounters.Failure.FOREIGN, loadBroken("{\"not\": \"ours\"}".getBytes()));
        assertEquals(WarmCacheCounters.Failure.FOREIGN, loadBroken(new byte[0]));

        byte[] newer = good.clone();
        newer[9] = 3;
        assertEquals(WarmCacheCounters.Failure.VERSION, loadBroken(newer));
        byte[] version1 = good.clone();
        version1[9] = 1;
        assertEquals(WarmCacheCounters.Failure.VERSION, loadBroken(version1), "version 1 files are ignored");
        assertEquals(WarmCacheCounters.Failure.VERSION, loadBroken(newer));

        assertEquals(WarmCacheCounters.Failure.TRUNCATED, loadBroken(java.util.Arrays.copyOf(good, good.length - 1)));
        assertEquals(WarmCacheCounters.Failure.TRUNCATED, loadBroken(java.util.Arrays.copyOf(good, 12)));

        byte[] flipped = good.clone();
        flipped[WarmCacheFile.HEADER_LENGTH + 7] ^= 0x40;
        assertEquals(WarmCacheCounters.Failure.CORRUPT, loadBroken(flipped));
        byte[] badCrc = good.clone();
        badCrc[badCrc.length - 1] ^= 1;
        assertEquals(WarmCacheCounters.Failure.CORRUPT, loadBroken(badCrc));
        byte[] longer = java.util.Arrays.copyOf(good, good.length + 3);
        assertEquals(WarmCacheCounters.Failure.CORRUPT, loadBroken(longer));

        // A marker that is neither "more" nor "end", with a valid checksum.
        byte[] badMarker = good.clone();
        badMarker[WarmCacheFile.HEADER_LENGTH] = 7;
        fixCrc(badMarker);
        assertEquals(WarmCacheCounters.Failure.CORRUPT, loadBroken(badMarker));
        // A huge id length with a valid checksum: refused before any allocation it asks for.
        byte[] hugeLength = good.clone();
        ByteBuffer.wrap(hugeLength).putShort(WarmCacheFile.HEADER_LENGTH + 1, (short) 0xFFFF);
        fixCrc(hugeLength);
        assertEquals(WarmCacheCounters.Failure.CORRUPT, loadBroken(hugeLength));

        Path file = dir.resolve(WarmCacheStore.FILE_NAME);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(WarmCacheFile.MAX_FILE_BYTES + 1L);
        }
        WarmCacheCounters fresh = new WarmCacheCounters();
        assertEquals(0, new WarmCacheStore(dir, at(T0), fresh).load(List.of()));
        assertEquals(1, fresh.failures(WarmCacheCounters.Failure.TOO_LARGE).sum());
        Files.delete(file);

        WarmCacheCounters none = new WarmCacheCounters();
        assertEquals(0, new WarmCacheStore(dir, at(T0), none).load(List.of()), "no file: a cold start");
        for (WarmCacheCounters.Failure f : WarmCacheCounters.Failure.values()) {
            assertEquals(0, none.failures(f).sum(), "a missing file is no failure: " + f);
        }
    }

    /** The checksum of version 2: the body, then the header (whose body length is patched last). */
    private static void fixCrc(byte[] file) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(file, WarmCacheFile.HEADER_LENGTH, file.length - 4 - WarmCacheFile.HEADER_LENGTH);
        crc.update(file, 0, WarmCacheFile.HEADER_LENGTH);
        ByteBuffer.wrap(file).putInt(file.length - 4, (int) crc.getValue());
    }

    @Test
    void aSaveReplacesTheFileAtomicallyAndAnUnwritableDirIsCountedNotThrown() throws Exception {
        // Another writer's temporary file, mid-write: a save neither uses nor removes it.
        Path othersTemp = Files.writeString(dir.resolve(WarmCacheStore.FILE_NAME + ".tmp"), "another writer");
        savedCache(0);
        try (var files = Files.list(dir)) {
            assertEquals(List.of(WarmCacheStore.FILE_NAME, othersTemp.getFileName().toString()),
                    files.map(f -> f.getFileName().toString()).sorted().toList(), "our temporary file was renamed");
        }
        assertEquals("another writer", Files.readString(othersTemp));
        Path notADir = Files.writeString(dir.resolve("file"), "x");
        WarmCacheCounters failing = new WarmCacheCounters();
        ResponseCache cache = new ResponseCache(policy(0), ticker1::get);
        assertEquals(0, new WarmCacheStore(notADir, at(T0), failing)
                .save(List.of(new WarmCacheStore.Block("example.:53", FINGERPRINT, cache))));
        assertEquals(1, failing.failures(WarmCacheCounters.Failure.IO).sum());
        assertEquals(0, failing.entriesSaved.sum());
    }

    @Test
    void dnssecAndCheckingDisabledKeysSurvive() throws Exception {
        ResponseCache first = new ResponseCache(policy(0), ticker1::get);
        QuestionKey doKey = QuestionKey.of(WireNames.toWire("a.example."), Type.A, DClass.IN, true, true);
        first.put(doKey, answer("a.example.", 100));
        store(T0).save(List.of(new WarmCacheStore.Block("example.:53", FINGERPRINT, first)));
        ResponseCache second = new ResponseCache(policy(0), ticker2::get);
        assertEquals(1, store(T0).load(List.of(new WarmCacheStore.Block("example.:53", FINGERPRINT, second))));
        assertNotNull(second.get(doKey));
        assertNull(second.get(key("a.example.")), "the DO+CD entry does not answer a plain query");
        assertTrue(second.get(doKey).isFresh(second.nowNanos()));
    }

    /** A file with one block holding {@code entries}, written with the streaming writer. */
    private void writeFile(long savedAtMillis, WarmCacheFile.Entry... entries) throws Exception {
        try (FileChannel out = FileChannel.open(dir.resolve(WarmCacheStore.FILE_NAME), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            WarmCacheFile.Writer writer = new WarmCacheFile.Writer(out, savedAtMillis);
            assertTrue(writer.beginBlock("example.:53", FINGERPRINT));
            for (WarmCacheFile.Entry e : entries) {
                assertTrue(writer.entry(e));
            }
            writer.finish();
        }
    }

    private static WarmCacheFile.Entry entry(String keyName, int qtype, String answerName) throws Exception {
        return new WarmCacheFile.Entry(WireNames.toWire(keyName), qtype, DClass.IN, false, false, 100, 0,
                answer(answerName, 100).messageCopy());
    }

    @Test
    void anEntryWhoseMessageAsksAnotherQuestionIsSkippedAsCorrupt() throws Exception {
        writeFile(T0, entry("a.example.", Type.A, "A.Example."), entry("b.example.", Type.A, "a.example."),
                entry("c.example.", Type.AAAA, "c.example."), entry("d.example.", Type.A, "d.example."));
        ResponseCache target = new ResponseCache(policy(0), ticker2::get);
        assertEquals(2, store(T0).load(List.of(new WarmCacheStore.Block("example.:53", FINGERPRINT, target))),
                "a.example. (its question in another case, RFC 4343) and d.example.");
        assertNotNull(target.get(key("a.example.")));
        assertNotNull(target.get(key("d.example.")));
        assertNull(target.get(key("b.example.")), "a.example.'s answer is not b.example.'s");
        assertNull(target.get(QuestionKey.of(WireNames.toWire("c.example."), Type.AAAA, DClass.IN, false, false)),
                "an A answer is not an AAAA answer");
        assertEquals(2, counters.failures(WarmCacheCounters.Failure.CORRUPT).sum());
    }

    @Test
    void aMergeFillsOnlyTheKeysTheRunningCacheDoesNotHold() throws Exception {
        savedCache(0);
        ResponseCache running = new ResponseCache(policy(0), ticker2::get);
        AnswerTemplate own = answer("a.example.", 300);
        running.put(key("a.example."), own);
        assertEquals(2, store(T0 + 1_000).merge(List.of(new WarmCacheStore.Block("example.:53", FINGERPRINT, running))),
                "b.example. and missing.example.; a.example. was fetched by this process");
        assertEquals(300, running.get(key("a.example.")).lifetimeSeconds(), "its own answer kept");
        assertEquals(0, running.get(key("a.example.")).ageSeconds(running.nowNanos()));
        assertEquals(11, running.get(key("b.example.")).ageSeconds(running.nowNanos()), "aged as a load ages");
        assertNotNull(running.get(key("missing.example.")));
        assertEquals(2, counters.entriesLoaded.sum());
    }

    @Test
    void aSaveStopsAddingEntriesAtTheBoundAndKeepsWhatFits() throws Exception {
        byte[] message = new byte[60_000];
        byte[] name = WireNames.toWire("a.example.");
        int entrySize = 1 + 1 + name.length + 2 + 2 + 1 + 4 + 8 + 2 + message.length;
        String id = "example.:53";
        int blockHead = 1 + 2 + id.length() + 2 + FINGERPRINT.length();
        int fitting = (WarmCacheFile.MAX_FILE_BYTES - WarmCacheFile.HEADER_LENGTH - blockHead - 2 - 4) / entrySize;
        Path file = dir.resolve(WarmCacheStore.FILE_NAME);
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            WarmCacheFile.Writer writer = new WarmCacheFile.Writer(out, T0);
            assertTrue(writer.beginBlock(id, FINGERPRINT));
            int accepted = 0;
            while (writer.entry(new WarmCacheFile.Entry(name, Type.A, DClass.IN, false, false, 100, 0, message))) {
                accepted++;
            }
            assertEquals(fitting, accepted);
            assertTrue(writer.full());
            assertFalse(writer.beginBlock("other.:53", FINGERPRINT), "nothing more once full");
            writer.finish();
        }
        long size = Files.size(file);
        assertEquals(WarmCacheFile.HEADER_LENGTH + blockHead + (long) fitting * entrySize + 2 + 4, size);
        assertTrue(size <= WarmCacheFile.MAX_FILE_BYTES);
        WarmCacheFile.Snapshot read = WarmCacheFile.decode(Files.readAllBytes(file));
        assertEquals(T0, read.savedAtMillis());
        assertEquals(1, read.blocks().size());
        assertEquals(fitting, read.blocks().get(0).entries().size());
    }

    @Test
    void aSuccessorMergesOnlyAFileSavedAfterItsStartAndOnlyWithinTheWindow() throws Exception {
        AtomicLong wall = new AtomicLong(T0);
        Clock clock = new MillisClock(wall::get);
        writeFile(T0 - 1, entry("old.example.", Type.A, "old.example."));
        ResponseCache running = new ResponseCache(policy(0), ticker2::get);
        List<WarmCacheStore.Block> blocks = List.of(new WarmCacheStore.Block("example.:53", FINGERPRINT, running));
        WarmCacheStore store = new WarmCacheStore(dir, clock, counters);
        PredecessorMerge merge = new PredecessorMerge(store, clock, T0);
        int[] asked = {0};
        assertFalse(merge.poll(() -> {
            asked[0]++;
            return blocks;
        }), "the file is the one loaded at start");
        assertEquals(0, asked[0]);

        wall.addAndGet(5_000);
        writeFile(T0 + 4_000, entry("new.example.", Type.A, "new.example."));
        assertTrue(merge.poll(() -> {
            asked[0]++;
            return blocks;
        }), "merged: over");
        assertEquals(1, asked[0]);
        assertNotNull(running.get(key("new.example.")));
        assertNull(running.get(key("old.example.")));
        assertEquals(1, counters.entriesLoaded.sum());
        assertTrue(merge.poll(() -> {
            throw new AssertionError("merged once only");
        }));

        ResponseCache other = new ResponseCache(policy(0), ticker2::get);
        PredecessorMerge late = new PredecessorMerge(store, clock, T0 + 5_000);
        wall.set(T0 + 5_000 + PredecessorMerge.WINDOW.toMillis() - 1);
        assertFalse(late.poll(() -> List.of(new WarmCacheStore.Block("example.:53", FINGERPRINT, other))));
        wall.addAndGet(1);
        assertTrue(late.poll(() -> List.of(new WarmCacheStore.Block("example.:53", FINGERPRINT, other))),
                "the window passed");
        writeFile(T0 + 200_000, entry("late.example.", Type.A, "late.example."));
        assertTrue(late.poll(() -> List.of(new WarmCacheStore.Block("example.:53", FINGERPRINT, other))));
        assertNull(other.get(key("late.example.")), "not merged after the window");
    }
}
