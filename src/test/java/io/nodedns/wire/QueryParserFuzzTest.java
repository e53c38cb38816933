package io.nodedns.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;

/**
 * Arbitrary datagrams through {@link ParsedQuery}, the parser every received query meets
 * first, and through the two things built from its result: the query sent upstream
 * ({@link UpstreamQuery}) and a locally made error answer ({@link ResponseWriter#writeError}).
 *
 * <p>Seeds: {@code src/test/resources/io/nodedns/wire/QueryParserFuzzTestInputs/parse/},
 * written by {@link FuzzSeeds} from dnsjava-built queries. {@code mvn test} runs only them
 * (Jazzer's regression mode); {@code JAZZER_FUZZ=1} fuzzes (.ci/fuzz).
 */
class QueryParserFuzzTest {

    @FuzzTest(maxDuration = "60s")
    void parse(byte[] data) throws IOException {
        ByteBuf msg = Unpooled.wrappedBuffer(data);
        ParsedQuery q = new ParsedQuery();
        QueryVerdict verdict;
        try {
            verdict = q.parse(msg);
            assertEquals(0, msg.readerIndex(), "parse moved the reader index");
            assertEquals(data.length, msg.writerIndex(), "parse moved the writer index");
            assertEquals(1, msg.refCnt(), "parse changed the reference count");
        } finally {
            msg.release();
        }
        assertEquals(expectedDrop(data), verdict == QueryVerdict.DROP_SHORT || verdict == QueryVerdict.DROP_RESPONSE
                ? verdict : null, "drop verdict of a " + data.length + "-byte message");
        if (verdict == QueryVerdict.DROP_SHORT || verdict == QueryVerdict.DROP_RESPONSE) {
            return;
        }
        int opcode = (data[2] >> 3) & 0xF;
        if (opcode != DnsWire.OPCODE_QUERY) {
            assertEquals(QueryVerdict.NOTIMP, verdict, "opcode " + opcode);
        }
        if (verdict == QueryVerdict.ANSWER) {
            checkQuestion(data, q);
            dnsjavaReadsTheSameQuestion(data, q);
            checkUpstreamQueryReparses(q);
        }
        checkError(data, q, verdict);
        agreesWithDnsjava(data, verdict);
    }

    private static QueryVerdict expectedDrop(byte[] data) {
        if (data.length < DnsWire.HEADER_LENGTH) {
            return QueryVerdict.DROP_SHORT;
        }
        return (data[2] & 0x80) != 0 ? QueryVerdict.DROP_RESPONSE : null;
    }

    /** The question the parser read is the one at offset 12, byte for byte, and the key is its lower case. */
    private static void checkQuestion(byte[] data, ParsedQuery q) {
        int n = q.nameLength();
        assertTrue(n >= 1 && n <= DnsWire.MAX_NAME_LENGTH, "name length " + n);
        assertEquals(DnsWire.HEADER_LENGTH + n + 4, q.questionEnd());
        assertTrue(q.questionEnd() <= data.length, "question ends past the message");
        for (int i = 0; i < n; i++) {
            assertEquals(data[DnsWire.HEADER_LENGTH + i], q.rawNameByte(i), "raw name byte " + i);
            assertEquals(DnsWire.toLowerAscii(data[DnsWire.HEADER_LENGTH + i]), q.key().nameByte(i), "key byte " + i);
        }
        int typeAt = DnsWire.HEADER_LENGTH + n;
        assertEquals(((data[typeAt] & 0xFF) << 8) | (data[typeAt + 1] & 0xFF), q.qtype());
        assertEquals(((data[typeAt + 2] & 0xFF) << 8) | (data[typeAt + 3] & 0xFF), q.qclass());
        assertEquals(((data[2] & 0xFF) << 8 | (data[3] & 0xFF)) & DnsWire.FLAG_CD, q.key().checkingDisabled()
                ? DnsWire.FLAG_CD : 0, "CD bit of the key");
    }

    /** What goes upstream for the key parses back, by us and by dnsjava, into the same key. */
    private static void checkUpstreamQueryReparses(ParsedQuery q) throws IOException {
        QuestionKey key = q.key().copy();
        ByteBuf out = PooledByteBufAllocator.DEFAULT.directBuffer(UpstreamQuery.length(key));
        try {
            UpstreamQuery.write(out, key);
            assertEquals(UpstreamQuery.length(key), out.readableBytes());
            ParsedQuery again = new ParsedQuery();
            assertEquals(QueryVerdict.ANSWER, again.parse(out), "the upstream query of an answered key");
            assertEquals(key, again.key().copy(), "the upstream query keeps the key");
            assertTrue(again.edns());
            byte[] bytes = new byte[out.readableBytes()];
            out.getBytes(out.readerIndex(), bytes);
            Message m = new Message(bytes);
            assertEquals(key.qtype(), m.getQuestion().getType());
            assertEquals(key.qclass(), m.getQuestion().getDClass());
            assertArrayEquals(Arrays.copyOfRange(bytes, 12, 12 + key.nameLength()),
                    m.getQuestion().getName().toWire(), "dnsjava reads the name we wrote");
        } finally {
            out.release();
        }
    }

