package io.nodedns.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nodedns.wire.AnswerTemplate;
import io.nodedns.wire.QuestionKey;
import io.nodedns.testing.Templates;
import io.nodedns.wire.WireNames;
import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** Lifetimes and capacities of cached answers (CoreDNS cache plugin rules, RFC 2308). */
class ResponseCacheTest {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

    static QuestionKey key(String name) {
        return QuestionKey.of(WireNames.toWire(name), Type.A, DClass.IN, false, false);
    }

    static AnswerTemplate answer(String name, long ttl) throws Exception {
        Message m = new Message(0);
        m.getHeader().setFlag(Flags.QR);
        Name n = Name.fromString(name);
        m.addRecord(Record.newRecord(n, Type.A, DClass.IN), Section.QUESTION);
        m.addRecord(new ARecord(n, DClass.IN, ttl, InetAddress.getByName("127.0.0.9")), Section.ANSWER);
        return scan(m);
    }

    static AnswerTemplate denial(int rcode, long soaTtl, long minimum, boolean withSoa) throws Exception {
        Message m = new Message(0);
        m.getHeader().setFlag(Flags.QR);
        m.getHeader().setRcode(rcode);
        Name n = Name.fromString("missing.example.");
        m.addRecord(Record.newRecord(n, Type.A, DClass.IN), Section.QUESTION);
        if (withSoa) {
            m.addRecord(new SOARecord(Name.fromString("example."), DClass.IN, soaTtl, Name.fromString("ns.example."),
                    Name.fromString("h.example."), 1, 1, 1, 1, minimum), Section.AUTHORITY);
        }
        return scan(m);
    }

    static AnswerTemplate scan(Message m) {
        return Templates.scan(m.toWire());
    }

    private ResponseCache cache(CachePolicy policy) {
        return new ResponseCache(policy, nanos::get);
    }

    private void advanceSeconds(long s) {
        nanos.addAndGet(s * 1_000_000_000L);
    }

    @Test
    void successLivesForItsTtlClampedToTheConfiguredMaximum() throws Exception {
        ResponseCache cache = cache(new CachePolicy(100, 30, 5, 100, 5, 5, 5));
        CachedAnswer stored = cache.put(key("a.example."), answer("a.example.", 300));
        assertEquals(30, stored.lifetimeSeconds());
        advanceSeconds(29);
        CachedAnswer hit = cache.get(key("A.EXAMPLE."));
        assertSame(stored, hit, "lookups are case-insensitive");
        assertEquals(29, hit.ageSeconds(cache.nowNanos()));
        advanceSeconds(1);
        assertNull(cache.get(key("a.example.")));
    }

    @Test
    void shortTtlsAreRaisedToTheMinimum() throws Exception {
        ResponseCache cache = cache(CachePolicy.coreDnsDefaults());
        assertEquals(5, cache.put(key("a.example."), answer("a.example.", 0)).lifetimeSeconds());
        advanceSeconds(4);
        assertNotNull(cache.get(key("a.example.")));
    }

    @Test
    void negativeAnswersUseTheSoaRuleAndDenialBounds() throws Exception {
        ResponseCache cache = cache(new CachePolicy(100, 3600, 5, 100, 5, 1, 5));
        CachedAnswer nx = cache.put(key("missing.example."), denial(Rcode.NXDOMAIN, 3600, 30, true));
        assertEquals(5, nx.lifetimeSeconds(), "min(3600, 30) = 30, clamped to the denial maximum of 5");
        CachedAnswer nodata = cache.put(key("nodata.example."), denial(Rcode.NOERROR, 2, 30, true));
        assertEquals(2, nodata.lifetimeSeconds(), "SOA TTL 2 is smaller than MINIMUM 30");
        assertEquals(2, cache.denialSize());
        assertEquals(0, cache.successSize());
    }

