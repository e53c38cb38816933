package io.nodedns.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.nodedns.cache.CachePolicy;
import io.nodedns.cache.ResponseCache;
import io.nodedns.testing.NettyLeakCheck;
import io.nodedns.transport.NettyTransport;
import io.nodedns.wire.WireNames;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * The bound on queries waiting for an upstream: with the upstream holding every answer, the misses
 * past the bound are answered SERVFAIL at once instead of queueing, and those within it are
 * answered when the upstream answers.
 */
@ExtendWith(NettyLeakCheck.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PendingBoundTest {
    private static final int LIMIT = 10;
    private static final int QUERIES = 50;
    private NettyTransport transport;
    private DnsServer server;

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.stop(Duration.ofSeconds(1));
        }
        if (transport != null) {
            transport.close();
        }
    }

    @Test
    void missesPastThePendingBoundGetServfailAtOnceAndTheRestTheirAnswers() throws Exception {
        transport = NettyTransport.create(1, true);
        ScriptedUpstream upstream = new ScriptedUpstream(q -> {
            Message r = ScriptedUpstream.responseTo(q);
            r.addRecord(new ARecord(q.getQuestion().getName(), DClass.IN, 60, InetAddress.getLoopbackAddress()),
                    Section.ANSWER);
            return r;
        });
        CompletableFuture<Void> release = upstream.hold();
        QueryCounters counters = new QueryCounters();
        PendingQueries pending = new PendingQueries(LIMIT);
        ResponseCache cache = new ResponseCache(CachePolicy.coreDnsDefaults(), System::nanoTime);
        BlockResolver block = new BlockResolver("example.:0", cache, null, WireNames.toWire("example."), upstream,
                counters, pending, null, false);
        ZoneRouter router = ZoneRouter.of(List.of(new ZoneRouter.Route(WireNames.toWire("example."), block)));
        server = new DnsServer(transport, List.of(new DnsServer.Listener(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), router)), DnsServer.Limits.defaults(),
                counters, pending);
        server.start();
        InetSocketAddress address = server.boundAddresses().get(0);

        Map<Integer, Integer> rcodeById = new HashMap<>();
        try (DatagramSocket socket = new DatagramSocket()) {
            socket.setSoTimeout(5_000);
            for (int i = 0; i < QUERIES; i++) {
                byte[] wire = Clients.query("n" + i + ".example.", Type.A, i).toWire();
                socket.send(new DatagramPacket(wire, wire.length, address));
            }
            byte[] buf = new byte[2048];
            for (int i = 0; i < QUERIES - LIMIT; i++) {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                socket.receive(p);
                Message m = new Message(java.util.Arrays.copyOf(p.getData(), p.getLength()));
                rcodeById.put(m.getHeader().getID(), m.getRcode());
            }
            assertEquals(QUERIES - LIMIT, rcodeById.size());
            assertEquals(List.of(Rcode.SERVFAIL), rcodeById.values().stream().distinct().toList(),
                    "everything past the bound was answered SERVFAIL while the upstream held its answers");
            assertEquals(LIMIT, pending.count(), "exactly the bound waits");
            assertEquals(LIMIT, upstream.calls.get(), "and only those were forwarded");
            assertEquals(QUERIES - LIMIT, counters.overloaded.sum());

            release.complete(null);
            for (int i = 0; i < LIMIT; i++) {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                socket.receive(p);
                Message m = new Message(java.util.Arrays.copyOf(p.getData(), p.getLength()));
                assertEquals(Rcode.NOERROR, m.getRcode());
                rcodeById.put(m.getHeader().getID(), m.getRcode());
            }
        }
        assertEquals(QUERIES, rcodeById.size(), "every client got exactly one answer");
        assertEquals(0, pending.count());
    }
}
