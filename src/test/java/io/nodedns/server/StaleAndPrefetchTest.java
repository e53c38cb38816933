package io.nodedns.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.nodedns.cache.CachePolicy;
import io.nodedns.cache.CachedAnswer;
import io.nodedns.cache.DisabledZones;
import io.nodedns.cache.PrefetchPolicy;
import io.nodedns.cache.ResponseCache;
import io.nodedns.cache.StalePolicy;
import io.nodedns.metrics.CoreDnsMetrics;
import io.nodedns.metrics.HttpEndpointServer;
import io.nodedns.metrics.MetricsEndpoint;
import io.nodedns.metrics.NodednsMetrics;
import io.nodedns.metrics.Scrape;
import io.nodedns.transport.NettyTransport;
import io.nodedns.wire.QuestionKey;
import io.nodedns.wire.WireNames;
import java.io.IOException;
import java.lang.ref.Reference;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * The cache's {@code prefetch}, {@code serve_stale} and {@code disable} at work: a listener on
 * loopback, a scripted upstream that counts what it is asked, and the cache's ticker moved by the
 * test. Refreshes run on a direct executor unless a test says otherwise, so the upstream has been
 * asked by the time the client has its answer.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StaleAndPrefetchTest {
    private static final long SECOND = 1_000_000_000L;
    /** The A records' TTL: 100 s, within the default bounds, so entries live exactly 100 s. */
    private static final long TTL = 100;
    private static final Executor DIRECT = Runnable::run;
    /** Where production sends refreshes from ({@link BlockResolver}'s public constructor). */
    private static final Executor COMMON_POOL = ForkJoinPool.commonPool();

    private final AtomicLong nanos = new AtomicLong(5 * SECOND);
    /** The last octet of the address the upstream answers with: lets a test tell old data from new. */
    private volatile int octet = 1;
    private NettyTransport transport;
    private DnsServer server;
    private ScriptedUpstream upstream;
    private ResponseCache cache;
    private ZoneRouter router;
    private InetSocketAddress address;
    private PrometheusMeterRegistry registry;
    private HttpEndpointServer metrics;

    /** a.* and x.* exist (A 127.0.0.OCTET, TTL 100); names starting nx. do not. */
    private Message answer(Message q) {
        Message r = ScriptedUpstream.responseTo(q);
        Name name = q.getQuestion().getName();
        try {
            if (name.toString().startsWith("nx.")) {
                r.getHeader().setRcode(Rcode.NXDOMAIN);
                r.addRecord(new SOARecord(Name.fromString("example."), DClass.IN, 60, Name.fromString("ns.example."),
                        Name.fromString("h.example."), 1, 1, 1, 1, 60), Section.AUTHORITY);
            } else {
                r.addRecord(new ARecord(name, DClass.IN, TTL, InetAddress.getByName("127.0.0." + octet)),
                        Section.ANSWER);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return r;
    }

    private void start(PrefetchPolicy prefetch, StalePolicy stale, DisabledZones disabled, Executor background)
            throws Exception {
        transport = NettyTransport.create(1, true);
        upstream = new ScriptedUpstream(this::answer);
        cache = new ResponseCache(new CachePolicy(1000, 3600, 5, 1000, 1800, 5, 5, prefetch, stale, disabled),
                nanos::get);
        QueryCounters counters = new QueryCounters();
        PendingQueries pending = new PendingQueries();
        BlockResolver block = new BlockResolver("example.:0", cache, null, WireNames.toWire("example."), upstream,
                counters, pending, null, false, background);
        router = ZoneRouter.of(List.of(new ZoneRouter.Route(WireNames.toWire("example."), block)));
        server = new DnsServer(transport, List.of(new DnsServer.Listener(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), router)), DnsServer.Limits.defaults(),
                counters, pending);
        server.start();
        address = server.boundAddresses().get(0);
    }

    @AfterEach
    void stop() throws Exception {
        if (metrics != null) {
            metrics.close();
        }
        if (registry != null) {
            registry.close();
        }
        if (server != null) {
            server.stop(Duration.ofSeconds(1));
        }
        if (transport != null) {
            transport.close();
        }
    }

    private static PrefetchPolicy prefetch(int amount) {
        return new PrefetchPolicy(amount, TimeUnit.MINUTES.toNanos(1), 10);
    }

    private static StalePolicy stale(Duration upTo, StalePolicy.Refresh refresh) {
        return new StalePolicy(upTo.toNanos(), refresh);
    }

    private void advanceSeconds(long seconds) {
        nanos.addAndGet(seconds * SECOND);
    }

    private Message ask(String name) throws IOException {
        return Clients.udp(address, Clients.query(name, Type.A, 4242));
    }

    private static long ttl(Message m) {
        return m.getSection(Section.ANSWER).get(0).getTTL();
    }

    private static String ip(Message m) {
        return ((ARecord) m.getSection(Section.ANSWER).get(0)).getAddress().getHostAddress();
    }

    private ZoneMetrics zone() {
        return router.zoneMetrics().stream().filter(z -> z.zone().equals("example.")).findFirst().orElseThrow();
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(5);
        }
    }

    /** Waits until the entry for {@code name} was stored at the ticker's current time: a refresh landed. */
    private void awaitStoredNow(String name) throws InterruptedException {
        QuestionKey key = QuestionKey.of(WireNames.toWire(name), Type.A, DClass.IN, false, false);
        await(() -> {
            CachedAnswer entry = cache.get(key);
            return entry != null && entry.storedAtNanos() == nanos.get();
        }, "the refreshed entry of " + name);
    }

    @Test
    void prefetchRefreshesOnceWhenAnEntryHitAmountTimesHasTenPercentLeft() throws Exception {
        start(prefetch(3), StalePolicy.OFF, DisabledZones.NONE, DIRECT);
        assertEquals(TTL, ttl(ask("a.example.")));
        assertEquals(1, upstream.calls.get());

        octet = 2;
        advanceSeconds(50);
        assertEquals(50, ttl(ask("a.example.")), "hit 1");
        advanceSeconds(39);
        assertEquals(11, ttl(ask("a.example.")), "hit 2");
        advanceSeconds(0);
        assertEquals(11, ttl(ask("a.example.")), "hit 3, popular, but 11 s left is over 10 % of 100 s");
        assertEquals(1, upstream.calls.get(), "no prefetch while more than 10 % is left");

        advanceSeconds(1);
        Message due = ask("a.example.");
        assertEquals(10, ttl(due), "the hit that starts the prefetch is answered from the entry it hit");
        assertEquals("127.0.0.1", ip(due));
        assertEquals(2, upstream.calls.get(), "exactly one prefetch");
        assertEquals("a.example.", upstream.queries.get(1).getQuestion().getName().toString());

        advanceSeconds(1);
        Message after = ask("a.example.");
        assertEquals(TTL - 1, ttl(after), "the prefetched entry was stored a second ago");
        assertEquals("127.0.0.2", ip(after));
        assertEquals(2, upstream.calls.get(), "the fresh entry is not due again");
        assertEquals(1, zone().prefetches());
        assertEquals(1, zone().cacheMisses());
        assertEquals(5, zone().successHits());
    }

    @Test
    void anEntryWithFewerThanAmountHitsIsNotPrefetchedAndExpires() throws Exception {
        start(prefetch(3), StalePolicy.OFF, DisabledZones.NONE, DIRECT);
        ask("a.example.");
        advanceSeconds(95);
        ask("a.example.");
        advanceSeconds(4);
        assertEquals(1, ttl(ask("a.example.")));
        assertEquals(1, upstream.calls.get(), "two hits are not three");

        advanceSeconds(1);
        assertEquals(TTL, ttl(ask("a.example.")), "expired: a miss");
        assertEquals(2, upstream.calls.get());
        assertEquals(0, zone().prefetches());
        assertEquals(2, zone().cacheMisses());
    }

    @Test
    void aPrefetchInFlightDoesNotHoldUpHitsAndIsSentOnce() throws Exception {
        start(prefetch(1), StalePolicy.OFF, DisabledZones.NONE, COMMON_POOL);
        ask("a.example.");
        CompletableFuture<Void> release = upstream.hold();
        octet = 2;
        advanceSeconds(91);

        assertEquals(9, ttl(ask("a.example.")), "answered while the prefetch waits for the upstream");
        await(() -> upstream.calls.get() == 2, "the prefetch to reach the upstream");
        assertEquals(9, ttl(ask("a.example.")));
        assertEquals("127.0.0.1", ip(ask("a.example.")));
        assertEquals(2, upstream.calls.get(), "one refresh per key at a time");

        release.complete(null);
        awaitStoredNow("a.example.");
        assertEquals("127.0.0.2", ip(ask("a.example.")));
        assertEquals(TTL, ttl(ask("a.example.")));
        assertEquals(1, zone().prefetches());
    }

    @Test
    void serveStaleImmediateAnswersStaleWithTtl30AndRefreshesOnce() throws Exception {
        start(PrefetchPolicy.OFF, stale(Duration.ofHours(1), StalePolicy.Refresh.IMMEDIATE), DisabledZones.NONE,
                COMMON_POOL);
        ask("a.example.");
        CompletableFuture<Void> release = upstream.hold();
        octet = 2;
        advanceSeconds(TTL + 50);

        Message stale = ask("a.example.");
        assertEquals(Rcode.NOERROR, stale.getRcode());
        assertEquals(StalePolicy.STALE_TTL_SECONDS, ttl(stale), "RFC 8767 section 4: 30 s");
        assertEquals("127.0.0.1", ip(stale));
        Message again = ask("a.example.");
        assertEquals(30, ttl(again));
        assertEquals("127.0.0.1", ip(again));
        await(() -> upstream.calls.get() == 2, "the background refresh");
        assertEquals(2, upstream.calls.get(), "two stale answers, one refresh");

        release.complete(null);
        awaitStoredNow("a.example.");
        assertEquals("127.0.0.2", ip(ask("a.example.")));
        assertEquals(TTL, ttl(ask("a.example.")));
        assertEquals(2, upstream.calls.get());
        assertEquals(2, zone().servedStale());
        assertEquals(1, zone().prefetches(), "CoreDNS counts the stale refresh as a prefetch");
    }

    @Test
    void serveStaleImmediateKeepsAnsweringStaleWhileTheUpstreamFails() throws Exception {
        start(PrefetchPolicy.OFF, stale(Duration.ofMinutes(10), StalePolicy.Refresh.IMMEDIATE), DisabledZones.NONE,
                DIRECT);
        ask("a.example.");
        upstream.failWith(new IOException("upstream down"));
        advanceSeconds(TTL + 599);

        Message stale = ask("a.example.");
        assertEquals(Rcode.NOERROR, stale.getRcode());
        assertEquals(30, ttl(stale));
        assertEquals(2, upstream.calls.get(), "the refresh was tried and failed");
        assertEquals(1, cache.successSize(), "a failed refresh leaves the entry in place");

        advanceSeconds(1);
        assertEquals(Rcode.SERVFAIL, ask("a.example.").getRcode(), "10 minutes past expiry nothing stale is left");
        assertEquals(3, upstream.calls.get());
        assertEquals(1, zone().servedStale());
    }

    @Test
    void serveStaleVerifyAnswersFreshWhenTheUpstreamWorks() throws Exception {
        start(PrefetchPolicy.OFF, stale(Duration.ofHours(1), StalePolicy.Refresh.VERIFY), DisabledZones.NONE, DIRECT);
        ask("a.example.");
        octet = 2;
        advanceSeconds(TTL + 50);

        Message fresh = ask("a.example.");
        assertEquals(TTL, ttl(fresh));
        assertEquals("127.0.0.2", ip(fresh), "the upstream was asked first");
        assertEquals(2, upstream.calls.get());
        assertEquals(0, zone().servedStale());
        assertEquals(0, zone().prefetches(), "verify asks on the client's behalf, not in the background");
    }

    @Test
    void serveStaleVerifyAnswersStaleWhenTheUpstreamFailsOrAnswersServfail() throws Exception {
        start(PrefetchPolicy.OFF, stale(Duration.ofHours(1), StalePolicy.Refresh.VERIFY), DisabledZones.NONE, DIRECT);
        ask("a.example.");
        upstream.failWith(new IOException("timed out"));
        advanceSeconds(TTL + 50);

        Message failed = ask("a.example.");
        assertEquals(Rcode.NOERROR, failed.getRcode());
        assertEquals(30, ttl(failed));
        assertEquals("127.0.0.1", ip(failed));
        assertEquals(2, upstream.calls.get());

        upstream.failWith(null);
        upstream.answerWith(q -> {
            Message r = ScriptedUpstream.responseTo(q);
            r.getHeader().setRcode(Rcode.SERVFAIL);
            return r;
        });
        advanceSeconds(1); // past the failure recheck backoff of the first failure
        Message servfail = ask("a.example.");
        assertEquals(Rcode.NOERROR, servfail.getRcode(), "SERVFAIL does not refresh the data (RFC 8767 section 4)");
        assertEquals(30, ttl(servfail));
        assertEquals(3, upstream.calls.get());
        assertEquals(2, zone().servedStale());
        assertEquals(1, cache.successSize(), "the stale entry was not replaced by the SERVFAIL");
    }

    /** The upstream now says a.example. does not exist. */
    private void answerNxdomainForEverything() {
        upstream.answerWith(q -> {
            Message r = ScriptedUpstream.responseTo(q);
            r.getHeader().setRcode(Rcode.NXDOMAIN);
            try {
                r.addRecord(new SOARecord(Name.fromString("example."), DClass.IN, 60, Name.fromString("ns.example."),
                        Name.fromString("h.example."), 1, 1, 1, 1, 60), Section.AUTHORITY);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            return r;
        });
    }

    @Test
    void aStaleNameHeldPositiveIsNotReplacedByAnNxdomainByDefault() throws Exception {
        start(PrefetchPolicy.OFF, stale(Duration.ofHours(1), StalePolicy.Refresh.VERIFY), DisabledZones.NONE, DIRECT);
        ask("a.example.");
        answerNxdomainForEverything();
        advanceSeconds(TTL + 50);

        Message kept = ask("a.example.");
        assertEquals(Rcode.NOERROR, kept.getRcode(), "serve_stale_nxdomain keep: the positive entry answers");
        assertEquals("127.0.0.1", ip(kept));
        assertEquals(30, ttl(kept));
        assertEquals(2, upstream.calls.get());
        assertEquals(1, cache.successSize());
        assertEquals(0, cache.denialSize(), "the NXDOMAIN was not cached over the positive entry");
        assertEquals(1, zone().servedStale());

        assertEquals(Rcode.NXDOMAIN, ask("nx.example.").getRcode(), "a name held nowhere gets the NXDOMAIN");
    }

    @Test
    void withNxdomainReplaceAnNxdomainReplacesTheStaleEntry() throws Exception {
        start(PrefetchPolicy.OFF, new StalePolicy(Duration.ofHours(1).toNanos(), StalePolicy.Refresh.VERIFY, 30,
                StalePolicy.Nxdomain.REPLACE), DisabledZones.NONE, DIRECT);
        ask("a.example.");
        answerNxdomainForEverything();
        advanceSeconds(TTL + 50);

        assertEquals(Rcode.NXDOMAIN, ask("a.example.").getRcode(), "RFC 8767 section 4: NXDOMAIN refreshes");
        cache.cleanUp();
        assertEquals(0, cache.successSize());
        assertEquals(1, cache.denialSize());
        assertEquals(0, zone().servedStale());
    }

    @Test
    void aFreshEntryIsNotReplacedByAnNxdomainPrefetchEither() throws Exception {
        start(prefetch(1), stale(Duration.ofHours(1), StalePolicy.Refresh.IMMEDIATE), DisabledZones.NONE, DIRECT);
        ask("a.example.");
        answerNxdomainForEverything();
        advanceSeconds(95);
        Message due = ask("a.example.");
        assertEquals(5, ttl(due));
        assertEquals(2, upstream.calls.get(), "the prefetch was sent and answered NXDOMAIN");
        advanceSeconds(1);
        Message after = ask("a.example.");
        assertEquals(Rcode.NOERROR, after.getRcode());
        assertEquals(4, ttl(after), "still the entry stored 96 s ago");
    }

    @Test
    void theStaleAnswerTtlIsConfigurable() throws Exception {
        start(PrefetchPolicy.OFF, new StalePolicy(Duration.ofHours(1).toNanos(), StalePolicy.Refresh.IMMEDIATE, 7,
                StalePolicy.Nxdomain.KEEP_POSITIVE), DisabledZones.NONE, DIRECT);
        ask("a.example.");
        upstream.failWith(new IOException("upstream down"));
        advanceSeconds(TTL + 10);
        Message stale = ask("a.example.");
        assertEquals(Rcode.NOERROR, stale.getRcode());
        assertEquals(7, ttl(stale), "serve_stale_ttl 7s");
    }

    @Test
    void staleRefreshesUnderAFailingUpstreamBackOffFromOneToThirtySeconds() throws Exception {
        start(PrefetchPolicy.OFF, stale(Duration.ofHours(1), StalePolicy.Refresh.IMMEDIATE), DisabledZones.NONE,
                DIRECT);
        ask("a.example.");
        upstream.failWith(new IOException("upstream down"));
        advanceSeconds(TTL + 1);
        for (int i = 0; i < 5; i++) {
            assertEquals(Rcode.NOERROR, ask("a.example.").getRcode());
        }
        assertEquals(2, upstream.calls.get(), "one failed refresh, then none within its 1 s backoff");

        // Waits after failures 1..7: 1, 2, 4, 8, 16, 30, 30 s. Each time the wait is over, one refresh.
        long[] waits = {1, 2, 4, 8, 16, 30, 30};
        int expectedCalls = 2;
        for (long wait : waits) {
            advanceSeconds(wait - 1);
            ask("a.example.");
            assertEquals(expectedCalls, upstream.calls.get(), "still backing off, " + (wait - 1) + " s into " + wait);
            advanceSeconds(1);
            ask("a.example.");
            expectedCalls++;
            assertEquals(expectedCalls, upstream.calls.get(), "one refresh once the " + wait + " s passed");
        }
        assertEquals(5 + 2 * waits.length, zone().servedStale(), "every client got stale");

        upstream.failWith(null);
        octet = 2;
        advanceSeconds(30);
        ask("a.example.");
        assertEquals(expectedCalls + 1, upstream.calls.get());
        assertEquals("127.0.0.2", ip(ask("a.example.")), "the refresh that worked replaced the entry");
        assertEquals(0, cache.refreshBackoff().size(), "a success forgets the failures");
    }

    @Test
    void verifyWithinTheBackoffAnswersStaleWithoutAskingTheUpstream() throws Exception {
        start(PrefetchPolicy.OFF, stale(Duration.ofHours(1), StalePolicy.Refresh.VERIFY), DisabledZones.NONE, DIRECT);
        ask("a.example.");
        upstream.failWith(new IOException("timed out"));
        advanceSeconds(TTL + 50);
        assertEquals("127.0.0.1", ip(ask("a.example.")));
        assertEquals(2, upstream.calls.get());

        upstream.failWith(null);
        octet = 2;
        Message within = ask("a.example.");
        assertEquals("127.0.0.1", ip(within), "within the 1 s backoff: stale at once");
        assertEquals(30, ttl(within));
        assertEquals(2, upstream.calls.get(), "and the upstream was not asked");

        advanceSeconds(1);
        Message after = ask("a.example.");
        assertEquals("127.0.0.2", ip(after), "after the backoff verify asks again");
        assertEquals(3, upstream.calls.get());
    }

    @Test
    void withoutServeStaleAFailedUpstreamIsServfailOnceTheEntryExpires() throws Exception {
        start(PrefetchPolicy.OFF, StalePolicy.OFF, DisabledZones.NONE, DIRECT);
        ask("a.example.");
        upstream.failWith(new IOException("upstream down"));
        advanceSeconds(TTL);
        assertEquals(Rcode.SERVFAIL, ask("a.example.").getRcode());
        assertEquals(0, zone().servedStale());
    }

    @Test
    void disableKeepsOneKindOfAnswerPerZoneOutOfTheCache() throws Exception {
        start(PrefetchPolicy.OFF, StalePolicy.OFF,
                new DisabledZones(List.of("nocache.example."), List.of("example.")), DIRECT);
        ask("a.nocache.example.");
        ask("a.nocache.example.");
        assertEquals(2, upstream.calls.get(), "success not cached in nocache.example.");
        ask("a.example.");
        ask("a.example.");
        assertEquals(3, upstream.calls.get(), "success cached elsewhere");
        assertEquals(Rcode.NXDOMAIN, ask("nx.example.").getRcode());
        assertEquals(Rcode.NXDOMAIN, ask("nx.example.").getRcode());
        assertEquals(5, upstream.calls.get(), "denials not cached in example.");
        assertEquals(1, zone().successHits());
        assertEquals(0, zone().denialHits());
    }

    @Test
    void prefetchAndServedStaleAreExportedUnderCoreDnsNames() throws Exception {
        start(prefetch(1), stale(Duration.ofHours(1), StalePolicy.Refresh.IMMEDIATE), DisabledZones.NONE, DIRECT);
        registry = NodednsMetrics.newRegistry();
        CoreDnsMetrics coreDns = new CoreDnsMetrics(registry, server, List.of(), System::nanoTime);
        metrics = HttpEndpointServer.builder("metrics").serve(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                "/metrics", new MetricsEndpoint(registry)).start();

        ask("a.example.");
        advanceSeconds(95);
        ask("a.example.");
        assertEquals(2, upstream.calls.get(), "prefetched");
        upstream.failWith(new IOException("upstream down"));
        advanceSeconds(TTL + 10);
        ask("a.example.");
        ask("a.example.");
        assertEquals(3, upstream.calls.get(), "the second stale hit is within the failed refresh's 1 s backoff");
        advanceSeconds(1);
        ask("a.example.");
        assertEquals(4, upstream.calls.get(), "past the backoff the refresh is retried");

        Scrape s = Scrape.of(metrics.boundAddresses().get(0));
        String[] labels = {"server", "dns://" + address.getAddress().getHostAddress() + ":" + address.getPort(),
            "zones", "example.", "view", ""};
        assertEquals(3, s.value("coredns_cache_prefetch_total", labels));
        assertEquals(3, s.value("coredns_cache_served_stale_total", labels));
        // Micrometer holds what function meters read weakly; CoreDnsMetrics holds it for them.
        Reference.reachabilityFence(coreDns);
    }
}