    @Test
    void negativeAnswerWithoutSoaIsNotCached() throws Exception {
        ResponseCache cache = cache(CachePolicy.coreDnsDefaults());
        CachedAnswer served = cache.put(key("missing.example."), denial(Rcode.NXDOMAIN, 0, 0, false));
        assertEquals(Long.MAX_VALUE, served.lifetimeSeconds(), "served once with its TTLs as they came");
        assertNull(cache.get(key("missing.example.")));
    }

    @Test
    void servfailIsCachedBrieflyAndCanBeDisabled() throws Exception {
        ResponseCache cache = cache(CachePolicy.coreDnsDefaults());
        assertEquals(5, cache.put(key("sf.example."), denial(Rcode.SERVFAIL, 0, 0, false)).lifetimeSeconds());
        assertNotNull(cache.get(key("sf.example.")));
        ResponseCache off = cache(new CachePolicy(10, 3600, 5, 10, 1800, 5, 0));
        off.put(key("sf.example."), denial(Rcode.SERVFAIL, 0, 0, false));
        assertNull(off.get(key("sf.example.")));
    }

    @Test
    void refusedAndTruncatedAnswersAreNotCached() throws Exception {
        ResponseCache cache = cache(CachePolicy.coreDnsDefaults());
        cache.put(key("r.example."), denial(Rcode.REFUSED, 60, 60, true));
        assertNull(cache.get(key("r.example.")));

        Message tc = new Message(0);
        tc.getHeader().setFlag(Flags.QR);
        tc.getHeader().setFlag(Flags.TC);
        tc.addRecord(Record.newRecord(Name.fromString("tc.example."), Type.A, DClass.IN), Section.QUESTION);
        cache.put(key("tc.example."), scan(tc));
        assertNull(cache.get(key("tc.example.")));
    }

    @Test
    void aPositiveAnswerReplacesAnEarlierDenialAndViceVersa() throws Exception {
        ResponseCache cache = cache(CachePolicy.coreDnsDefaults());
        QuestionKey k = key("flip.example.");
        cache.put(k, denial(Rcode.NXDOMAIN, 60, 60, true));
        cache.put(k, answer("flip.example.", 60));
        cache.cleanUp();
        assertEquals(0, cache.denialSize(), "the denial was dropped when the name came to exist");
        assertEquals(io.nodedns.wire.ResponseKind.SUCCESS, cache.get(k).template().kind());
        cache.put(k, denial(Rcode.NXDOMAIN, 60, 60, true));
        assertEquals(io.nodedns.wire.ResponseKind.NXDOMAIN, cache.get(k).template().kind());
        cache.cleanUp();
        assertEquals(0, cache.successSize());
    }

    @Test
    void capacityBoundsEachClassSeparately() throws Exception {
        ResponseCache cache = cache(new CachePolicy(50, 3600, 5, 50, 1800, 5, 5));
        for (int i = 0; i < 500; i++) {
            cache.put(key("n" + i + ".example."), answer("n" + i + ".example.", 60));
        }
        cache.put(key("missing.example."), denial(Rcode.NXDOMAIN, 60, 60, true));
        cache.cleanUp();
        assertEquals(50, cache.successSize());
        assertEquals(1, cache.denialSize(), "positive churn does not evict denials");
    }

    @Test
    void hashTablesAreSizedForTheCapacityUpFrontUpToALimit() {
        // Growing a full table re-bins every entry on the event loop that inserts (RESULTS.md):
        // a cache up to the limit is sized once for its capacity and the entries Caffeine holds
        // before it evicts; a larger one grows from there.
        int lag = ResponseCache.EVICTION_LAG_ENTRIES;
        assertEquals(9984 + lag, ResponseCache.presizedEntries(9984), "node-local-dns's capacity");
        assertEquals(100_000 + lag, ResponseCache.presizedEntries(100_000));
        assertEquals(0, ResponseCache.presizedEntries(0), "a cache that holds nothing");
        assertEquals(ResponseCache.MAX_PRESIZED_ENTRIES + lag, ResponseCache.presizedEntries(10_000_000));
        assertEquals(131_072, ResponseCache.MAX_PRESIZED_ENTRIES);
    }

