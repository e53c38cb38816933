package io.nodedns.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.nodedns.testing.Templates;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;
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
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.Type;

/**
 * Scanning upstream responses into templates and replaying them to clients;
 * every message written here is parsed back by dnsjava.
 */
class ResponseWriterTest {
    static final Name QNAME = name("www.example.com.");

    static Name name(String s) {
        try {
            return Name.fromString(s);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** What kube-dns would send: an A answer behind a CNAME, an SOA, glue, and its OPT. */
    static Message upstreamAnswer() throws Exception {
        Message m = new Message(0);
        m.getHeader().setFlag(Flags.QR);
        m.getHeader().setFlag(Flags.AA);
        m.getHeader().setFlag(Flags.RD);
        m.getHeader().setFlag(Flags.RA);
        m.addRecord(Record.newRecord(QNAME, Type.A, DClass.IN), Section.QUESTION);
        m.addRecord(new CNAMERecord(QNAME, DClass.IN, 300, name("web.example.com.")), Section.ANSWER);
        m.addRecord(new ARecord(name("web.example.com."), DClass.IN, 60, InetAddress.getByName("127.96.0.1")),
                Section.ANSWER);
        m.addRecord(new ARecord(name("ns.example.com."), DClass.IN, 100, InetAddress.getByName("127.96.0.2")),
                Section.ADDITIONAL);
        m.addRecord(new OPTRecord(1232, 0, 0), Section.ADDITIONAL);
        return m;
    }

    static Message negative(int rcode, long soaTtl, long minimum) throws Exception {
        Message m = new Message(0);
        m.getHeader().setFlag(Flags.QR);
        m.getHeader().setRcode(rcode);
        m.addRecord(Record.newRecord(QNAME, Type.A, DClass.IN), Section.QUESTION);
        m.addRecord(new SOARecord(name("example.com."), DClass.IN, soaTtl, name("ns.example.com."),
                name("hostmaster.example.com."), 1, 3600, 600, 86400, minimum), Section.AUTHORITY);
        return m;
    }

    static AnswerTemplate scan(Message m) {
        return Templates.scan(m.toWire());
    }

    static ParsedQuery clientQuery(String qname, boolean edns, int udpSize, boolean dnssecOk, boolean rd)
            throws Exception {
        Message q = Message.newQuery(Record.newRecord(name(qname), Type.A, DClass.IN));
        q.getHeader().setID(4711);
        if (!rd) {
            q.getHeader().unsetFlag(Flags.RD);
        }
        if (edns) {
            q.addRecord(new OPTRecord(udpSize, 0, 0, dnssecOk ? ExtendedFlags.DO : 0), Section.ADDITIONAL);
        }
        ParsedQuery parsed = new ParsedQuery();
        ByteBuf buf = Unpooled.wrappedBuffer(q.toWire());
        try {
            assertEquals(QueryVerdict.ANSWER, parsed.parse(buf));
        } finally {
            buf.release();
        }
        return parsed;
    }

    /** Writes with the pooled allocator (leak-checked) and returns dnsjava's reading of it. */
    static Message written(java.util.function.Consumer<ByteBuf> writer) throws Exception {
        ByteBuf out = PooledByteBufAllocator.DEFAULT.buffer();
        try {
            writer.accept(out);
            byte[] bytes = new byte[out.readableBytes()];
            out.getBytes(out.readerIndex(), bytes);
            return new Message(bytes);
        } finally {
            out.release();
        }
    }

    @Test
    void scanRemovesOptAndRecordsTtls() throws Exception {
        AnswerTemplate t = scan(upstreamAnswer());
        assertNotNull(t);
        assertEquals(ResponseKind.SUCCESS, t.kind());
        assertEquals(60, t.minTtl(), "smallest TTL over answer and authority; additional is not counted");
        assertEquals(-1, t.negativeTtl());
        assertEquals(3, t.ttlCount(), "CNAME, A and glue A; not the OPT");
        assertEquals(upstreamAnswer().toWire().length - DnsWire.OPT_RECORD_LENGTH, t.length());
        Message without = new Message(java.util.Arrays.copyOf(t.bytes(), t.length()));
        assertNull(without.getOPT());
        assertEquals(1, without.getSection(Section.ADDITIONAL).size());
    }

    @Test
    void negativeTtlIsTheSmallerOfSoaTtlAndMinimum() throws Exception {
        AnswerTemplate nx = scan(negative(Rcode.NXDOMAIN, 3600, 30));
        assertEquals(ResponseKind.NXDOMAIN, nx.kind());
        assertEquals(30, nx.negativeTtl());
        AnswerTemplate nodata = scan(negative(Rcode.NOERROR, 20, 300));
        assertEquals(ResponseKind.NODATA, nodata.kind());
        assertEquals(20, nodata.negativeTtl());
        Message noSoa = negative(Rcode.NXDOMAIN, 1, 1);
        noSoa.removeAllRecords(Section.AUTHORITY);
        assertEquals(-1, scan(noSoa).negativeTtl());
    }

    @Test
    void classifiesServfailRefusedAndExtendedRcodes() throws Exception {
        Message servfail = negative(Rcode.SERVFAIL, 1, 1);
        assertEquals(ResponseKind.SERVFAIL, scan(servfail).kind());
        Message refused = negative(Rcode.REFUSED, 1, 1);
        assertEquals(ResponseKind.OTHER, scan(refused).kind());
        Message badCookie = upstreamAnswer();
        badCookie.removeAllRecords(Section.ADDITIONAL);
        badCookie.addRecord(new OPTRecord(1232, 1, 0), Section.ADDITIONAL);
        assertEquals(ResponseKind.OTHER, scan(badCookie).kind());
    }

    @Test
    void scanRejectsMalformedResponses() throws Exception {
        byte[] wire = upstreamAnswer().toWire();
        for (int cut : new int[] {5, 20, 40, wire.length - 1}) {
            assertNull(Templates.scan(java.util.Arrays.copyOf(wire, cut)), "cut at " + cut);
        }
        byte[] query = wire.clone();
        query[2] &= 0x7F; // QR=0
        assertNull(Templates.scan(query));
    }

    @Test
    void replayPatchesIdCaseAndFlagsAndLowersTtls() throws Exception {
        AnswerTemplate t = scan(upstreamAnswer());
        ParsedQuery q = clientQuery("WWW.eXample.com.", false, 0, false, false);
        Message m = written(out -> assertTrue(ResponseWriter.writeAnswer(out, t, 30, 7, true, q, 512)));
        assertEquals(4711, m.getHeader().getID());
        assertTrue(m.getHeader().getFlag(Flags.QR));
        assertFalse(m.getHeader().getFlag(Flags.RD), "RD is copied from the query");
        assertFalse(m.getHeader().getFlag(Flags.AA), "a cache is not authoritative");
        assertTrue(m.getHeader().getFlag(Flags.RA));
        assertEquals("WWW.eXample.com.", m.getQuestion().getName().toString());
        List<Record> answers = m.getSection(Section.ANSWER);
        assertEquals("WWW.eXample.com.", answers.get(0).getName().toString(),
                "owner names compressed against the question follow its case");
        assertEquals(23, answers.get(0).getTTL(), "300 capped at the 30 s lifetime, minus 7 s of age");
        assertEquals(23, answers.get(1).getTTL(), "60 capped at 30, minus 7");
        assertEquals(23, m.getSection(Section.ADDITIONAL).get(0).getTTL());
        assertNull(m.getOPT(), "no OPT for a client that sent none");
    }

    @Test
    void ttlsNeverGoBelowZeroOrAbovePassThrough() throws Exception {
        AnswerTemplate t = scan(upstreamAnswer());
        ParsedQuery q = clientQuery("www.example.com.", false, 0, false, true);
        Message old = written(out -> ResponseWriter.writeAnswer(out, t, 5, 100, true, q, 512));
        assertEquals(0, old.getSection(Section.ANSWER).get(0).getTTL());
        Message fresh = written(out -> ResponseWriter.writeAnswer(out, t, Long.MAX_VALUE, 0, false, q, 512));
        assertEquals(300, fresh.getSection(Section.ANSWER).get(0).getTTL());
        assertTrue(fresh.getHeader().getFlag(Flags.AA), "a fresh upstream answer keeps AA");
    }

    @Test
    void clientWithEdnsGetsOurOptWithItsDoBit() throws Exception {
        AnswerTemplate t = scan(upstreamAnswer());
        ParsedQuery q = clientQuery("www.example.com.", true, 4096, true, true);
        Message m = written(out -> ResponseWriter.writeAnswer(out, t, 30, 0, true, q, 1232));
        OPTRecord opt = m.getOPT();
        assertNotNull(opt);
        assertEquals(ResponseWriter.DEFAULT_MAX_UDP_SIZE, opt.getPayloadSize());
        assertEquals(0, opt.getVersion());
        assertTrue((opt.getFlags() & ExtendedFlags.DO) != 0);
        assertEquals(2, m.getSection(Section.ADDITIONAL).size(), "glue plus our OPT");
    }

    @Test
    void answerLargerThanClientLimitIsTruncatedToTheQuestion() throws Exception {
        Message big = new Message(0);
        big.getHeader().setFlag(Flags.QR);
        big.getHeader().setFlag(Flags.AA);
        big.addRecord(Record.newRecord(QNAME, Type.TXT, DClass.IN), Section.QUESTION);
        for (int i = 0; i < 8; i++) {
            big.addRecord(new TXTRecord(QNAME, DClass.IN, 60, "x".repeat(100) + i), Section.ANSWER);
        }
        AnswerTemplate t = scan(big);
        assertTrue(t.length() > 512);
        ParsedQuery q = clientQuery("Www.example.com.", false, 0, false, true);
        boolean[] full = new boolean[1];
        Message m = written(out -> full[0] = ResponseWriter.writeAnswer(out, t, 60, 0, true, q, 512));
        assertFalse(full[0]);
        assertTrue(m.getHeader().getFlag(Flags.TC));
        assertFalse(m.getHeader().getFlag(Flags.AA), "served from the cache: not authoritative, truncated or not");
        assertEquals(4711, m.getHeader().getID());
        assertEquals("Www.example.com.", m.getQuestion().getName().toString());
        assertEquals(0, m.getSection(Section.ANSWER).size());
        ParsedQuery edns = clientQuery("www.example.com.", true, 4096, false, true);
        Message full4096 = written(out -> ResponseWriter.writeAnswer(out, t, 60, 0, true, edns, 4096));
        assertFalse(full4096.getHeader().getFlag(Flags.TC));
        assertEquals(8, full4096.getSection(Section.ANSWER).size());
    }

    @Test
    void errorsEchoQuestionAndCarryExtendedRcodeInOpt() throws Exception {
        ParsedQuery q = clientQuery("Example.com.", true, 1232, true, true);
        Message refused = written(out -> ResponseWriter.writeError(out, q, DnsWire.RCODE_REFUSED));
        assertEquals(Rcode.REFUSED, refused.getRcode());
        assertEquals("Example.com.", refused.getQuestion().getName().toString());
        assertTrue(refused.getHeader().getFlag(Flags.QR));
        assertTrue(refused.getHeader().getFlag(Flags.RD));
        assertNotNull(refused.getOPT());

        Message badvers = written(out -> ResponseWriter.writeError(out, q, DnsWire.RCODE_BADVERS));
        assertEquals(Rcode.BADVERS, badvers.getRcode(), "16 = OPT extended 1 + header 0");
        assertEquals(0, badvers.getOPT().getVersion());

        ParsedQuery noEdns = clientQuery("example.com.", false, 0, false, true);
        Message servfail = written(out -> ResponseWriter.writeError(out, noEdns, DnsWire.RCODE_SERVFAIL));
        assertEquals(Rcode.SERVFAIL, servfail.getRcode());
        assertNull(servfail.getOPT());
    }

    @Test
    void errorWithoutReadableQuestionIsHeaderOnly() throws Exception {
        byte[] header = {0x12, 0x34, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0};
        ParsedQuery q = new ParsedQuery();
        ByteBuf buf = Unpooled.wrappedBuffer(header);
        assertEquals(QueryVerdict.FORMERR, q.parse(buf));
        buf.release();
        Message m = written(out -> ResponseWriter.writeError(out, q, DnsWire.RCODE_FORMERR));
        assertEquals(0x1234, m.getHeader().getID());
        assertEquals(Rcode.FORMERR, m.getRcode());
        assertNull(m.getQuestion());
    }

    @Test
    void upstreamQueryIsLowerCaseWithRdOptAndKeyBits() throws Exception {
        ParsedQuery q = clientQuery("WWW.Example.COM.", true, 4096, true, false);
        Message m = written(out -> UpstreamQuery.write(out, q.key()));
        assertEquals("www.example.com.", m.getQuestion().getName().toString());
        assertTrue(m.getHeader().getFlag(Flags.RD));
        assertFalse(m.getHeader().getFlag(Flags.QR));
        assertEquals(1232, m.getOPT().getPayloadSize());
        assertTrue((m.getOPT().getFlags() & ExtendedFlags.DO) != 0);
    }

    @Test
    void announcedLengthsAreWhatIsWritten() throws Exception {
        ParsedQuery q = clientQuery("WWW.Example.COM.", true, 4096, true, false);
        ByteBuf out = PooledByteBufAllocator.DEFAULT.buffer();
        try {
            UpstreamQuery.write(out, q.key());
            assertEquals(UpstreamQuery.length(q.key()), out.readableBytes());
            out.clear();
            ResponseWriter.writeError(out, q, DnsWire.RCODE_BADVERS);
            assertEquals(ResponseWriter.maxErrorLength(q), out.readableBytes(), "question and OPT: the most");
        } finally {
            out.release();
        }
    }
}