    /** Header and question alone, the other counts zeroed: dnsjava reads the question we read. */
    private static void dnsjavaReadsTheSameQuestion(byte[] data, ParsedQuery q) throws IOException {
        byte[] questionOnly = Arrays.copyOf(data, q.questionEnd());
        Arrays.fill(questionOnly, 6, 12, (byte) 0);
        questionOnly[2] &= ~0x02; // without TC, dnsjava reports what it cannot read instead of stopping quietly
        Message m = new Message(questionOnly);
        assertEquals(q.qtype(), m.getQuestion().getType());
        assertEquals(q.qclass(), m.getQuestion().getDClass());
        assertArrayEquals(Arrays.copyOfRange(data, 12, 12 + q.nameLength()), m.getQuestion().getName().toWire());
    }

    /** Every answerable verdict can be answered with a local error that parses, within its announced size. */
    private static void checkError(byte[] data, ParsedQuery q, QueryVerdict verdict) throws IOException {
        int rcode = switch (verdict) {
            case FORMERR -> DnsWire.RCODE_FORMERR;
            case NOTIMP -> DnsWire.RCODE_NOTIMP;
            case BADVERS -> DnsWire.RCODE_BADVERS;
            default -> DnsWire.RCODE_SERVFAIL;
        };
        int limit = ResponseWriter.maxErrorLength(q);
        ByteBuf out = PooledByteBufAllocator.DEFAULT.directBuffer(limit, limit);
        try {
            ResponseWriter.writeError(out, q, rcode);
            byte[] bytes = new byte[out.readableBytes()];
            out.getBytes(0, bytes);
            Message m = new Message(bytes);
            assertEquals(((data[0] & 0xFF) << 8) | (data[1] & 0xFF), m.getHeader().getID(), "error keeps the ID");
            assertEquals(rcode, m.getRcode(), "rcode of the error for " + verdict);
            if (q.questionValid()) {
                assertEquals(q.qtype(), m.getQuestion().getType());
                assertArrayEquals(Arrays.copyOfRange(data, 12, 12 + q.nameLength()),
                        m.getQuestion().getName().toWire(), "the question is echoed as sent");
            }
            OPTRecord opt = m.getOPT();
            assertEquals(q.edns() || rcode == DnsWire.RCODE_BADVERS, opt != null, "OPT in the error");
        } finally {
            out.release();
        }
    }

    /**
     * A message dnsjava reads as one plain query (QR=0, opcode QUERY, one question whose name is
     * not compressed, no OPT anywhere, every record well formed) must be answered: only the
     * question types RFC 6891 §6.1.1 and RFC 1035/1995 exclude get an error.
     */
    private static void agreesWithDnsjava(byte[] data, QueryVerdict verdict) {
        Message m;
        try {
            m = new Message(data.length >= 12 ? ResponseReplayFuzzTest.withoutTc(data) : data);
        } catch (IOException | RuntimeException e) {
            return; // dnsjava refuses it: our parser may still answer it (we skip record bodies)
        }
        if (m.getHeader().getFlag(org.xbill.DNS.Flags.QR) || m.getHeader().getOpcode() != 0
                || m.getHeader().getCount(Section.QUESTION) != 1) {
            return;
        }
        Record question = m.getQuestion();
        if (question == null) {
            return;
        }
        byte[] plain = question.getName().toWire();
        if (data.length < 12 + plain.length || !Arrays.equals(lower(Arrays.copyOfRange(data, 12, 12 + plain.length)),
                lower(question.getName().canonicalize().toWire()))) {
            return; // compressed question name: RFC 1035 allows it in principle, no client sends it
        }
        for (int section : new int[] {Section.ANSWER, Section.AUTHORITY, Section.ADDITIONAL}) {
            List<Record> records = m.getSection(section);
            if (records.stream().anyMatch(r -> r instanceof OPTRecord)) {
                return;
            }
        }
        int type = question.getType();
        boolean excluded = type == DnsWire.TYPE_OPT || type == DnsWire.TYPE_AXFR || type == DnsWire.TYPE_IXFR
                || type == DnsWire.TYPE_MAILA || type == DnsWire.TYPE_MAILB;
        if (!excluded && verdict != QueryVerdict.ANSWER) {
            fail("dnsjava reads a plain query of type " + type + " but the verdict is " + verdict + " ("
                    + Rcode.string(m.getRcode()) + ")");
        }
    }

    private static byte[] lower(byte[] wire) {
        byte[] out = wire.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] = DnsWire.toLowerAscii(out[i]);
        }
        return out;
    }
}
