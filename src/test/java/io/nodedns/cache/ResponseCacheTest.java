package io.nodedns.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.nodedns.wire.AnswerTemplate;
import io.nodedns.wire.QuestionKey;
import io.nodedns.wire.ResponseScanner;
import io.nodedns.wire.WireNames;
import java.net.InetAddress;
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
        ByteBuf buf = Unpooled.wrappedBuffer(m.toWire());
        try {
            return ResponseScanner.scan(buf);
        } finally {
            buf.release();
        }
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
}
