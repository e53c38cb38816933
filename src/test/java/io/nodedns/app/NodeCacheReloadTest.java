package io.nodedns.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nodedns.config.CorefileParser;
import io.nodedns.config.NodeCacheInputs;
import io.nodedns.metrics.ReloadOutcomes.Outcome;
import io.nodedns.metrics.SetupErrors;
import io.nodedns.upstream.FakeUpstream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * node-cache's pipeline under reload: the kube-dns ConfigMap changes (a stub domain appears), the
 * rendered Corefile follows and serves; a broken ConfigMap is counted and refused, at start it is
 * skipped as node-cache skips it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NodeCacheReloadTest {
    @TempDir
    Path dir;
    private final DaemonFixture fixture = new DaemonFixture(1);
    private final ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1);
    private final SetupErrors setupErrors = new SetupErrors();
    private Daemon daemon;
    private ConfigReloader reloader;
    private Path base;
    private Path kubeDns;
    private Path rendered;
    private int port;

    @BeforeEach
    void files() throws Exception {
        port = DaemonFixture.freeDnsPort();
        base = dir.resolve("Corefile.base");
        // The published template's shape, on a test port; the cluster block is never queried here.
        Files.writeString(base, "cluster.local:" + port + " {\n    cache 30\n    bind __PILLAR__LOCAL__DNS__\n"
                + "    forward . __PILLAR__CLUSTER__DNS__ {\n        force_tcp\n    }\n    reload\n}\n"
                + ".:" + port + " {\n    cache 30\n    bind __PILLAR__LOCAL__DNS__\n"
                + "    forward . __PILLAR__UPSTREAM__SERVERS__\n}\n");
        kubeDns = Files.createDirectory(dir.resolve("kube-dns"));
        rendered = dir.resolve("Corefile");
    }

    private FakeUpstream upstream(String answer) throws Exception {
        return fixture.upstream(answer);
    }

    private static String hostPort(FakeUpstream u) {
        return DaemonFixture.hostPort(u);
    }

    private void start() throws Exception {
        NodeCacheInputs inputs = new NodeCacheInputs(base, kubeDns, "kube-dns",
                Map.of("KUBE_DNS_SERVICE_HOST", "127.0.0.1"), List.of(InetAddress.getLoopbackAddress()), port,
                dir.resolve("resolv.conf"));
        Files.writeString(dir.resolve("resolv.conf"), "nameserver 127.0.0.1\n");
        NodeCacheConfigText text = new NodeCacheConfigText(inputs, rendered, setupErrors, true);
        String startText = text.read();
        daemon = fixture.start(CorefileParser.parse(text.source(), startText, port), setupErrors);
        reloader = new ConfigReloader(text, port, daemon, startText, scheduler, bound -> 0);
    }

    @AfterEach
    void stop() throws Exception {
        if (reloader != null) {
            reloader.close();
        }
        scheduler.shutdownNow();
        fixture.close();
    }

    private String ask(String name) throws Exception {
        Message m = DaemonFixture.ask(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), name, Type.A);
        return ((ARecord) m.getSection(Section.ANSWER).get(0)).getAddress().getHostAddress();
    }

    @Test
    void aStubDomainAddedToTheKubeDnsConfigMapIsServedAfterTheNextCheck() throws Exception {
        FakeUpstream upstreamServers = upstream("127.0.0.21");
        FakeUpstream acme = upstream("127.0.0.22");
        Files.writeString(kubeDns.resolve("upstreamNameservers"), "[\"" + hostPort(upstreamServers) + "\"]");
        start();
        assertEquals("127.0.0.21", ask("www.example.com."));

        Files.writeString(kubeDns.resolve("stubDomains"), "{\"acme.local\": [\"" + hostPort(acme) + "\"]}");
        assertEquals(ConfigReloader.Result.APPLIED, reloader.checkNow());

        assertEquals("127.0.0.22", ask("db.acme.local."));
        assertEquals("127.0.0.21", ask("www.example.com."));
        assertTrue(Files.readString(rendered).contains("acme.local:" + port + " {"), Files.readString(rendered));
        assertEquals(ConfigReloader.Result.UNCHANGED, reloader.checkNow());
    }

    @Test
    void aBrokenKubeDnsConfigMapIsCountedAndTheLastGoodOneKeepsServingWhileTemplateChangesApply()
            throws Exception {
        FakeUpstream upstreamServers = upstream("127.0.0.21");
        Files.writeString(kubeDns.resolve("upstreamNameservers"), "[\"" + hostPort(upstreamServers) + "\"]");
        start();
        String before = Files.readString(rendered);

        Files.writeString(kubeDns.resolve("stubDomains"), "{\"acme.local\": [\"10.0.0.1\"");
        assertEquals(ConfigReloader.Result.UNCHANGED, reloader.checkNow(), "rendered with the last good ConfigMap");

        assertEquals(1, setupErrors.errors(SetupErrors.Type.CONFIGMAP));
        assertEquals(0, daemon.reloads().total(Outcome.INVALID));
        assertEquals(before, Files.readString(rendered), "the served Corefile was not rewritten");
        assertEquals("127.0.0.21", ask("www.example.com."));

        // The node-local-dns template still changes while kube-dns's ConfigMap stays broken.
        Files.writeString(base, Files.readString(base).replace("cache 30\n    bind", "cache 20\n    bind"));
        assertEquals(ConfigReloader.Result.APPLIED, reloader.checkNow());
        assertTrue(Files.readString(rendered).contains("forward . " + hostPort(upstreamServers)),
                "still the last good upstreamNameservers: " + Files.readString(rendered));
        assertEquals(2, setupErrors.errors(SetupErrors.Type.CONFIGMAP));
        assertEquals("127.0.0.21", ask("www.example.com."));
    }

    @Test
    void aBrokenKubeDnsConfigMapAtStartIsSkippedAsNodeCacheDoes() throws Exception {
        Files.writeString(kubeDns.resolve("upstreamNameservers"), "not json");
        start();

        assertEquals(1, setupErrors.errors(SetupErrors.Type.CONFIGMAP));
        assertTrue(Files.readString(rendered).contains("forward . " + dir.resolve("resolv.conf")),
                "upstreams from resolv.conf: " + Files.readString(rendered));
        assertEquals(2, daemon.corefile().blocks().size());
    }
}