    @Test
    void eachCacheIsBuiltWithItsPresizedTable() {
        String builder = ResponseCache.bounded(9984, 8L << 20).toString();
        assertTrue(builder.contains("initialCapacity=" + ResponseCache.presizedEntries(9984)), builder);
    }

    @Test
    void aPresizedCacheStillHoldsNoMoreThanItsCapacity() throws Exception {
        ResponseCache cache = cache(new CachePolicy(9984, 3600, 5, 9984, 1800, 5, 5));
        for (int i = 0; i < 12_000; i++) {
            cache.put(key("n" + i + ".example."), answer("n" + i + ".example.", 60));
        }
        cache.cleanUp();
        assertEquals(9984, cache.successSize());
    }

    private static CachePolicy withStale(long staleSeconds) {
        return new CachePolicy(100, 3600, 5, 100, 1800, 5, 5, PrefetchPolicy.OFF,
                new StalePolicy(staleSeconds * 1_000_000_000L, StalePolicy.Refresh.IMMEDIATE), DisabledZones.NONE);
    }

    @Test
    void serveStaleKeepsEntriesPastTheirLifetimeForItsDurationOnly() throws Exception {
        ResponseCache cache = cache(withStale(100));
        CachedAnswer stored = cache.put(key("a.example."), answer("a.example.", 30));
        advanceSeconds(29);
        assertTrue(cache.get(key("a.example.")).isFresh(cache.nowNanos()));
        advanceSeconds(1);
        CachedAnswer stale = cache.get(key("a.example."));
        assertSame(stored, stale, "kept past its 30 s lifetime");
        assertFalse(stale.isFresh(cache.nowNanos()));
        assertEquals(0, stale.remainingSeconds(cache.nowNanos()));
        advanceSeconds(99);
        assertEquals(-99, cache.get(key("a.example.")).remainingSeconds(cache.nowNanos()));
        advanceSeconds(1);
        assertNull(cache.get(key("a.example.")), "gone 30 + 100 s after it was stored");
    }

    @Test
    void withoutServeStaleNothingIsKeptPastItsLifetime() throws Exception {
        ResponseCache cache = cache(withStale(0));
        cache.put(key("a.example."), answer("a.example.", 30));
        advanceSeconds(30);
        assertNull(cache.get(key("a.example.")));
    }

    @Test
    void aStaleViewAnswersWithTheStaleTtlAndNoAge() throws Exception {
        ResponseCache cache = cache(withStale(100));
        CachedAnswer stored = cache.put(key("a.example."), answer("a.example.", 60));
        advanceSeconds(70);
        CachedAnswer view = stored.staleView(cache.nowNanos(), StalePolicy.STALE_TTL_SECONDS);
        assertEquals(30, StalePolicy.STALE_TTL_SECONDS);
        assertEquals(30, view.lifetimeSeconds());
        assertEquals(0, view.ageSeconds(cache.nowNanos()));
        assertSame(stored.template(), view.template());
        assertNull(view.hits());
    }

    @Test
    void aLongServeStaleDoesNotOverflowIntoExpiringAtOnce() throws Exception {
        ResponseCache cache = cache(new CachePolicy(100, 3600, 5, 100, 1800, 5, 5, PrefetchPolicy.OFF,
                new StalePolicy(Long.MAX_VALUE, StalePolicy.Refresh.VERIFY), DisabledZones.NONE));
        cache.put(key("a.example."), answer("a.example.", 60));
        advanceSeconds(86_400);
        assertNotNull(cache.get(key("a.example.")));
    }

