package io.nodedns.upstream;

import static io.nodedns.upstream.UpstreamTesting.answer;
import static io.nodedns.upstream.UpstreamTesting.firstAddress;
import static io.nodedns.upstream.UpstreamTesting.forward;
import static io.nodedns.upstream.UpstreamTesting.forwardAllAtOnce;
import static io.nodedns.upstream.UpstreamTesting.settings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.nodedns.transport.NettyTransport;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;

/** Which transport a forward uses (force_tcp, prefer_udp, the client's) and UDP specifics. */
@Timeout(60)
class ForwarderTransportTest {
    private static NettyTransport transport;
    private FakeUpstream upstream;

    @BeforeAll
    static void startLoops() {
        transport = NettyTransport.create(2, true);
    }

    @AfterAll
    static void stopLoops() {
        transport.close();
    }

    @BeforeEach
    void startUpstream() throws Exception {
        upstream = FakeUpstream.start("192.0.2.7");
    }

    @AfterEach
    void stopUpstream() {
        upstream.close();
    }

    @Test
    void forceTcpUsesTcpEvenForUdpClients() throws Exception {
        try (Forwarder forwarder = new Forwarder(settings(TransportMode.FORCE_TCP, upstream), transport, System::nanoTime)) {
            answer(forward(forwarder, "a.example.", 1, false));
            answer(forward(forwarder, "b.example.", 2, true));
            assertEquals(2, upstream.tcpQueries());
            assertEquals(0, upstream.udpQueries());
        }
    }

    @Test
    void preferUdpUsesUdpEvenForTcpClients() throws Exception {
        try (Forwarder forwarder = new Forwarder(settings(TransportMode.PREFER_UDP, upstream), transport, System::nanoTime)) {
            Message viaUdpClient = answer(forward(forwarder, "a.example.", 1, false));
            Message viaTcpClient = answer(forward(forwarder, "b.example.", 2, true));
            assertEquals("192.0.2.7", firstAddress(viaUdpClient));
            assertEquals(2, viaTcpClient.getHeader().getID());
            assertEquals(2, upstream.udpQueries());
            assertEquals(0, upstream.tcpQueries());
        }
    }

    @Test
    void sameAsClientFollowsTheClientsTransport() throws Exception {
        try (Forwarder forwarder = new Forwarder(settings(TransportMode.SAME_AS_CLIENT, upstream), transport,
                System::nanoTime)) {
            answer(forward(forwarder, "udp.example.", 1, false));
            assertEquals(1, upstream.udpQueries());
            assertEquals(0, upstream.tcpQueries());
            answer(forward(forwarder, "tcp.example.", 2, true));
            assertEquals(1, upstream.udpQueries());
            assertEquals(1, upstream.tcpQueries());
        }
    }

    @Test
    void retriesOverTcpWhenTheUdpAnswerIsTruncated() throws Exception {
        upstream.truncateUdp(true);
        try (Forwarder forwarder = new Forwarder(settings(TransportMode.PREFER_UDP, upstream), transport, System::nanoTime)) {
            Message response = answer(forward(forwarder, "big.example.", 9, false));
            assertEquals(9, response.getHeader().getID());
            assertTrue(!response.getHeader().getFlag(Flags.TC), "TC answer passed through");
            assertEquals("192.0.2.7", firstAddress(response));
            assertEquals(1, upstream.udpQueries());
            assertEquals(1, upstream.tcpQueries());
            UpstreamStats stats = forwarder.stats().upstreams().get(0);
            assertEquals(1, stats.truncatedRetries());
            assertEquals(2, stats.attempts());
        }
    }

    @Test
    void matchesConcurrentUdpAnswersByIdAndQuestion() throws Exception {
        upstream.delay(Duration.ofMillis(30));
        upstream.wrongIdFirst(true);
        try (Forwarder forwarder = new Forwarder(settings(TransportMode.PREFER_UDP, upstream), transport, System::nanoTime)) {
            forwardAllAtOnce(forwarder, "u", 50, 4000);
            assertEquals(50, upstream.udpQueries());
            assertEquals(0, forwarder.stats().upstreams().get(0).timeouts());
        }
    }

    @Test
    void replacesUdpSocketsAfterTheirQueryLimit() throws Exception {
        PoolTuning tuning = PoolTuning.DEFAULTS.withUdpSockets(1, 3);
        try (Forwarder forwarder = new Forwarder(settings(TransportMode.PREFER_UDP, upstream), transport,
                System::nanoTime, tuning)) {
            for (int i = 0; i < 12; i++) {
                answer(forward(forwarder, "port" + i + ".example.", i, false));
            }
            // 12 queries over 2 loops, a socket per 3 queries: at least 4 sockets, so 4 source ports.
            assertTrue(forwarder.stats().upstreams().get(0).connectionsOpened() >= 4,
                    "sockets opened: " + forwarder.stats().upstreams().get(0).connectionsOpened());
        }
    }
}
