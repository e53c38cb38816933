package io.nodedns.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Arbitrary upstream responses through {@link ResponseScanner} (validation, OPT removal with
 * compression pointers moved, TTL offsets) and each resulting template replayed by
 * {@link ResponseWriter#writeAnswer} (ID, flags, name case, TTLs lowered by age), the path
 * every cache hit takes.
 *
 * <p>Input layout: six parameter bytes, then the response. Byte 0: bit 0 the client sent EDNS,
 * bit 1 its DO bit, bit 2 served from the cache; bytes 1-2 the age in seconds; bytes 3-4 the
 * cache lifetime in seconds (0xFFFF: unlimited); byte 5 the size limit (0: 65535, else
 * 12 + 4 * value). Seeds: {@code ResponseReplayFuzzTestInputs/replay/}, written by
 * {@link FuzzSeeds}.
 */
class ResponseReplayFuzzTest {
    static final int PARAMETER_BYTES = 6;
    /** Sentinel bytes before the replay in the output buffer: a write before the message start changes them. */
    private static final int GUARD = 3;

    @FuzzTest(maxDuration = "60s")
    void replay(byte[] data) throws IOException {
        if (data.length < PARAMETER_BYTES) {
            return;
        }
        boolean clientEdns = (data[0] & 1) != 0;
        boolean clientDo = (data[0] & 2) != 0;
        boolean fromCache = (data[0] & 4) != 0;
        long age = ((data[1] & 0xFF) << 8) | (data[2] & 0xFF);
        int lifetimeField = ((data[3] & 0xFF) << 8) | (data[4] & 0xFF);
        long lifetime = lifetimeField == 0xFFFF ? Long.MAX_VALUE : lifetimeField;
        int sizeLimit = data[5] == 0 ? DnsWire.MAX_MESSAGE_LENGTH : 12 + 4 * (data[5] & 0xFF);
        byte[] response = Arrays.copyOfRange(data, PARAMETER_BYTES, data.length);

        AnswerTemplate template = scan(response);
        if (template == null) {
            return;
        }
        checkTemplate(response, template);
        ParsedQuery query = queryFor(template, clientEdns, clientDo);
        if (query == null) {
            return; // a compressed or unreadable question: DnsMessages.answers never lets it reach a replay
        }
        byte[] replay = replay(template, query, lifetime, age, fromCache, sizeLimit);
        int optLength = clientEdns ? DnsWire.OPT_RECORD_LENGTH : 0;
        if (template.length() + optLength > sizeLimit) {
            checkTruncated(replay, template, query);
            return;
        }
        checkReplay(replay, template, query, lifetime, age, fromCache);
        checkAgainstDnsjava(response, replay, clientEdns, clientDo);
    }

    /** Scans the response; the buffer's indices and reference count stay as they were. */
    private static AnswerTemplate scan(byte[] response) {
        ByteBuf buf = Unpooled.wrappedBuffer(response);
        try {
            AnswerTemplate template = ResponseScanner.scan(buf);
            assertEquals(0, buf.readerIndex());
            assertEquals(response.length, buf.writerIndex());
            assertEquals(1, buf.refCnt());
            return template;
        } finally {
            buf.release();
        }
    }

    /** Every TTL offset lies inside the template, after the header, in increasing order. */
    private static void checkTemplate(byte[] response, AnswerTemplate template) {
        byte[] bytes = template.bytes();
        assertTrue(bytes.length >= DnsWire.HEADER_LENGTH && bytes.length <= response.length,
                "template length " + bytes.length + " of a " + response.length + "-byte response");
        assertArrayEquals(Arrays.copyOf(response, 10), Arrays.copyOf(bytes, 10), "header up to ARCOUNT");
        int previous = DnsWire.HEADER_LENGTH - 1;
        for (int i = 0; i < template.ttlCount(); i++) {
            int offset = template.ttlOffset(i);
            assertTrue(offset > previous && offset + 4 <= bytes.length - 2,
                    "TTL offset " + offset + " after " + previous + " in " + bytes.length + " bytes");
            previous = offset;
        }
    }

    /** The client query a replay of {@code template} answers: same question, ID 0xBEEF, RD and CD set. */
    private static ParsedQuery queryFor(AnswerTemplate template, boolean edns, boolean dnssecOk) {
        byte[] bytes = template.bytes();
        ByteBuf view = Unpooled.wrappedBuffer(bytes);
        int questionEnd;
        try {
            questionEnd = DnsWire.skipName(view, DnsWire.HEADER_LENGTH, bytes.length) + 4;
        } finally {
            view.release();
        }
        ByteBuf q = Unpooled.buffer();
        try {
            q.writeShort(0xBEEF);
            q.writeShort(DnsWire.FLAG_RD | DnsWire.FLAG_CD);
            q.writeShort(1).writeShort(0).writeShort(0).writeShort(edns ? 1 : 0);
            q.writeBytes(bytes, DnsWire.HEADER_LENGTH, questionEnd - DnsWire.HEADER_LENGTH);
            if (edns) {
                q.writeByte(0).writeShort(DnsWire.TYPE_OPT).writeShort(4096).writeByte(0).writeByte(0)
                        .writeShort(dnssecOk ? DnsWire.EDNS_DO : 0).writeShort(0);
            }
            ParsedQuery parsed = new ParsedQuery();
            return parsed.parse(q) == QueryVerdict.ANSWER ? parsed : null;
        } finally {
            q.release();
        }
    }

    /**
     * Replays into a buffer that has exactly the room the replay may use after {@link #GUARD}
     * sentinel bytes: a write past the message end throws, one before it changes a sentinel.
     */
    private static byte[] replay(AnswerTemplate template, ParsedQuery query, long lifetime, long age,
                                 boolean fromCache, int sizeLimit) {
        int optLength = query.edns() ? DnsWire.OPT_RECORD_LENGTH : 0;
        boolean fits = template.length() + optLength <= sizeLimit;
        int expected = fits ? template.length() + optLength : ResponseWriter.maxErrorLength(query);
        int capacity = GUARD + expected;
        ByteBuf out = PooledByteBufAllocator.DEFAULT.directBuffer(capacity, capacity);
        try {
            out.writeBytes(new byte[] {0x5A, 0x5A, 0x5A});
            boolean full = ResponseWriter.writeAnswer(out, template, lifetime, age, fromCache, query, sizeLimit);
            assertEquals(fits, full, "full answer when it fits");
            assertEquals(0x5A5A5A, out.getUnsignedMedium(0), "sentinel before the message");
            if (fits) {
                assertEquals(capacity, out.writerIndex(), "replay length");
            }
            byte[] bytes = new byte[out.writerIndex() - GUARD];
            out.getBytes(GUARD, bytes);
            return bytes;
        } finally {
            out.release();
        }
    }

    private static void checkTruncated(byte[] replay, AnswerTemplate template, ParsedQuery query) throws IOException {
        Message m = new Message(replay);
        assertTrue(m.getHeader().getFlag(Flags.TC), "TC on a truncated answer");
        assertEquals(0xBEEF, m.getHeader().getID());
        assertEquals(template.rcode() & DnsWire.RCODE_MASK, m.getHeader().getRcode());
        assertEquals(0, m.getSection(Section.ANSWER).size());
        assertEquals(query.qtype(), m.getQuestion().getType());
    }

    /**
     * The replay is the template with exactly these bytes changed: ID, flags, ARCOUNT when an OPT
     * is appended, and each TTL, now {@code max(0, min(ttl, lifetime) - age)}.
     */
    private static void checkReplay(byte[] replay, AnswerTemplate template, ParsedQuery query, long lifetime,
                                    long age, boolean fromCache) {
        byte[] expected = template.bytes().clone();
        expected[0] = (byte) 0xBE;
        expected[1] = (byte) 0xEF;
        int upstreamFlags = ((expected[2] & 0xFF) << 8) | (expected[3] & 0xFF);
        int flags = (upstreamFlags & ~DnsWire.FLAG_CD) | DnsWire.FLAG_RD | DnsWire.FLAG_CD | DnsWire.FLAG_QR;
        if (fromCache) {
            flags &= ~DnsWire.FLAG_AA;
        }
        expected[2] = (byte) (flags >>> 8);
        expected[3] = (byte) flags;
        long cap = Math.min(lifetime, Integer.MAX_VALUE);
        for (int i = 0; i < template.ttlCount(); i++) {
            int offset = template.ttlOffset(i);
            long lowered = Math.max(0, Math.min(template.ttlAt(offset), cap) - age);
            expected[offset] = (byte) (lowered >>> 24);
            expected[offset + 1] = (byte) (lowered >>> 16);
            expected[offset + 2] = (byte) (lowered >>> 8);
            expected[offset + 3] = (byte) lowered;
        }
        if (query.edns()) {
            int arcount = ((expected[10] & 0xFF) << 8 | (expected[11] & 0xFF)) + 1;
            expected[10] = (byte) (arcount >>> 8);
            expected[11] = (byte) arcount;
        }
        assertArrayEquals(expected, Arrays.copyOf(replay, expected.length), "replay of the template");
    }

    /**
     * When dnsjava reads the upstream's response, it reads the replay too, with the same records in
     * every section (TTLs aside) but the upstream's OPT and the trailing TSIG/SIG(0) records, and
     * the client's own OPT.
     */
    private static void checkAgainstDnsjava(byte[] response, byte[] replay, boolean clientEdns, boolean clientDo)
            throws IOException {
        Message in;
        try {
            in = new Message(withoutTc(response));
        } catch (IOException | RuntimeException e) {
            return;
        }
        Message out = new Message(withoutTc(replay));
        // An OPT outside the additional section is not the message's OPT (RFC 6891 §6.1.1): kept as a record.
        for (int section : new int[] {Section.QUESTION, Section.ANSWER, Section.AUTHORITY}) {
            assertSame(in.getSection(section), out.getSection(section), section);
        }
        List<Record> additional = withoutOpt(in.getSection(Section.ADDITIONAL));
        while (!additional.isEmpty() && isExchangeRecord(additional.get(additional.size() - 1))) {
            additional.remove(additional.size() - 1);
        }
        List<Record> outAdditional = withoutOpt(out.getSection(Section.ADDITIONAL));
        assertSame(additional, outAdditional, Section.ADDITIONAL);
        OPTRecord opt = out.getOPT();
        assertEquals(clientEdns, opt != null, "the client gets an OPT exactly when it sent one");
        if (opt != null) {
            assertEquals(clientDo, (opt.getFlags() & DnsWire.EDNS_DO) != 0, "DO echoed");
            assertEquals(1, out.getSection(Section.ADDITIONAL).stream().filter(r -> r instanceof OPTRecord).count());
        }
    }

    /**
     * A copy with TC cleared: dnsjava reads a TC=1 message leniently, stopping quietly at the first
     * record it cannot read, and would then compare fewer records than the message has.
     */
    static byte[] withoutTc(byte[] message) {
        byte[] copy = message.clone();
        copy[2] &= ~0x02;
        return copy;
    }

    private static boolean isExchangeRecord(Record r) {
        return r.getType() == Type.TSIG || r.getType() == Type.SIG;
    }

    private static List<Record> withoutOpt(List<Record> records) {
        List<Record> kept = new ArrayList<>();
        for (Record r : records) {
            if (!(r instanceof OPTRecord)) {
                kept.add(r);
            }
        }
        return kept;
    }

    private static void assertSame(List<Record> expected, List<Record> actual, int section) {
        assertEquals(expected.size(), actual.size(), "records in section " + Section.string(section));
        for (int i = 0; i < expected.size(); i++) {
            Record e = expected.get(i);
            Record a = actual.get(i);
            assertNotNull(a);
            byte[] expectedRdata = section == Section.QUESTION ? null : canonicalRdata(e);
            boolean same = e.getName().equals(a.getName()) && e.getType() == a.getType()
                    && e.getDClass() == a.getDClass()
                    && (expectedRdata == null || Arrays.equals(expectedRdata, canonicalRdata(a)));
            assertTrue(same,
                    "record " + i + " of " + Section.string(section) + ": " + e + " became " + a);
            assertFalse(section != Section.QUESTION && a.getTTL() > e.getTTL() && e.getTTL() <= Integer.MAX_VALUE,
                    "TTL raised: " + e + " became " + a);
        }
    }

    /**
     * The record's RDATA as dnsjava writes it, or null when dnsjava cannot write a record it read
     * (a WKS with an empty bitmap throws inside dnsjava): no oracle for that RDATA then.
     */
    private static byte[] canonicalRdata(Record r) {
        try {
            return r.rdataToWireCanonical();
        } catch (RuntimeException dnsjavaCannot) {
            return null;
        }
    }
}