    @Test
    void disabledZonesKeepTheirKindOfAnswerOutOfTheCache() throws Exception {
        DisabledZones disabled = new DisabledZones(List.of("nocache.example."), List.of("example."));
        ResponseCache cache = cache(new CachePolicy(100, 3600, 5, 100, 1800, 5, 5, PrefetchPolicy.OFF,
                StalePolicy.OFF, disabled));

        CachedAnswer passedOn = cache.put(key("a.nocache.example."), answer("a.nocache.example.", 60));
        assertEquals(Long.MAX_VALUE, passedOn.lifetimeSeconds(), "answered with its TTLs as they came");
        assertNull(cache.get(key("a.nocache.example.")));
        assertNotNull(cache.put(key("a.other.example."), answer("a.other.example.", 60)));
        assertNotNull(cache.get(key("a.other.example.")), "success is cached outside nocache.example.");

        cache.put(key("missing.example."), denial(Rcode.NXDOMAIN, 60, 60, true));
        cache.put(key("sf.example."), denial(Rcode.SERVFAIL, 0, 0, false));
        assertNull(cache.get(key("missing.example.")));
        assertNull(cache.get(key("sf.example.")), "SERVFAIL belongs to the denial cache, as in CoreDNS");
        QuestionKey elsewhere = QuestionKey.of(WireNames.toWire("missing.test."), Type.A, DClass.IN, false, false);
        cache.put(elsewhere, denial(Rcode.NXDOMAIN, 60, 60, true));
        assertNotNull(cache.get(elsewhere), "denials outside example. are cached");
    }

    @Test
    void anAnswerThatRefreshesTheDataButIsNotKeptDropsTheHeldEntry() throws Exception {
        ResponseCache cache = cache(withStale(100));
        QuestionKey k = key("a.example.");
        cache.put(k, answer("a.example.", 60));
        advanceSeconds(61);
        cache.put(k, denial(Rcode.NXDOMAIN, 0, 0, false));
        assertNull(cache.get(k), "an NXDOMAIN without SOA is not cached, but the old answer is out of date");

        cache.put(k, answer("a.example.", 60));
        cache.put(k, denial(Rcode.REFUSED, 60, 60, true));
        assertNotNull(cache.get(k), "REFUSED says nothing about the name: the entry stays");
    }

    @Test
    void refreshingAnswersAreNoerrorAndNxdomainOnly() throws Exception {
        assertTrue(ResponseCache.refreshesData(answer("a.example.", 60)));
        assertTrue(ResponseCache.refreshesData(denial(Rcode.NXDOMAIN, 60, 60, true)));
        assertTrue(ResponseCache.refreshesData(denial(Rcode.NOERROR, 60, 60, true)), "NODATA");
        assertFalse(ResponseCache.refreshesData(denial(Rcode.SERVFAIL, 60, 60, true)));
        assertFalse(ResponseCache.refreshesData(denial(Rcode.REFUSED, 60, 60, true)));
    }

    @Test
    void withPrefetchEntriesCountHitsAndARefreshedEntryKeepsTheCount() throws Exception {
        ResponseCache cache = cache(new CachePolicy(100, 3600, 5, 100, 1800, 5, 5,
                new PrefetchPolicy(2, 60_000_000_000L, 10), StalePolicy.OFF, DisabledZones.NONE));
        QuestionKey k = key("a.example.");
        CachedAnswer first = cache.put(k, answer("a.example.", 100));
        assertNotNull(first.hits());
        assertEquals(0, first.hits().hits());
        first.hits().record(cache.nowNanos(), 60_000_000_000L);
        first.hits().record(cache.nowNanos(), 60_000_000_000L);
        advanceSeconds(91);
        CachedAnswer second = cache.put(k, answer("a.example.", 100));
        assertEquals(2, second.hits().hits(), "CoreDNS's doPrefetch carries the frequency over");

        ResponseCache plain = cache(CachePolicy.coreDnsDefaults());
        assertNull(plain.put(k, answer("a.example.", 100)).hits(), "no counting without prefetch");
    }

