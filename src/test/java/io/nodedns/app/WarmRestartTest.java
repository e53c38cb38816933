package io.nodedns.app;

import static io.nodedns.app.DaemonFixture.ask;
import static io.nodedns.app.DaemonFixture.hostPort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nodedns.cache.WarmCacheCounters;
import io.nodedns.cache.WarmCacheStore;
import io.nodedns.config.CorefileParser;
import io.nodedns.metrics.SetupErrors;
import io.nodedns.testing.MillisClock;
import io.nodedns.upstream.FakeUpstream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * {@code -cache-dir} end to end: a daemon answers from upstream and stops; the next daemon on the
 * same directory answers its first query from the cache, without asking the upstream.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WarmRestartTest {
    @TempDir
    Path dir;

    private final DaemonFixture fixture = new DaemonFixture(1);
    /** The wall clock both daemons read: the test moves it to stand for the time nodedns was down. */
    private final AtomicLong wallMillis = new AtomicLong(1_700_000_000_000L);

    @AfterEach
    void tearDown() throws Exception {
        fixture.close();
    }

    private Clock wall() {
        return new MillisClock(wallMillis::get);
    }

    private Daemon start(String corefile) throws Exception {
        return Daemon.start(CorefileParser.parse("test", corefile, 53), fixture.transport(), null, new SetupErrors(),
                message -> { }, dir, wall());
    }

    private static String corefile(FakeUpstream upstream, int cacheTtl) {
        return "example.:0 {\n  bind 127.0.0.1\n  cache " + cacheTtl + "\n  forward . " + hostPort(upstream) + "\n}\n";
    }

    @Test
    void afterARestartTheFirstQueryIsACacheHitWithItsTtlLoweredByTheDowntime() throws Exception {
        FakeUpstream upstream = fixture.upstream("192.0.2.7");
        Daemon first = start(corefile(upstream, 300));
        Message fromUpstream = ask(first.listeners().get(0), "app.example.", Type.A);
        assertEquals(Rcode.NOERROR, fromUpstream.getRcode());
        assertEquals(1, upstream.queries());
        long ttl = fromUpstream.getSection(Section.ANSWER).get(0).getTTL();
        first.stop();
        assertEquals(1, first.warmCounters().entriesSaved.sum());
        assertTrue(Files.size(dir.resolve(WarmCacheStore.FILE_NAME)) > 0);

        wallMillis.addAndGet(20_000);
        Daemon second = start(corefile(upstream, 300));
        assertEquals(1, second.warmCounters().entriesLoaded.sum(), "loaded before the listeners answered");
        Message warm = ask(second.listeners().get(0), "app.example.", Type.A);
        assertEquals(Rcode.NOERROR, warm.getRcode());
        assertEquals("192.0.2.7", ((ARecord) warm.getSection(Section.ANSWER).get(0)).getAddress().getHostAddress());
        assertEquals(1, upstream.queries(), "the first query after the restart was a cache hit");
        long warmTtl = warm.getSection(Section.ANSWER).get(0).getTTL();
        assertTrue(warmTtl <= ttl - 20 && warmTtl >= ttl - 22,
                "TTL " + ttl + " lowered by the 20 s down (and the test's own seconds): " + warmTtl);
        second.stop();
    }

    @Test
    void aChangedCacheSettingStartsColdAndCountsTheSkippedBlock() throws Exception {
        FakeUpstream upstream = fixture.upstream("192.0.2.7");
        Daemon first = start(corefile(upstream, 300));
        ask(first.listeners().get(0), "app.example.", Type.A);
        first.stop();

        Daemon second = start(corefile(upstream, 60));
        assertEquals(0, second.warmCounters().entriesLoaded.sum());
        assertEquals(1, second.warmCounters().failures(WarmCacheCounters.Failure.BLOCK_CHANGED).sum());
        ask(second.listeners().get(0), "app.example.", Type.A);
        assertEquals(2, upstream.queries(), "cold: asked the upstream again");
        second.stop();
    }

    /** A {@link Daemon.Repeater} the test runs by hand: no sleeps, no second thread. */
    private static final class ManualRepeater implements Daemon.Repeater {
        Runnable task;
        Duration period;
        boolean cancelled;

        @Override
        public Runnable every(Duration period, Runnable task) {
            this.period = period;
            this.task = task;
            return () -> cancelled = true;
        }
    }

    @Test
    void aSurgeSuccessorMergesThePredecessorsCacheSavedAfterItsStartAndKeepsWhatItFetchedItself() throws Exception {
        FakeUpstream upstream = fixture.upstream("192.0.2.7");
        Daemon old = start(corefile(upstream, 300));
        long ttl = ask(old.listeners().get(0), "only-old.example.", Type.A).getSection(Section.ANSWER).get(0).getTTL();
        ask(old.listeners().get(0), "both.example.", Type.A);
        assertEquals(2, upstream.queries());

        // maxSurge: the new pod starts and is Ready while the old one still serves (no file yet).
        wallMillis.addAndGet(1_000);
        ManualRepeater repeater = new ManualRepeater();
        Daemon successor = Daemon.start(CorefileParser.parse("test", corefile(upstream, 300), 53), fixture.transport(),
                null, new SetupErrors(), message -> { }, dir, wall(), repeater);
        assertEquals(Duration.ofSeconds(1), repeater.period);
        ask(successor.listeners().get(0), "both.example.", Type.A);
        assertEquals(3, upstream.queries(), "the successor fetched both.example. itself");
        repeater.task.run();
        assertEquals(0, successor.warmCounters().entriesLoaded.sum(), "nothing saved since its start yet");
        assertFalse(repeater.cancelled);

        // Then the old pod gets SIGTERM, drains and saves; 20 s later the successor polls.
        wallMillis.addAndGet(1_000);
        old.stop();
        assertEquals(2, old.warmCounters().entriesSaved.sum());
        wallMillis.addAndGet(20_000);
        repeater.task.run();
        assertEquals(1, successor.warmCounters().entriesLoaded.sum(), "only-old.example. merged, both.example. kept");
        assertTrue(repeater.cancelled, "one merge, then the polling ends");

        Message merged = ask(successor.listeners().get(0), "only-old.example.", Type.A);
        assertEquals("192.0.2.7", ((ARecord) merged.getSection(Section.ANSWER).get(0)).getAddress().getHostAddress());
        assertEquals(3, upstream.queries(), "a name the old pod had cached is a hit in the successor");
        long mergedTtl = merged.getSection(Section.ANSWER).get(0).getTTL();
        assertTrue(mergedTtl <= ttl - 20 && mergedTtl >= ttl - 23, "aged by the file's age: " + mergedTtl);
        long ownTtl = ask(successor.listeners().get(0), "both.example.", Type.A).getSection(Section.ANSWER).get(0)
                .getTTL();
        assertTrue(ownTtl >= ttl - 3, "its own answer, not the old pod's aged one: " + ownTtl);
        assertEquals(3, upstream.queries());
        successor.stop();
    }
}
