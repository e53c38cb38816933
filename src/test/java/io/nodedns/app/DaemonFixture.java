package io.nodedns.app;

import io.nodedns.config.Corefile;
import io.nodedns.config.CorefileParser;
import io.nodedns.metrics.SetupErrors;
import io.nodedns.transport.NettyTransport;
import io.nodedns.upstream.FakeUpstream;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SimpleResolver;

/**
 * What an in-process daemon test starts: fake upstreams, a transport, daemons; closed in reverse
 * order by {@link #close()} (call it from {@code @AfterEach}). Everything listens on loopback.
 */
final class DaemonFixture implements AutoCloseable {
    private final int threads;
    private final List<FakeUpstream> upstreams = new ArrayList<>();
    private final List<Daemon> daemons = new ArrayList<>();
    private NettyTransport transport;

    /** @param threads event loops of the daemons' transport */
    DaemonFixture(int threads) {
        this.threads = threads;
    }

    /**
     * A port free for UDP and TCP on 127.0.0.1 a moment ago, for a server block a daemon will bind
     * both on (a port free for UDP alone may be some TCP connection's); the caller retries if it
     * was taken since.
     */
    static int freeDnsPort() throws IOException {
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        for (int i = 0; i < 20; i++) {
            try (ServerSocket tcp = new ServerSocket(0, 1, loopback)) {
                try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress(loopback, tcp.getLocalPort()))) {
                    return udp.getLocalPort();
                } catch (IOException takenForUdp) {
                    // try another
                }
            }
        }
        throw new IOException("no free port for UDP and TCP");
    }

    /** A fake upstream answering every A query with {@code answer}. */
    FakeUpstream upstream(String answer) throws Exception {
        FakeUpstream u = FakeUpstream.start(answer);
        upstreams.add(u);
        return u;
    }

    /** {@code IP:PORT} of {@code u}, as a forward directive names it. */
    static String hostPort(FakeUpstream u) {
        return io.nodedns.config.HostPorts.format(u.address());
    }

    NettyTransport transport() {
        if (transport == null) {
            transport = NettyTransport.create(threads, true);
        }
        return transport;
    }

    /** Starts a daemon from Corefile {@code text} (ports default to 53). */
    Daemon start(String text) throws Exception {
        return start(CorefileParser.parse("test", text, 53), new SetupErrors());
    }

    Daemon start(Corefile corefile, SetupErrors setupErrors) throws Exception {
        Daemon daemon = Daemon.start(corefile, transport(), null, setupErrors, message -> { });
        daemons.add(daemon);
        return daemon;
    }

    /** One query over UDP, waiting at most 5 s. */
    static Message ask(InetSocketAddress server, String name, int type) throws Exception {
        SimpleResolver r = new SimpleResolver(server);
        r.setTimeout(Duration.ofSeconds(5));
        return r.send(Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN)));
    }

    @Override
    public void close() throws Exception {
        for (Daemon d : daemons) {
            d.stop();
        }
        if (transport != null) {
            transport.close();
        }
        for (FakeUpstream u : upstreams) {
            u.close();
        }
    }
}
