package io.nodedns.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nodedns.config.CorefileParser;
import io.nodedns.config.ReloadSettings;
import io.nodedns.metrics.ReloadOutcomes.Outcome;
import io.nodedns.metrics.SetupErrors;
import io.nodedns.upstream.FakeUpstream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/**
 * Reloading a changed Corefile while queries flow: nothing is lost, unchanged blocks keep their
 * caches, a broken change is refused and the running configuration keeps serving.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ConfigReloadTest {
    @TempDir
    Path dir;
    private final DaemonFixture fixture = new DaemonFixture(2);
    private final ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1);
    private Daemon daemon;
    private ConfigReloader reloader;
    private Path corefile;

    private FakeUpstream upstream(String answer) throws Exception {
        return fixture.upstream(answer);
    }

    private static String hostPort(FakeUpstream u) {
        return DaemonFixture.hostPort(u);
    }

    /** Starts from {@code text}; reload checks are driven by the test (jitter fixed at +1 s). */
    private void start(String text) throws Exception {
        corefile = dir.resolve("Corefile");
        Files.writeString(corefile, text);
        daemon = fixture.start(CorefileParser.parse(corefile, 53), new SetupErrors());
        reloader = new ConfigReloader(ConfigText.file(corefile), 53, daemon, text, scheduler,
                bound -> Duration.ofSeconds(1).toNanos());
    }

    @AfterEach
    void stop() throws Exception {
        if (reloader != null) {
            reloader.close();
        }
        scheduler.shutdownNow();
        fixture.close();
    }

    private static String blocks(String upstream, String bTtl, String extra) {
        return "a.example.:0 {\n  bind 127.0.0.1\n  cache\n  forward . " + upstream + "\n}\n"
                + "b.example.:0 {\n  bind 127.0.0.1\n  cache " + bTtl + "\n  forward . " + upstream + "\n"
                + extra + "}\n";
    }

    private static Message ask(InetSocketAddress server, String name) throws Exception {
        return DaemonFixture.ask(server, name, Type.A);
    }

    @Test
    void aValidChangeIsAppliedWithoutLosingAQueryAndUnchangedBlocksKeepTheirCache() throws Exception {
        FakeUpstream kubeDns = upstream("127.0.0.11");
        start(blocks(hostPort(kubeDns), "60", ""));
        InetSocketAddress dns = daemon.listeners().get(0);
        ask(dns, "x.a.example.");
        ask(dns, "x.b.example.");
        assertEquals(2, kubeDns.queries());

        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger answered = new AtomicInteger();
        AtomicInteger lost = new AtomicInteger();
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            Thread t = new Thread(() -> {
                while (running.get()) {
                    try {
                        Message m = ask(dns, "x.a.example.");
                        if (m.getRcode() == Rcode.NOERROR && m.getSection(1).size() == 1) {
                            answered.incrementAndGet();
                        } else {
                            lost.incrementAndGet();
                        }
                    } catch (Exception e) {
                        lost.incrementAndGet();
                    }
                }
            });
            t.start();
            clients.add(t);
        }
        Thread.sleep(200);
        // a.example.'s block is the same text with a comment added; b.example.'s TTL changed.
        Files.writeString(corefile, "# edited\n" + blocks(hostPort(kubeDns), "30", "  reload 10s 2s\n"));
        assertEquals(ConfigReloader.Result.APPLIED, reloader.checkNow());
        Thread.sleep(200);
        running.set(false);
        for (Thread t : clients) {
            t.join();
        }

        assertEquals(0, lost.get(), "queries lost or failed across the reload");
        assertTrue(answered.get() > 10, "clients kept being answered: " + answered.get());
        assertEquals(dns, daemon.listeners().get(0), "the listener kept its socket");
        ask(dns, "x.a.example.");
        assertEquals(2, kubeDns.queries(), "a.example.'s cache survived the reload: still a hit");
        ask(dns, "x.b.example.");
        assertEquals(3, kubeDns.queries(), "b.example. changed, so its cache started empty");
        assertEquals(1, daemon.reloads().total(Outcome.APPLIED));
        assertEquals(ConfigReloader.sha512(Files.readString(corefile)), daemon.reloads().version());
    }

    @Test
    void anInvalidChangeIsRefusedOnceAndTheOldConfigurationKeepsServing() throws Exception {
        FakeUpstream kubeDns = upstream("127.0.0.11");
        String good = blocks(hostPort(kubeDns), "60", "");
        start(good);
        InetSocketAddress dns = daemon.listeners().get(0);
        String versionBefore = daemon.reloads().version();

        Files.writeString(corefile, good + "c.example.:0 {\n  bind 127.0.0.1\n  frobnicate\n}\n");
        assertEquals(ConfigReloader.Result.INVALID, reloader.checkNow());
        assertEquals(ConfigReloader.Result.UNCHANGED, reloader.checkNow(), "the same broken text is reported once");

        assertEquals(1, daemon.reloads().total(Outcome.INVALID));
        assertEquals(versionBefore, daemon.reloads().version());
        assertEquals(2, daemon.corefile().blocks().size(), "still the old configuration");
        Message m = ask(dns, "y.a.example.");
        assertEquals(Rcode.NOERROR, m.getRcode());

        Files.writeString(corefile, good.replace("cache 60", "cache 20"));
        assertEquals(ConfigReloader.Result.APPLIED, reloader.checkNow(), "a fixed text applies again");
        assertNotEquals(versionBefore, daemon.reloads().version());
    }

    @Test
    void aChangeThatCannotBeBoundIsRefusedAndNothingChanges() throws Exception {
        FakeUpstream kubeDns = upstream("127.0.0.11");
        String good = blocks(hostPort(kubeDns), "60", "");
        start(good);
        InetSocketAddress dns = daemon.listeners().get(0);
        try (DatagramSocket taken = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            Files.writeString(corefile, good + "c.example.:" + taken.getLocalPort() + " {\n  bind 127.0.0.1\n  "
                    + "forward . " + hostPort(kubeDns) + "\n}\n");
            assertEquals(ConfigReloader.Result.FAILED, reloader.checkNow());
        }
        assertEquals(1, daemon.reloads().total(Outcome.FAILED));
        assertEquals(List.of(dns), daemon.listeners());
        assertEquals(Rcode.NOERROR, ask(dns, "z.b.example.").getRcode());
    }

    @Test
    void addsAndRemovesListenersByAddress() throws Exception {
        FakeUpstream kubeDns = upstream("127.0.0.11");
        start("a.example.:0 {\n  bind 127.0.0.1\n  forward . " + hostPort(kubeDns) + "\n}\n");
        InetSocketAddress first = daemon.listeners().get(0);
        java.net.Socket oldClient = new java.net.Socket(first.getAddress(), first.getPort());
        oldClient.setSoTimeout(15_000);

        Files.writeString(corefile, "a.example.:0 {\n  bind 127.0.0.2\n  forward . " + hostPort(kubeDns) + "\n}\n");
        assertEquals(ConfigReloader.Result.APPLIED, reloader.checkNow());
        long removedAt = System.nanoTime();
        assertEquals(-1, oldClient.getInputStream().read(), "a TCP client of the removed address is closed");
        long closedAfter = System.nanoTime() - removedAt;
        assertTrue(closedAfter >= TimeUnit.SECONDS.toNanos(4) && closedAfter < TimeUnit.SECONDS.toNanos(9),
                "after the 5 s grace, before the 10 s idle timeout would: " + closedAfter / 1_000_000 + " ms");
        oldClient.close();

        InetSocketAddress second = daemon.listeners().get(0);
        assertEquals(1, daemon.listeners().size());
        assertEquals("127.0.0.2", second.getAddress().getHostAddress());
        assertEquals(Rcode.NOERROR, ask(second, "x.a.example.").getRcode());
        try (DatagramSocket reuse = new DatagramSocket(first)) {
            assertEquals(first.getPort(), reuse.getLocalPort(), "the old address was released");
        }
    }

    @Test
    void checksEveryIntervalPlusJitterOnlyWhenAReloadDirectiveAsks() throws Exception {
        FakeUpstream kubeDns = upstream("127.0.0.11");
        start(blocks(hostPort(kubeDns), "60", ""));
        reloader.start();
        assertEquals(0, scheduler.getQueue().size(), "no reload directive: no periodic check");

        Files.writeString(corefile, blocks(hostPort(kubeDns), "60", "  reload 10s 2s\n"));
        assertEquals(ConfigReloader.Result.APPLIED, reloader.reloadNow());

        assertEquals(1, scheduler.getQueue().size());
        long delay = ((java.util.concurrent.Delayed) scheduler.getQueue().peek()).getDelay(TimeUnit.MILLISECONDS);
        assertTrue(delay > 10_000 && delay <= 11_000, "10 s interval plus the injected 1 s of jitter: " + delay);
        assertEquals(Duration.ofSeconds(31).toNanos(), reloader.delayNanos(ReloadSettings.defaults()));
        assertEquals(ConfigReloader.Result.APPLIED, reloader.reloadNow(), "SIGUSR1 reloads even an unchanged file");
    }
}
