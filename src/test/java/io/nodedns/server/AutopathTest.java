package io.nodedns.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nodedns.cache.CachePolicy;
import io.nodedns.cache.ResponseCache;
import io.nodedns.transport.NettyTransport;
import io.nodedns.upstream.ConcurrencyLimitException;
import io.nodedns.wire.QuestionKey;
import io.nodedns.wire.WireNames;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * {@code autopath} and {@code filter_aaaa} end to end in process: a listener with a
 * {@code cluster.local} block (autopath, node search domain {@code corp.example.}) and a {@code .}
 * block, each with its cache and a scripted upstream, asked over UDP and checked with dnsjava.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AutopathTest {
    private final AtomicLong nanos = new AtomicLong(5_000_000_000L);
    private NettyTransport transport;
    private DnsServer server;
    private ScriptedUpstream kubeDns;
    private ScriptedUpstream nodeResolver;
    private QueryCounters counters;
    private ZoneRouter router;
    private InetSocketAddress address;
    private ResponseCache rootCache;

    /** kube-dns: namespaces default and other, a few services; everything else NXDOMAIN (SOA TTL 30, MINIMUM 10). */
    static Message kubeDnsAnswer(Message q) {
        Message r = ScriptedUpstream.responseTo(q);
        String name = q.getQuestion().getName().toString().toLowerCase();
        int type = q.getQuestion().getType();
        try {
            switch (name) {
                case "default.svc.cluster.local.":
                case "other.svc.cluster.local.":
                    break; // a namespace: NODATA
                case "web.default.svc.cluster.local.":
                    a(r, q, type, "10.0.0.5", 30);
                    break;
                case "host.sub.default.svc.cluster.local.":
                    a(r, q, type, "10.0.0.6", 30);
                    break;
                case "db.other.svc.cluster.local.":
                    a(r, q, type, "10.0.0.7", 30);
                    break;
                default:
                    r.getHeader().setRcode(Rcode.NXDOMAIN);
            }
            if (r.getSection(Section.ANSWER).isEmpty()) {
                r.addRecord(new SOARecord(Name.fromString("cluster.local."), DClass.IN, 30,
                        Name.fromString("ns.dns.cluster.local."), Name.fromString("hostmaster.cluster.local."), 1, 7200,
                        1800, 86400, 10), Section.AUTHORITY);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return r;
    }

    /**
     * The node's resolver: www.example.com. (A, TTL 300; AAAA NODATA, SOA 60/60), api.corp.example.
     * (A, TTL 120, AAAA too), names starting fail. SERVFAIL; everything else NXDOMAIN (root SOA 20/20).
     */
    static Message nodeAnswer(Message q) {
        Message r = ScriptedUpstream.responseTo(q);
        String name = q.getQuestion().getName().toString().toLowerCase();
        int type = q.getQuestion().getType();
        try {
            if (name.startsWith("fail.")) {
                r.getHeader().setRcode(Rcode.SERVFAIL);
            } else if (name.equals("www.example.com.")) {
                a(r, q, type, "93.184.216.34", 300);
                if (type == Type.AAAA) {
                    r.addRecord(new SOARecord(Name.fromString("example.com."), DClass.IN, 60,
                            Name.fromString("ns.example.com."), Name.fromString("h.example.com."), 1, 1, 1, 1, 60),
                            Section.AUTHORITY);
                }
            } else if (name.equals("api.corp.example.") || name.equals("host.v6.example.")) {
                a(r, q, type, "10.1.1.1", 120);
                if (type == Type.AAAA) {
                    r.addRecord(new AAAARecord(q.getQuestion().getName(), DClass.IN, 120,
                            InetAddress.getByName("fd00::1")), Section.ANSWER);
                }
            } else {
                r.getHeader().setRcode(Rcode.NXDOMAIN);
                r.addRecord(new SOARecord(Name.root, DClass.IN, 20, Name.fromString("a.root-servers.net."),
                        Name.fromString("nstld.verisign-grs.com."), 1, 1800, 900, 604800, 20), Section.AUTHORITY);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return r;
    }

    private static void a(Message r, Message q, int type, String ip, long ttl) throws IOException {
        if (type == Type.A) {
            r.addRecord(new ARecord(q.getQuestion().getName(), DClass.IN, ttl, InetAddress.getByName(ip)),
                    Section.ANSWER);
        }
    }

    void start(AaaaFilter rootFilter) throws Exception {
        start(rootFilter, new PendingQueries());
    }

    void start(AaaaFilter rootFilter, PendingQueries pending) throws Exception {
        transport = NettyTransport.create(2, true);
        kubeDns = new ScriptedUpstream(AutopathTest::kubeDnsAnswer);
        nodeResolver = new ScriptedUpstream(AutopathTest::nodeAnswer);
        counters = new QueryCounters();
        CachePolicy policy = new CachePolicy(1000, 3600, 5, 1000, 1800, 5, 5);
        BlockResolver cluster = new BlockResolver("cluster.local.:0", new ResponseCache(policy, nanos::get), null,
                WireNames.toWire("cluster.local."), kubeDns, counters, pending, null, false,
                new AutopathRules(List.of("cluster.local."), List.of("corp.example.")), null);
        rootCache = new ResponseCache(policy, nanos::get);
        BlockResolver root = new BlockResolver(".:0", rootCache, null,
                WireNames.toWire("."), nodeResolver, counters, pending, null, false, null, rootFilter);
        router = ZoneRouter.of(List.of(
                new ZoneRouter.Route(WireNames.toWire("cluster.local."), cluster),
                new ZoneRouter.Route(WireNames.toWire("."), root)));
        server = new DnsServer(transport, List.of(new DnsServer.Listener(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), router)), DnsServer.Limits.defaults(),
                counters, pending);
        server.start();
        address = server.boundAddresses().get(0);
    }

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.stop(Duration.ofSeconds(1));
            transport.close();
        }
    }

    private Message ask(String name, int type) throws Exception {
        return send(Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN)));
    }

    private Message send(Message query) throws Exception {
        SimpleResolver resolver = new SimpleResolver(address);
        resolver.setTimeout(Duration.ofSeconds(5));
        return resolver.send(query);
    }

    private ZoneMetrics zone(String name) {
        return router.zoneMetrics().stream().filter(z -> z.zone().equals(name)).findFirst().orElseThrow();
    }

    /** Client queries counted in {@code zone}, over every transport, family and type. */
    private static long requests(ZoneMetrics zone) {
        long sum = 0;
        for (int bucket = 0; bucket < QtypeBuckets.COUNT; bucket++) {
            for (boolean tcp : new boolean[] {false, true}) {
                for (boolean ipv6 : new boolean[] {false, true}) {
                    sum += zone.requests(tcp, ipv6, bucket);
                }
            }
        }
        return sum;
    }

    @Test
    void aSearchIsNoWayAroundTheBoundOnWaitingQueries() throws Exception {
        PendingQueries pending = new PendingQueries(1);
        start(null, pending);
        assertTrue(pending.tryAdd(), "one query waits: the bound is reached");
        try {
            Message answer = ask("www.example.com.default.svc.cluster.local.", Type.A);
            assertEquals(Rcode.SERVFAIL, answer.getRcode(), "overloaded: answered at once, nothing stale held");
            assertEquals(0, kubeDns.queries.size(), "no search step and no namespace check went upstream");
            assertEquals(0, nodeResolver.queries.size());
            assertEquals(1, counters.overloaded.sum());
        } finally {
            pending.done();
        }
    }

    /** Asks on another thread: the test can hold and release upstream answers meanwhile. */
    private CompletableFuture<Message> askLater(String name, int type) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return ask(name, type);
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        });
    }

    /** Waits (up to 5 s) until {@code upstream} has been asked {@code count} queries. */
    private static void awaitCalls(ScriptedUpstream upstream, int count) throws InterruptedException {
        awaitTrue(() -> upstream.calls.get() >= count, () -> "upstream asked " + count + " queries: " + names(upstream));
        assertEquals(count, upstream.calls.get(), () -> names(upstream).toString());
    }

    private static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        awaitTrue(condition, () -> what);
    }

    private static void awaitTrue(BooleanSupplier condition, Supplier<String> what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for: " + what.get());
            }
            Thread.sleep(5);
        }
    }

    /** Whether the {@code .} block caches an answer for {@code name} A. */
    private boolean rootCaches(String name) {
        return rootCache.get(QuestionKey.of(WireNames.toWire(name), Type.A, DClass.IN, false, false)) != null;
    }

    private static List<String> names(ScriptedUpstream upstream) {
        return upstream.queries.stream()
                .map(q -> q.getQuestion().getName() + " " + Type.string(q.getQuestion().getType()))
                .collect(Collectors.toList());
    }

    private static List<String> records(Message m, int section) {
        return m.getSection(section).stream().map(r -> r.toString().replaceAll("\\s+", " ")).collect(Collectors.toList());
    }

    @Test
    void answersAnExternalNameInOneRoundTripWithACnameAndCachesEverySearchName() throws Exception {
        start(null);
        Message answer = ask("www.example.com.default.svc.cluster.local.", Type.A);

        assertEquals(Rcode.NOERROR, answer.getRcode());
        assertEquals("www.example.com.default.svc.cluster.local.", answer.getQuestion().getName().toString());
        // TTLs: the NXDOMAINs it rests on hold 10 s (cluster.local: min(30, 10)), the found A 300 s.
        assertEquals(List.of(
                "www.example.com.default.svc.cluster.local. 10 IN CNAME www.example.com.",
                "www.example.com. 10 IN A 93.184.216.34"), records(answer, Section.ANSWER));
        assertTrue(answer.getHeader().getFlag(Flags.RA));
        assertEquals(false, answer.getHeader().getFlag(Flags.AA));
        assertEquals(List.of(
                "www.example.com.default.svc.cluster.local. A",
                "default.svc.cluster.local. A",
                "www.example.com.svc.cluster.local. A",
                "www.example.com.cluster.local. A"), names(kubeDns));
        assertEquals(List.of("www.example.com.corp.example. A", "www.example.com. A"), names(nodeResolver));
        assertEquals(1, counters.autopathAnswers.sum());
        assertEquals(4, counters.autopathQueriesSaved.sum());
        assertEquals(1, zone("cluster.local.").responses(ZoneMetrics.PLUGIN_AUTOPATH, RcodeBuckets.of(Rcode.NOERROR)));
        assertEquals(1, requests(zone("cluster.local.")));
        assertEquals(0, requests(zone(".")));

        // Again: every name is cached now, nothing goes upstream; a later plain query finds its name cached.
        Message again = ask("www.example.com.default.svc.cluster.local.", Type.A);
        assertEquals(records(answer, Section.ANSWER), records(again, Section.ANSWER));
        Message plain = ask("www.example.com.svc.cluster.local.", Type.A);
        assertEquals(Rcode.NXDOMAIN, plain.getRcode());
        // That plain query looks like a first search name too (NAME www.example in namespace com): com is
        // no namespace, so it is answered as asked; only the namespace check went upstream.
        assertEquals(5, kubeDns.calls.get());
        assertEquals("com.svc.cluster.local. A", names(kubeDns).get(4));
        assertEquals(2, nodeResolver.calls.get());
        assertEquals(2, counters.autopathAnswers.sum());
        assertEquals(8, counters.autopathQueriesSaved.sum());
    }

    @Test
    void aaaaOfANameWithOnlyAnAddressIsACnameToNodataWithTheZonesSoa() throws Exception {
        start(null);
        Message answer = ask("www.example.com.default.svc.cluster.local.", Type.AAAA);

        assertEquals(Rcode.NOERROR, answer.getRcode());
        assertEquals(List.of("www.example.com.default.svc.cluster.local. 10 IN CNAME www.example.com."),
                records(answer, Section.ANSWER));
        assertEquals(List.of("example.com. 10 IN SOA ns.example.com. h.example.com. 1 1 1 1 60"),
                records(answer, Section.AUTHORITY));
        assertEquals(4, counters.autopathQueriesSaved.sum());
    }

    @Test
    void keepsTheClientsCaseAndFindsNamesInOtherNamespacesAndNodeDomains() throws Exception {
        start(null);
        Message upper = ask("WWW.Example.COM.default.svc.Cluster.Local.", Type.A);
        assertEquals("WWW.Example.COM.default.svc.Cluster.Local.", upper.getQuestion().getName().toString());
        assertEquals("WWW.Example.COM.default.svc.Cluster.Local.",
                upper.getSection(Section.ANSWER).get(0).getName().toString());

        Message otherNamespace = ask("db.other.default.svc.cluster.local.", Type.A);
        assertEquals(List.of(
                "db.other.default.svc.cluster.local. 10 IN CNAME db.other.svc.cluster.local.",
                "db.other.svc.cluster.local. 10 IN A 10.0.0.7"), records(otherNamespace, Section.ANSWER));

        Message nodeDomain = ask("api.corp.example.default.svc.cluster.local.", Type.AAAA);
        // api.corp.example.svc.cluster.local., api.corp.example.cluster.local., api.corp.example.corp.example.,
        // then api.corp.example. exists.
        assertEquals(List.of(
                "api.corp.example.default.svc.cluster.local. 10 IN CNAME api.corp.example.",
                "api.corp.example. 10 IN AAAA fd00:0:0:0:0:0:0:1"), records(nodeDomain, Section.ANSWER));
        assertEquals(3, counters.autopathAnswers.sum());
        assertEquals(4 + 1 + 4, counters.autopathQueriesSaved.sum());
    }

    @Test
    void leavesRealNamesOtherShapesAndNonNamespacesAlone() throws Exception {
        start(null);
        Message existing = ask("host.sub.default.svc.cluster.local.", Type.A);
        assertEquals(List.of("host.sub.default.svc.cluster.local. 30 IN A 10.0.0.6"),
                records(existing, Section.ANSWER));
        Message service = ask("web.default.svc.cluster.local.", Type.A);
        assertEquals(List.of("web.default.svc.cluster.local. 30 IN A 10.0.0.5"), records(service, Section.ANSWER));
        assertEquals(Rcode.NXDOMAIN, ask("nope.default.svc.cluster.local.", Type.A).getRcode());
        assertEquals(Rcode.NXDOMAIN, ask("_http._tcp.web.default.svc.cluster.local.", Type.A).getRcode());
        assertEquals(Rcode.NXDOMAIN, ask("www.example.com.default.svc.cluster.local.", Type.TXT).getRcode());
        // A pod searching by itself sends its second search name: "uk" is no namespace, so no rewrite.
        Message second = ask("www.example.co.uk.svc.cluster.local.", Type.A);
        assertEquals(Rcode.NXDOMAIN, second.getRcode());
        assertEquals(List.of(), records(second, Section.ANSWER));

        assertEquals(List.of(
                "host.sub.default.svc.cluster.local. A",
                "web.default.svc.cluster.local. A",
                "nope.default.svc.cluster.local. A",
                "_http._tcp.web.default.svc.cluster.local. A",
                "www.example.com.default.svc.cluster.local. TXT",
                "www.example.co.uk.svc.cluster.local. A",
                "uk.svc.cluster.local. A"), names(kubeDns));
        assertEquals(List.of(), names(nodeResolver));
        assertEquals(0, counters.autopathAnswers.sum());
    }

    @Test
    void aValidatingClientGetsTheNameAsAsked() throws Exception {
        start(null);
        Message query = Message.newQuery(Record.newRecord(Name.fromString("www.example.com.default.svc.cluster.local."),
                Type.A, DClass.IN));
        query.addRecord(new OPTRecord(1232, 0, 0, ExtendedFlags.DO), Section.ADDITIONAL);
        assertEquals(Rcode.NXDOMAIN, send(query).getRcode());
        assertEquals(1, kubeDns.calls.get());
        assertEquals(0, nodeResolver.calls.get());
    }

    @Test
    void whenNothingExistsOrAStepFailsTheClientGetsTheAskedNamesNxdomain() throws Exception {
        start(null);
        Message none = ask("no.such.default.svc.cluster.local.", Type.A);
        assertEquals(Rcode.NXDOMAIN, none.getRcode());
        assertEquals(List.of(), records(none, Section.ANSWER));
        assertEquals(List.of("cluster.local. 10 IN SOA ns.dns.cluster.local. hostmaster.cluster.local. 1 7200 1800 "
                + "86400 10"), records(none, Section.AUTHORITY));
        assertEquals(List.of("no.such.corp.example. A", "no.such. A"), names(nodeResolver));

        Message failing = ask("fail.example.default.svc.cluster.local.", Type.A);
        assertEquals(Rcode.NXDOMAIN, failing.getRcode());
        assertEquals("fail.example.default.svc.cluster.local.", failing.getQuestion().getName().toString());
        assertEquals(List.of("no.such.corp.example. A", "no.such. A", "fail.example.corp.example. A"),
                names(nodeResolver));
        assertEquals(0, counters.autopathAnswers.sum());
        assertEquals(2, zone("cluster.local.").responses(ZoneMetrics.PLUGIN_FORWARD, RcodeBuckets.of(Rcode.NXDOMAIN)));
    }

    @Test
    void filterAaaaAnswersNodataWithASynthesizedSoaAndNeverForwards() throws Exception {
        start(new AaaaFilter(List.of("."), List.of("v6.example."), 30));
        Message filtered = ask("WWW.example.com.", Type.AAAA);
        assertEquals(Rcode.NOERROR, filtered.getRcode());
        assertEquals("WWW.example.com.", filtered.getQuestion().getName().toString());
        assertEquals(List.of(), records(filtered, Section.ANSWER));
        assertEquals(List.of(". 30 IN SOA nodedns.invalid. hostmaster.nodedns.invalid. 1 7200 1800 86400 30"),
                records(filtered, Section.AUTHORITY));
        Message exempt = ask("host.v6.example.", Type.AAAA);
        assertEquals(List.of("host.v6.example. 120 IN AAAA fd00:0:0:0:0:0:0:1"), records(exempt, Section.ANSWER));
        Message a = ask("www.example.com.", Type.A);
        assertEquals(List.of("www.example.com. 300 IN A 93.184.216.34"), records(a, Section.ANSWER));
        assertEquals(List.of("host.v6.example. AAAA", "www.example.com. A"), names(nodeResolver));
        assertEquals(1, counters.filteredAaaa.sum());
        assertEquals(1, zone(".").responses(ZoneMetrics.PLUGIN_FILTER_AAAA, RcodeBuckets.of(Rcode.NOERROR)));
    }

    @Test
    void autopathLooksPastNamesWhoseAaaaIsFiltered() throws Exception {
        start(new AaaaFilter(List.of("."), List.of(), 30));
        Message aaaa = ask("www.example.com.default.svc.cluster.local.", Type.AAAA);
        // The filter says nothing about whether www.example.com.corp.example. exists: no CNAME to it.
        assertEquals(Rcode.NXDOMAIN, aaaa.getRcode());
        assertEquals(List.of(), names(nodeResolver));
        Message a = ask("www.example.com.default.svc.cluster.local.", Type.A);
        assertEquals("www.example.com.", ((CNAMERecord) a.getSection(Section.ANSWER).get(0)).getTarget().toString());
        assertEquals(0, counters.filteredAaaa.sum());
        assertEquals(Set.of("www.example.com.corp.example. A", "www.example.com. A"), Set.copyOf(names(nodeResolver)));
    }

    /**
     * The node's resolver for the in-order tests: shop.example. exists both under corp.example. and
     * at the root (A, TTL 60); broken.example. exists at the root, its corp.example. name fails.
     */
    static Message twoPlacesAnswer(Message q) {
        String name = q.getQuestion().getName().toString().toLowerCase();
        Message r = ScriptedUpstream.responseTo(q);
        try {
            switch (name) {
                case "shop.example.corp.example.":
                    a(r, q, q.getQuestion().getType(), "10.2.2.2", 60);
                    return r;
                case "shop.example.":
                case "broken.example.":
                    a(r, q, q.getQuestion().getType(), "10.3.3.3", 60);
                    return r;
                case "broken.example.corp.example.":
                    r.getHeader().setRcode(Rcode.SERVFAIL);
                    return r;
                default:
                    return nodeAnswer(q);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean named(Message q, String name) {
        return q.getQuestion().getName().toString().equalsIgnoreCase(name);
    }

    @Test
    void theWavesGoOutInTurnAndNamesOutsideTheClusterOnlyAfterEveryClusterNameIsNxdomain() throws Exception {
        start(null);
        CompletableFuture<Void> firstWave = kubeDns.hold();
        CompletableFuture<Message> answer = askLater("www.example.com.default.svc.cluster.local.", Type.A);

        // Wave 1: both queries reach kube-dns while neither has been answered.
        awaitCalls(kubeDns, 2);
        assertEquals(List.of("www.example.com.default.svc.cluster.local. A", "default.svc.cluster.local. A"),
                names(kubeDns));
        assertEquals(0, nodeResolver.calls.get());

        // Wave 2a: both search names under cluster.local reach kube-dns while neither has been answered;
        // nothing has left the cluster yet.
        CompletableFuture<Void> clusterWave = kubeDns.hold();
        firstWave.complete(null);
        awaitCalls(kubeDns, 4);
        assertEquals(List.of(
                "www.example.com.default.svc.cluster.local. A",
                "default.svc.cluster.local. A",
                "www.example.com.svc.cluster.local. A",
                "www.example.com.cluster.local. A"), names(kubeDns));
        assertEquals(List.of(), names(nodeResolver));
        assertFalse(answer.isDone());

        // Wave 2b, once both are NXDOMAIN: the node's search domain and the root name, together.
        CompletableFuture<Void> outsideWave = nodeResolver.hold();
        clusterWave.complete(null);
        awaitCalls(nodeResolver, 2);
        assertEquals(List.of("www.example.com.corp.example. A", "www.example.com. A"), names(nodeResolver));
        assertFalse(answer.isDone());

        outsideWave.complete(null);
        Message m = answer.get(5, TimeUnit.SECONDS);
        assertEquals(List.of(
                "www.example.com.default.svc.cluster.local. 10 IN CNAME www.example.com.",
                "www.example.com. 10 IN A 93.184.216.34"), records(m, Section.ANSWER));
        assertEquals(4, kubeDns.calls.get());
        assertEquals(1, counters.autopathAnswers.sum());
        assertEquals(4, counters.autopathQueriesSaved.sum());
        assertEquals(1, zone("cluster.local.").responses(ZoneMetrics.PLUGIN_AUTOPATH, RcodeBuckets.of(Rcode.NOERROR)));
    }

    @Test
    void aNameFoundInTheClusterSendsNoSearchNameOutsideIt() throws Exception {
        start(null);
        CompletableFuture<Void> clusterWave = kubeDns.hold(q -> named(q, "db.other.svc.cluster.local.")
                || named(q, "db.other.cluster.local."));
        CompletableFuture<Message> answer = askLater("db.other.default.svc.cluster.local.", Type.A);

        awaitCalls(kubeDns, 4);
        clusterWave.complete(null);
        Message m = answer.get(5, TimeUnit.SECONDS);
        assertEquals(List.of(
                "db.other.default.svc.cluster.local. 10 IN CNAME db.other.svc.cluster.local.",
                "db.other.svc.cluster.local. 10 IN A 10.0.0.7"), records(m, Section.ANSWER));
        // AAAA as well (NODATA under an existing name is found too): the namespace check is cached.
        Message aaaa = ask("db.other.default.svc.cluster.local.", Type.AAAA);
        assertEquals(List.of("db.other.default.svc.cluster.local. 10 IN CNAME db.other.svc.cluster.local."),
                records(aaaa, Section.ANSWER));

        // db.other.cluster.local. A went with the name found (same wave, same upstream); its AAAA did not, as
        // db.other.svc.cluster.local. AAAA was answered before it was launched (this upstream answers at once).
        // db.other.corp.example. and db.other. never left the cluster: the "." block's upstream was asked nothing.
        assertEquals(List.of(
                "db.other.default.svc.cluster.local. A",
                "default.svc.cluster.local. A",
                "db.other.svc.cluster.local. A",
                "db.other.cluster.local. A",
                "db.other.default.svc.cluster.local. AAAA",
                "db.other.svc.cluster.local. AAAA"), names(kubeDns));
        assertEquals(List.of(), names(nodeResolver));
        assertFalse(rootCaches("db.other."));
        assertEquals(2, counters.autopathAnswers.sum());
        assertEquals(2, counters.autopathQueriesSaved.sum());
    }

    @Test
    void theClusterWaveIsTheSearchNamesUnderTheZoneUpToTheFirstOneOutsideIt() {
        AutopathRules rules = new AutopathRules(List.of("cluster.local."),
                List.of("Team.Cluster.Local.", "corp.example.", "x.cluster.local."));
        // svc.cluster.local., cluster.local., team.cluster.local. | corp.example., x.cluster.local., the root:
        // x.cluster.local. waits for corp.example. as the search order says.
        assertEquals(6, rules.stepCount(0));
        assertEquals(3, rules.clusterStepCount(0));
        assertEquals(2, new AutopathRules(List.of("cluster.local."), List.of()).clusterStepCount(0));
    }

    @Test
    void answersTheFirstNameInSearchOrderWhenALaterOneAnswersFirst() throws Exception {
        start(null);
        nodeResolver.answerWith(AutopathTest::twoPlacesAnswer);
        CompletableFuture<Void> corp = nodeResolver.hold(q -> named(q, "shop.example.corp.example."));
        CompletableFuture<Message> answer = askLater("shop.example.default.svc.cluster.local.", Type.A);

        // shop.example. has answered and is cached; the search still waits for the name before it.
        awaitTrue(() -> rootCaches("shop.example."), "shop.example. cached");
        assertEquals(List.of("shop.example.corp.example. A", "shop.example. A"), names(nodeResolver));
        corp.complete(null);

        Message m = answer.get(5, TimeUnit.SECONDS);
        assertEquals(List.of(
                "shop.example.default.svc.cluster.local. 10 IN CNAME shop.example.corp.example.",
                "shop.example.corp.example. 10 IN A 10.2.2.2"), records(m, Section.ANSWER));
        assertEquals(3, counters.autopathQueriesSaved.sum());
    }

    @Test
    void doesNotWaitForNamesAfterTheOneFoundAndCachesThemWhenTheyArrive() throws Exception {
        start(null);
        nodeResolver.answerWith(AutopathTest::twoPlacesAnswer);
        CompletableFuture<Void> corp = nodeResolver.hold(q -> named(q, "shop.example.corp.example."));
        CompletableFuture<Void> root = nodeResolver.hold(q -> named(q, "shop.example."));
        CompletableFuture<Message> answer = askLater("shop.example.default.svc.cluster.local.", Type.A);

        awaitCalls(nodeResolver, 2);
        assertEquals(List.of("shop.example.corp.example. A", "shop.example. A"), names(nodeResolver));
        corp.complete(null);
        Message m = answer.get(5, TimeUnit.SECONDS);
        assertEquals(List.of(
                "shop.example.default.svc.cluster.local. 10 IN CNAME shop.example.corp.example.",
                "shop.example.corp.example. 10 IN A 10.2.2.2"), records(m, Section.ANSWER));
        assertFalse(rootCaches("shop.example."));

        // The late answer is of no use to this client, but it fills the cache for the next one.
        root.complete(null);
        awaitTrue(() -> rootCaches("shop.example."), "shop.example. cached");
        Message plain = ask("shop.example.", Type.A);
        assertEquals(List.of("shop.example. 60 IN A 10.3.3.3"), records(plain, Section.ANSWER));
        assertEquals(2, nodeResolver.calls.get());
        assertEquals(1, counters.autopathAnswers.sum());
    }

    @Test
    void aFailureBeforeTheNameFoundEndsTheSearchWithTheAskedNamesNxdomain() throws Exception {
        start(null);
        nodeResolver.answerWith(AutopathTest::twoPlacesAnswer);
        CompletableFuture<Void> corp = nodeResolver.hold(q -> named(q, "broken.example.corp.example."));
        CompletableFuture<Message> answer = askLater("broken.example.default.svc.cluster.local.", Type.A);

        awaitTrue(() -> rootCaches("broken.example."), "broken.example. cached");
        corp.complete(null);
        Message m = answer.get(5, TimeUnit.SECONDS);
        // A walk would have stopped at the SERVFAIL: the client searches on by itself, as without autopath.
        assertEquals(Rcode.NXDOMAIN, m.getRcode());
        assertEquals("broken.example.default.svc.cluster.local.", m.getQuestion().getName().toString());
        assertEquals(List.of(), records(m, Section.ANSWER));
        assertEquals(0, counters.autopathAnswers.sum());
        assertEquals(1, zone("cluster.local.").responses(ZoneMetrics.PLUGIN_FORWARD, RcodeBuckets.of(Rcode.NXDOMAIN)));
    }

    @Test
    void whenTheAskedNameFailsTheClientGetsWhatItWouldHaveGotWithoutAutopath() throws Exception {
        start(null);
        kubeDns.failWith(new ConcurrencyLimitException("over max_concurrent"));
        Message refused = ask("www.example.com.default.svc.cluster.local.", Type.A);
        assertEquals(Rcode.REFUSED, refused.getRcode());
        assertEquals(1, counters.refused.sum());
        assertEquals(0, nodeResolver.calls.get());
        assertEquals(1, zone("cluster.local.").responses(ZoneMetrics.PLUGIN_NONE, RcodeBuckets.of(Rcode.REFUSED)));
    }
}
