package io.nodedns.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nodedns.config.CorefileException;
import io.nodedns.config.CorefileParser;
import io.nodedns.metrics.SetupErrors;
import io.nodedns.transport.NettyTransport;
import io.nodedns.upstream.FakeUpstream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * The {@code loop} directive end to end: daemons on 127.0.0.1 that forward to each other find the
 * loop; one that forwards to a real answer does not, and stops probing.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class LoopDetectionTest {
    private static final String PROBE = "\\d{1,19}\\.\\d{1,19}\\.";

    private final List<NettyTransport> transports = new ArrayList<>();
    private final List<Daemon> daemons = new ArrayList<>();
    private FakeUpstream upstream;

    @AfterEach
    void stop() throws Exception {
        for (Daemon d : daemons) {
            d.stop();
        }
        for (NettyTransport t : transports) {
            t.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    private Daemon start(String corefile, List<String> loops) throws IOException, CorefileException {
        NettyTransport transport = NettyTransport.create(2, true);
        transports.add(transport);
        Daemon daemon = Daemon.start(CorefileParser.parse("test", corefile, 53), transport, null, new SetupErrors(),
                loops::add);
        daemons.add(daemon);
        return daemon;
    }

    private static String forwarding(int port, String to) {
        return ".:" + port + " {\n  bind 127.0.0.1\n  loop\n  forward . " + to + "\n}\n";
    }

    private static void awaitTrue(String what, java.util.function.BooleanSupplier condition) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    @Test
    void twoDaemonsForwardingToEachOtherEachReportTheLoopOnce() throws Exception {
        List<String> loopsOfA = new CopyOnWriteArrayList<>();
        List<String> loopsOfB = new CopyOnWriteArrayList<>();
        int portOfB = 0;
        Daemon a = null;
        for (int attempt = 0; attempt < 3 && daemons.size() < 2; attempt++) {
            portOfB = DaemonFixture.freeDnsPort();
            if (a == null) {
                a = start(forwarding(0, "127.0.0.1:" + portOfB), loopsOfA);
            }
            int portOfA = a.listeners().get(0).getPort();
            try {
                start(forwarding(portOfB, "127.0.0.1:" + portOfA), loopsOfB);
            } catch (IOException portTakenMeanwhile) {
                daemons.remove(a);
                a.stop();
                a = null;
            }
        }
        assertEquals(2, daemons.size(), "both daemons started");
        int portOfA = a.listeners().get(0).getPort();

        // A may probe B before B listens: those probes fail and are sent again each second.
        awaitTrue("both loops reported", () -> !loopsOfA.isEmpty() && !loopsOfB.isEmpty());

        assertEquals(1, loopsOfA.size(), loopsOfA.toString());
        assertTrue(Pattern.matches("Loop \\(127\\.0\\.0\\.1:" + portOfB + " -> \\.:0\\) detected for zone \"\\.\","
                + " see https://coredns\\.io/plugins/loop#troubleshooting\\. Query: \"HINFO " + PROBE + "\"",
                loopsOfA.get(0)), loopsOfA.get(0));
        assertEquals(1, loopsOfB.size(), loopsOfB.toString());
        assertTrue(Pattern.matches("Loop \\(127\\.0\\.0\\.1:" + portOfA + " -> \\.:" + portOfB + "\\) detected for"
                + " zone \"\\.\", see https://coredns\\.io/plugins/loop#troubleshooting\\. Query: \"HINFO " + PROBE
                + "\"", loopsOfB.get(0)), loopsOfB.get(0));
    }

    @Test
    void aDaemonForwardingToARealServerReportsNothingAndStopsProbingAtTheAnswer() throws Exception {
        upstream = FakeUpstream.start("127.0.0.11");
        List<String> loops = new CopyOnWriteArrayList<>();
        InetSocketAddress to = upstream.address();
        Daemon daemon = start(forwarding(0, "127.0.0.1:" + to.getPort()), loops);

        awaitTrue("the probe at the upstream", () -> !hinfo(upstream).isEmpty());
        Message probe = hinfo(upstream).get(0);
        String name = probe.getQuestion().getName().toString();
        assertTrue(Pattern.matches(PROBE, name), name);

        // Longer than the retry interval (1 s) and the grace after the answer (2 s).
        Thread.sleep(3_500);
        assertEquals(1, hinfo(upstream).size(), "one probe: the first answer ended probing");

        // Detection is off now: a client asking the probe name is forwarded, not taken for a loop.
        SimpleResolver client = new SimpleResolver(daemon.listeners().get(0));
        client.setTimeout(Duration.ofSeconds(8));
        Message answer = client.send(Message.newQuery(Record.newRecord(Name.fromString(name), Type.HINFO, DClass.IN)));
        assertEquals(Rcode.NOERROR, answer.getRcode());
        assertEquals(2, hinfo(upstream).size());
        assertEquals(List.of(), loops);
    }

    @Test
    void aLoopBlockThatAReloadBringsIsProbedAndOneItKeepsIsNot() throws Exception {
        upstream = FakeUpstream.start("127.0.0.11");
        List<String> loops = new CopyOnWriteArrayList<>();
        int port = DaemonFixture.freeDnsPort();
        Daemon daemon = start(forwarding(port, "127.0.0.1:" + upstream.address().getPort()), loops);
        awaitTrue("the first probe at the upstream", () -> hinfo(upstream).size() == 1);

        // Same listener, now forwarding to itself: a new resolver, so a new probe, which comes back.
        daemon.reconfigure(CorefileParser.parse("test", forwarding(port, "127.0.0.1:" + port), 53));
        awaitTrue("the loop reported", () -> !loops.isEmpty());
        assertTrue(Pattern.matches("Loop \\(127\\.0\\.0\\.1:" + port + " -> \\.:" + port + "\\) detected for zone"
                + " \"\\.\", see https://coredns\\.io/plugins/loop#troubleshooting\\. Query: \"HINFO " + PROBE + "\"",
                loops.get(0)), loops.get(0));

        // Reloading the same text keeps the resolver: no second probe, no second report.
        daemon.reconfigure(CorefileParser.parse("test", forwarding(port, "127.0.0.1:" + port) + "\n", 53));
        Thread.sleep(1_500);
        assertEquals(1, loops.size(), loops.toString());
    }

    private static List<Message> hinfo(FakeUpstream upstream) {
        List<Message> out = new ArrayList<>();
        for (Message m : upstream.received()) {
            if (m.getQuestion() != null && m.getQuestion().getType() == Type.HINFO) {
                out.add(m);
            }
        }
        return out;
    }

    /**
     * The program as operators run it: forwarding to itself, it logs CoreDNS's line and exits 1 after
     * an orderly stop (CoreDNS: log.Fatalf).
     */
    @Test
    void theProgramForwardingToItselfExitsWithStatusOne(@TempDir Path dir) throws Exception {
        for (int attempt = 0; ; attempt++) {
            int port = DaemonFixture.freeDnsPort();
            Path corefile = dir.resolve("Corefile");
            Files.writeString(corefile, forwarding(port, "127.0.0.1:" + port));
            Path java = Path.of(System.getProperty("java.home"), "bin", "java");
            Process process = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                    "io.nodedns.app.Main", "-conf", corefile.toString(), "-metrics-listen-address", "")
                    .redirectErrorStream(true).start();
            CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> {
                try {
                    return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    return e.toString();
                }
            });
            boolean exited = process.waitFor(40, TimeUnit.SECONDS);
            if (!exited) {
                process.destroyForcibly().waitFor();
            }
            String log = output.get(10, TimeUnit.SECONDS);
            if (attempt < 2 && log.contains("cannot start")) {
                continue; // the port was taken between freeDnsPort() and the bind
            }
            assertTrue(exited, "still running after 40 s:\n" + log);
            assertEquals(1, process.exitValue(), log);
            assertTrue(Pattern.compile("Loop \\(127\\.0\\.0\\.1:" + port + " -> \\.:" + port + "\\) detected for zone"
                    + " \"\\.\", see https://coredns\\.io/plugins/loop#troubleshooting\\. Query: \"HINFO " + PROBE
                    + "\"").matcher(log).find(), log);
            assertTrue(log.contains("stopped"), "an orderly stop:\n" + log);
            return;
        }
    }
}