    /** An answer of about {@code bytes} bytes: A records for one name, 16 bytes each. */
    static AnswerTemplate bigAnswer(String name, int bytes) throws Exception {
        Message m = new Message(0);
        m.getHeader().setFlag(Flags.QR);
        Name n = Name.fromString(name);
        m.addRecord(Record.newRecord(n, Type.A, DClass.IN), Section.QUESTION);
        for (int i = 0; i < bytes / 16; i++) {
            m.addRecord(new ARecord(n, DClass.IN, 300, InetAddress.getByAddress(
                    new byte[] {10, (byte) (i >> 8), (byte) i, 1})), Section.ANSWER);
        }
        return scan(m);
    }

    @Test
    void theCacheIsBoundedByBytesAsWellAsByEntries() throws Exception {
        // 10 entries, 10,000 bytes: a unit of 1,000 bytes each.
        CachePolicy policy = new CachePolicy(10, 3600, 5, 10, 1800, 5, 5, PrefetchPolicy.OFF, StalePolicy.OFF,
                DisabledZones.NONE, 10_000);
        ResponseCache cache = cache(policy);
        for (int i = 0; i < 20; i++) {
            cache.put(key("s" + i + ".example."), answer("s" + i + ".example.", 300));
        }
        cache.cleanUp();
        assertEquals(10, cache.successSize(), "small entries: the capacity in entries binds (CoreDNS's meaning)");
        assertEquals(10_000, cache.successWeight());
        assertEquals(10_000, cache.successMaxWeight());

        AnswerTemplate big = bigAnswer("big.example.", 4_000);
        assertTrue(big.length() > 4_000 && big.length() < 4_600, "about 4 KB: " + big.length());
        for (int i = 0; i < 10; i++) {
            cache.put(key("b" + i + ".example."), bigAnswer("b" + i + ".example.", 4_000));
        }
        cache.cleanUp();
        // Caffeine's TinyLFU may keep the small entries and turn the big newcomers away; either way
        // the bound holds.
        assertTrue(cache.successWeight() <= 10_000, "weight " + cache.successWeight());

        ResponseCache onlyBig = cache(policy);
        for (int i = 0; i < 10; i++) {
            onlyBig.put(key("b" + i + ".example."), bigAnswer("b" + i + ".example.", 4_000));
        }
        onlyBig.cleanUp();
        assertEquals(2, onlyBig.successSize(), "two 4.3 KB answers fit in 10,000 bytes, a third does not");
        int b0Length = bigAnswer("b0.example.", 4_000).length();
        assertEquals(2 * (b0Length + 12 + ResponseCache.ENTRY_OVERHEAD_BYTES),
                onlyBig.successWeight(), "each weighs its estimated bytes");
        assertEquals(8, onlyBig.successEvictions());
    }

    @Test
    void theDefaultByteBoundLeavesCoreDnsCapacityBindingForUsualAnswers() throws Exception {
        ResponseCache cache = cache(CachePolicy.coreDnsDefaults());
        assertEquals(8L << 20, CachePolicy.coreDnsDefaults().maxBytes());
        for (int i = 0; i < 10_000; i++) {
            cache.put(key("h" + i + ".example."), answer("h" + i + ".example.", 300));
        }
        cache.cleanUp();
        assertEquals(9984, cache.successSize());
    }

    @Test
    void aLargerCapacityGetsAsManyBytesPerEntryAsTheDefault() throws Exception {
        CachePolicy large = new CachePolicy(100_000, 3600, 5, 20_000, 1800, 5, 5);
        assertEquals(100_000 * 840L, large.maxBytes(), "840 bytes an entry of the larger capacity");
        assertEquals(8L << 20, new CachePolicy(1000, 3600, 5, 1000, 1800, 5, 5).maxBytes(), "never under 8 MiB");
        ResponseCache cache = cache(large);
        for (int i = 0; i < 60_000; i++) {
            cache.put(key("h" + i + ".example."), answer("h" + i + ".example.", 300));
        }
        cache.cleanUp();
        assertEquals(60_000, cache.successSize(), "usual answers are bound by the capacity, not by 8 MiB");
        assertEquals(20_000 * 840L, large.maxBytesFor(20_000), "the smaller cache keeps its own bound");
        assertEquals(8L << 20, large.maxBytesFor(9984));
    }
}
