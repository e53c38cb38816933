package io.nodedns.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nodedns.upstream.FakeUpstream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * The daemon as main() builds it from a Corefile, against fake upstreams with
 * faults, queried by dnsjava's resolver: what a pod sees when kube-dns is slow,
 * silent, truncating or misbehaving.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class DaemonTest {
    private final DaemonFixture fixture = new DaemonFixture(2);
    private Daemon daemon;
    private InetSocketAddress dns;

    private FakeUpstream upstream(String answer) throws Exception {
        return fixture.upstream(answer);
    }

    private static String hostPort(FakeUpstream u) {
        return DaemonFixture.hostPort(u);
    }

    /** Starts a daemon serving {@code example.} on 127.0.0.1, an ephemeral port, with the given forward. */
    private void start(String forward) throws Exception {
        startWith("cache", forward);
    }

    private void startWith(String cache, String forward) throws Exception {
        daemon = fixture.start("example.:0 {\n  bind 127.0.0.1\n  " + cache + "\n  " + forward + "\n}\n");
        dns = daemon.listeners().get(0);
    }

    @AfterEach
    void stop() throws Exception {
        fixture.close();
    }

    private SimpleResolver resolver(boolean tcp) {
        SimpleResolver r = new SimpleResolver(dns);
        r.setTCP(tcp);
        r.setTimeout(Duration.ofSeconds(8));
        return r;
    }

    private static Message query(String name, int type) throws Exception {
        return Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN));
    }

    private Message ask(String name, boolean tcp) throws Exception {
        return resolver(tcp).send(query(name, Type.A));
    }

    private static String address(Message m) {
        return ((ARecord) m.getSection(Section.ANSWER).get(0)).getAddress().getHostAddress();
    }

    @Test
    void bindByInterfaceNameListensOnEveryAddressOfTheInterface() throws Exception {
        FakeUpstream kubeDns = upstream("127.0.0.11");
        daemon = fixture.start("example.:0 {\n  bind lo\n  forward . " + hostPort(kubeDns) + "\n}\n");

        List<String> bound = daemon.listeners().stream().map(a -> a.getAddress().getHostAddress()).toList();
        List<String> expected = Daemon.interfaceAddresses("lo").stream().map(InetAddress::getHostAddress).toList();
        assertEquals(expected, bound);
        assertTrue(bound.contains("127.0.0.1"), bound.toString());
        dns = daemon.listeners().get(0);
        assertEquals("127.0.0.11", address(ask("a.example.", false)));
    }

    @Test
    void bindToAMissingInterfaceFailsTheStartNamingIt() throws Exception {
        java.io.IOException e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                () -> fixture.start("example.:0 {\n  bind nosuchnic0\n}\n"));
        assertEquals("test:1: bind: interface nosuchnic0 does not exist", e.getMessage());
    }

    @Test
    void concurrentIdenticalMissesSendOneUpstreamQuery() throws Exception {
        FakeUpstream kubeDns = upstream("127.0.0.11");
        kubeDns.delay(Duration.ofMillis(300));
        start("forward . " + hostPort(kubeDns) + " { force_tcp }");
        List<CompletableFuture<Message>> answers = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            String name = i % 2 == 0 ? "same.example." : "SAME.Example.";
            answers.add(resolver(false).sendAsync(query(name, Type.A)).toCompletableFuture());
        }
        for (CompletableFuture<Message> a : answers) {
            Message m = a.get(10, TimeUnit.SECONDS);
            assertEquals(Rcode.NOERROR, m.getRcode());
            assertEquals("127.0.0.11", address(m));
        }
        assertEquals(1, kubeDns.queries(), "one upstream query for fifty clients");
    }

    @Test
    void manyDistinctMissesArePipelinedOverFewConnections() throws Exception {
        FakeUpstream kubeDns = upstream("127.0.0.11");
        kubeDns.delay(Duration.ofMillis(200));
        start("forward . " + hostPort(kubeDns) + " { force_tcp }");
        List<CompletableFuture<Message>> answers = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            answers.add(resolver(false).sendAsync(query("svc-" + i + ".example.", Type.A)).toCompletableFuture());
        }
        for (CompletableFuture<Message> a : answers) {
            assertEquals(Rcode.NOERROR, a.get(10, TimeUnit.SECONDS).getRcode());
        }
        assertEquals(300, kubeDns.tcpQueries());
        assertEquals(0, kubeDns.udpQueries());
        assertTrue(kubeDns.tcpConnectionsAccepted() <= 4, "connections: " + kubeDns.tcpConnectionsAccepted());
        assertTrue(kubeDns.maxInFlight() >= 20, "queries in flight at once: " + kubeDns.maxInFlight());
    }

    @Test
    void hitsAreServedFromCacheOverBothTransports() throws Exception {
        FakeUpstream kubeDns = upstream("127.0.0.11");
        start("forward . " + hostPort(kubeDns) + " { force_tcp }");
        Message first = ask("cached.example.", false);
        Message again = ask("cached.example.", true);
        assertEquals(address(first), address(again));
        assertTrue(again.getSection(Section.ANSWER).get(0).getTTL() <= 30);
        assertEquals(1, kubeDns.queries());
    }

    @Test
    void silentUpstreamFailsOverToTheNext() throws Exception {
        FakeUpstream silent = upstream("127.0.0.11");
        FakeUpstream backup = upstream("127.0.0.12");
        silent.dropAll(true);
        start("forward . " + hostPort(silent) + " " + hostPort(backup) + " { force_tcp\n policy sequential }");
        long started = System.nanoTime();
        Message m = ask("failover.example.", false);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        assertEquals("127.0.0.12", address(m));
        assertTrue(millis >= 1900 && millis < 4000, "answered after the 2 s try timeout: " + millis + " ms");
    }

    @Test
    void everyUpstreamSilentIsServfailBeforeTheClientRetries() throws Exception {
        FakeUpstream a = upstream("127.0.0.11");
        FakeUpstream b = upstream("127.0.0.12");
        a.dropAll(true);
        b.dropAll(true);
        start("forward . " + hostPort(a) + " " + hostPort(b) + " { force_tcp }");
        long started = System.nanoTime();
        Message m = ask("dead.example.", false);
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        assertEquals(Rcode.SERVFAIL, m.getRcode());
        assertTrue(millis < 5000, "SERVFAIL before glibc's 5 s retry: " + millis + " ms");
    }

    @Test
    void truncatedUdpAnswerIsFetchedAgainOverTcp() throws Exception {
        FakeUpstream resolver = upstream("127.0.0.13");
        resolver.truncateUdp(true);
        start("forward . " + hostPort(resolver) + " { prefer_udp }");
        Message m = ask("tc.example.", false);
        assertEquals("127.0.0.13", address(m));
        assertEquals(1, resolver.udpQueries());
        assertEquals(1, resolver.tcpQueries());
    }

    @Test
    void answerWithWrongIdIsIgnoredAndTheRightOneUsed() throws Exception {
        FakeUpstream spoofy = upstream("127.0.0.14");
        spoofy.wrongIdFirst(true);
        start("forward . " + hostPort(spoofy));
        assertEquals("127.0.0.14", address(ask("id.example.", false)));
        assertEquals("127.0.0.14", address(ask("id2.example.", true)));
    }

    @Test
    void upstreamWithoutEdnsIsAskedAgainWithoutTheOpt() throws Exception {
        FakeUpstream old = upstream("127.0.0.17");
        old.rejectEdns(true);
        start("forward . " + hostPort(old));
        Message m = ask("plain.example.", false);
        assertEquals(Rcode.NOERROR, m.getRcode(), "RFC 6891 §7: the client does not see the upstream's FORMERR");
        assertEquals("127.0.0.17", address(m));
        List<Message> seen = old.received();
        assertEquals(2, seen.size());
        assertTrue(seen.get(0).getOPT() != null, "asked with EDNS first");
        assertTrue(seen.get(1).getOPT() == null, "then without");
    }

    @Test
    void upstreamClosingTheConnectionDoesNotLoseTheQuery() throws Exception {
        FakeUpstream flaky = upstream("127.0.0.15");
        flaky.closeNextTcpConnections(1);
        start("forward . " + hostPort(flaky) + " { force_tcp }");
        assertEquals("127.0.0.15", address(ask("close.example.", false)));
    }

    @Test
    void namesOutsideTheZoneAreRefused() throws Exception {
        FakeUpstream kubeDns = upstream("127.0.0.11");
        start("forward . " + hostPort(kubeDns));
        assertEquals(Rcode.REFUSED, ask("kubernetes.io.", false).getRcode());
        assertEquals(0, kubeDns.queries());
    }

    @Test
    void cacheZonesLimitWhatIsCached() throws Exception {
        FakeUpstream kubeDns = upstream("127.0.0.11");
        startWith("cache 30 svc.example", "forward . " + hostPort(kubeDns));
        ask("a.svc.example.", false);
        ask("a.svc.example.", false);
        assertEquals(1, kubeDns.queries(), "inside the cache's zone: cached");
        ask("other.example.", false);
        ask("other.example.", false);
        assertEquals(3, kubeDns.queries(), "outside it: forwarded every time");
    }

    @Test
    void stopAnswersWhatIsInFlight() throws Exception {
        FakeUpstream slow = upstream("127.0.0.16");
        slow.delay(Duration.ofMillis(500));
        start("forward . " + hostPort(slow) + " { force_tcp }");
        CompletableFuture<Message> answer = resolver(false).sendAsync(query("late.example.", Type.A))
                .toCompletableFuture();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (slow.queries() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        daemon.stop();
        assertEquals("127.0.0.16", address(answer.get(5, TimeUnit.SECONDS)));
    }
}
