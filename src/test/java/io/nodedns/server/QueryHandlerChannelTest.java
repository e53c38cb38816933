package io.nodedns.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.nodedns.cache.CachePolicy;
import io.nodedns.cache.ResponseCache;
import io.nodedns.wire.WireNames;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * The UDP and TCP handlers on an EmbeddedChannel, fed raw wire bytes as real
 * resolvers send them; every answer is parsed by dnsjava, and every input buffer
 * must be released.
 */
class QueryHandlerChannelTest {
    private static final InetSocketAddress CLIENT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 40000);
    private static final InetSocketAddress SERVER = new InetSocketAddress(InetAddress.getLoopbackAddress(), 53);

    /** glibc res_send: "kubernetes.default.svc.cluster.local A", RD, no EDNS (id 0x2b1f). */
    static final String GLIBC_A = "2b1f01000001000000000000"
            + "0a6b756265726e657465730764656661756c740373766307636c7573746572056c6f63616c00" + "00010001";
    /** dig 9.18: "example.com. AAAA", RD+AD, EDNS 1232 with a client cookie (id 0xbeef). */
    static final String DIG_AAAA_COOKIE = "beef01200001000000000001"
            + "076578616d706c6503636f6d00" + "001c0001"
            // OPT: root, type 41, size 1232, ext-rcode 0, version 0, flags 0, rdlength 12, COOKIE(10) len 8
            + "00" + "0029" + "04d0" + "00" + "00" + "0000" + "000c" + "000a0008" + "0102030405060708";
    /** The same dig query with EDNS version 1. */
    static final String DIG_EDNS1 = "beef01200001000000000001"
            + "076578616d706c6503636f6d00" + "001c0001"
            + "00" + "0029" + "04d0" + "00" + "01" + "0000" + "000c" + "000a0008" + "0102030405060708";

    private final AtomicLong nanos = new AtomicLong();
    private ScriptedUpstream upstream;
    private QueryProcessor processor;
    private QueryCounters counters;
    private ZoneRouter router;

    @BeforeEach
    void setUp() {
        upstream = new ScriptedUpstream(DnsServerTest::answer);
        counters = new QueryCounters();
        ResponseCache cache = new ResponseCache(CachePolicy.coreDnsDefaults(), nanos::get);
        BlockResolver block = new BlockResolver(".:53", cache, null, WireNames.toWire("."), upstream, counters,
                new PendingQueries(), null, false);
        router = ZoneRouter.of(List.of(new ZoneRouter.Route(WireNames.toWire("."), block)));
        processor = new QueryProcessor(router, counters);
    }

    static ByteBuf hex(String hex) {
        byte[] bytes = ByteBufUtil.decodeHexDump(hex);
        return PooledByteBufAllocator.DEFAULT.buffer(bytes.length).writeBytes(bytes);
    }

    /** The UDP pipeline as DnsServer builds it: flush consolidation in front of the handler. */
    private EmbeddedChannel udpChannel() {
        EmbeddedChannel ch = new EmbeddedChannel();
        UdpQueryHandler.pipelineFor(ch.pipeline(), new UdpQueryHandler(processor, 1232, () -> false));
        return ch;
    }

    /**
     * Sends one datagram and returns the answers sent, parsed; asserts the query was released.
     * Answers written during the read go out at its end (writeInbound fires the read-complete
     * event, then runs the event loop's pending tasks).
     */
    private List<Message> udp(EmbeddedChannel ch, ByteBuf query) throws Exception {
        ch.writeInbound(new DatagramPacket(query, SERVER, CLIENT));
        assertEquals(0, query.refCnt(), "the handler releases what it reads");
        List<Message> out = new ArrayList<>();
        DatagramPacket p;
        while ((p = ch.readOutbound()) != null) {
            try {
                assertEquals(CLIENT, p.recipient());
                out.add(new Message(ByteBufUtil.getBytes(p.content())));
            } finally {
                p.release();
            }
        }
        return out;
    }

    @Test
    void udpAnswersGlibcQueryThenServesItFromCache() throws Exception {
        EmbeddedChannel ch = udpChannel();
        List<Message> first = udp(ch, hex(GLIBC_A));
        assertEquals(1, first.size());
        Message m = first.get(0);
        assertEquals(0x2b1f, m.getHeader().getID());
        assertTrue(m.getHeader().getFlag(Flags.QR));
        assertEquals("kubernetes.default.svc.cluster.local.", m.getQuestion().getName().toString());
        assertEquals(1, m.getSection(Section.ANSWER).size());
        assertNull(m.getOPT(), "glibc sent no OPT, so none comes back");

        List<Message> second = udp(ch, hex(GLIBC_A));
        assertEquals(1, second.size());
        assertEquals(1, upstream.calls.get());
        ZoneMetrics root = router.zoneMetrics().get(0);
        assertEquals(1, root.successHits() + root.denialHits());
        assertFalse(ch.finish());
    }

    @Test
    void udpAnswerToAMissWrittenAfterTheReadReachesTheClient() throws Exception {
        EmbeddedChannel ch = udpChannel();
        CompletableFuture<Void> upstreamAnswers = upstream.hold();
        assertTrue(udp(ch, hex(GLIBC_A)).isEmpty(), "nothing to send before the upstream answers");

        // The answer is written now, outside any read of the listener: the flush consolidation
        // schedules its flush for the end of the event loop's turn, which EmbeddedChannel runs
        // before its writeAndFlush returns.
        upstreamAnswers.complete(null);
        DatagramPacket sent = ch.readOutbound();
        assertNotNull(sent, "the consolidated flush sent the answer");
        try {
            assertEquals(CLIENT, sent.recipient());
            assertEquals(0x2b1f, new Message(ByteBufUtil.getBytes(sent.content())).getHeader().getID());
        } finally {
            sent.release();
        }
        assertNull(ch.readOutbound());
        assertFalse(ch.finish());
    }

    @Test
    void udpAnswersDigQueryWithOurOptAndWithoutItsCookie() throws Exception {
        EmbeddedChannel ch = udpChannel();
        Message m = udp(ch, hex(DIG_AAAA_COOKIE)).get(0);
        assertEquals(0xbeef, m.getHeader().getID());
        assertNotNull(m.getOPT());
        assertEquals(1232, m.getOPT().getPayloadSize());
        assertTrue(m.getOPT().getOptions().isEmpty(), "the client's cookie is not echoed by a cache");
        assertEquals(Type.AAAA, upstream.queries.get(0).getQuestion().getType());
        ch.finishAndReleaseAll();
    }

    @Test
    void udpAnswersBadversAndDropsGarbage() throws Exception {
        EmbeddedChannel ch = udpChannel();
        Message bad = udp(ch, hex(DIG_EDNS1)).get(0);
        assertEquals(Rcode.BADVERS, bad.getRcode());
        assertEquals(0, bad.getOPT().getVersion());
        assertTrue(udp(ch, hex("0102030405")).isEmpty());
        assertTrue(udp(ch, hex(GLIBC_A.replaceFirst("^2b1f01", "2b1f81"))).isEmpty(), "QR=1 is dropped");
        Message formerr = udp(ch, hex(GLIBC_A.substring(0, 40))).get(0);
        assertEquals(Rcode.FORMERR, formerr.getRcode());
        assertEquals(0x2b1f, formerr.getHeader().getID());
        assertEquals(0, upstream.calls.get());
        ch.finishAndReleaseAll();
    }

    private EmbeddedChannel tcpChannel() {
        return tcpChannel(false);
    }

    /** The TCP pipeline as DnsServer builds it (less the idle timer), draining or not. */
    private EmbeddedChannel tcpChannel(boolean draining) {
        return new EmbeddedChannel(new LengthFieldBasedFrameDecoder(2 + 4096, 0, 2, 0, 2, true),
                new TcpQueryHandler(processor, () -> draining));
    }

    private static List<Message> tcpAnswers(EmbeddedChannel ch) throws Exception {
        List<Message> out = new ArrayList<>();
        ByteBuf b;
        while ((b = ch.readOutbound()) != null) {
            try {
                while (b.isReadable()) {
                    int length = b.readUnsignedShort();
                    out.add(new Message(ByteBufUtil.getBytes(b.readSlice(length))));
                }
            } finally {
                b.release();
            }
        }
        return out;
    }

    @Test
    void tcpReassemblesSplitFramesAndAnswersSeveralPerSegment() throws Exception {
        EmbeddedChannel ch = tcpChannel();
        byte[] q1 = ByteBufUtil.decodeHexDump(GLIBC_A);
        byte[] q2 = ByteBufUtil.decodeHexDump(DIG_AAAA_COOKIE);
        ByteBuf stream = PooledByteBufAllocator.DEFAULT.buffer();
        stream.writeShort(q1.length).writeBytes(q1).writeShort(q2.length).writeBytes(q2);
        // Arrives in three segments, the first ending inside the length prefix of nothing.
        ByteBuf a = stream.readRetainedSlice(1);
        ByteBuf b = stream.readRetainedSlice(q1.length + 5);
        ByteBuf c = stream.readRetainedSlice(stream.readableBytes());
        stream.release();
        ch.writeInbound(a);
        assertTrue(tcpAnswers(ch).isEmpty());
        ch.writeInbound(b);
        ch.writeInbound(c);
        List<Message> answers = tcpAnswers(ch);
        assertEquals(2, answers.size());
        assertEquals(0x2b1f, answers.get(0).getHeader().getID());
        assertEquals(0xbeef, answers.get(1).getHeader().getID());
        assertEquals(List.of(true, true), upstream.overTcp, "misses from TCP clients say so");
        assertTrue(ch.isActive());
        ch.finishAndReleaseAll();
    }

    @Test
    void tcpReadsOnlyWhileTheClientTakesItsAnswers() {
        EmbeddedChannel ch = tcpChannel();
        assertTrue(ch.config().isAutoRead());
        ch.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
        ch.runPendingTasks(); // the writability event is delivered as a task
        assertFalse(ch.config().isAutoRead(), "answers pile up: stop reading queries");
        ch.unsafe().outboundBuffer().setUserDefinedWritability(1, true);
        ch.runPendingTasks();
        assertTrue(ch.config().isAutoRead(), "drained: read again");
        ch.finishAndReleaseAll();
    }

    @Test
    void tcpDropsWhatArrivesOnceDrainingAndStopsReading() throws Exception {
        EmbeddedChannel ch = tcpChannel(true);
        byte[] q = ByteBufUtil.decodeHexDump(GLIBC_A);
        ByteBuf framed = PooledByteBufAllocator.DEFAULT.buffer().writeShort(q.length).writeBytes(q);
        ch.writeInbound(framed);
        assertEquals(0, framed.refCnt());
        assertTrue(tcpAnswers(ch).isEmpty());
        assertFalse(ch.config().isAutoRead());
        assertEquals(0, upstream.calls.get());
        ch.finishAndReleaseAll();
    }

    @Test
    void tcpClosesOnAFrameThatIsNotAQuery() throws Exception {
        EmbeddedChannel ch = tcpChannel();
        ch.writeInbound(hex("0003010203"));
        assertFalse(ch.isActive());
        assertEquals(1, counters.tcpRejected.sum());
        ch.finishAndReleaseAll();
    }

    @Test
    void tcpClosesOnAnOversizedLengthPrefix() throws Exception {
        EmbeddedChannel ch = tcpChannel();
        try {
            ch.writeInbound(hex("1001" + "00".repeat(8)));
        } catch (Exception expected) {
            // EmbeddedChannel rethrows what the pipeline raised; the handler already closed the channel.
        }
        assertFalse(ch.isActive());
        ch.finishAndReleaseAll();
    }
}
