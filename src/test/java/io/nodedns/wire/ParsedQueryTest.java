package io.nodedns.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/** Header and question parsing of received queries (RFC 1035 §4.1, RFC 6891 §6.1). */
class ParsedQueryTest {

    static Message query(String name, int type) throws Exception {
        Message m = Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN));
        m.getHeader().setID(0x1234);
        return m;
    }

    static QueryVerdict parse(ParsedQuery q, byte[] wire) {
        ByteBuf buf = Unpooled.wrappedBuffer(wire);
        try {
            return q.parse(buf);
        } finally {
            buf.release();
        }
    }

    @Test
    void readsIdQuestionAndLowerCasedKey() throws Exception {
        ParsedQuery q = new ParsedQuery();
        assertEquals(QueryVerdict.ANSWER, parse(q, query("WwW.Example.COM.", Type.AAAA).toWire()));
        assertEquals(0x1234, q.id());
        assertEquals(Type.AAAA, q.qtype());
        assertEquals(DClass.IN, q.qclass());
        assertTrue(q.recursionDesired());
        assertFalse(q.edns());
        assertEquals(512, q.ednsUdpSize());
        assertEquals("www.example.com.", q.key().nameText());
        assertEquals('W', q.rawNameByte(1), "the client's case is kept for the answer");
        assertEquals(17, q.nameLength());
        assertEquals(12 + 17 + 4, q.questionEnd());
    }

    @Test
    void keysDifferOnlyByCaseAreEqual() throws Exception {
        ParsedQuery a = new ParsedQuery();
        ParsedQuery b = new ParsedQuery();
        parse(a, query("Example.COM.", Type.A).toWire());
        parse(b, query("example.com.", Type.A).toWire());
        assertEquals(a.key(), b.key());
        assertEquals(a.key().hashCode(), b.key().hashCode());
        assertEquals(a.key(), b.key().copy());
    }

    @Test
    void keyIncludesTypeDoAndCdBits() throws Exception {
        ParsedQuery plain = new ParsedQuery();
        parse(plain, query("example.com.", Type.A).toWire());
        QuestionKey base = plain.key().copy();

        ParsedQuery other = new ParsedQuery();
        parse(other, query("example.com.", Type.MX).toWire());
        assertNotEquals(base, other.key());

        Message withDo = query("example.com.", Type.A);
        withDo.addRecord(new OPTRecord(1232, 0, 0, org.xbill.DNS.ExtendedFlags.DO), org.xbill.DNS.Section.ADDITIONAL);
        parse(other, withDo.toWire());
        assertTrue(other.dnssecOk());
        assertNotEquals(base, other.key());

        Message withCd = query("example.com.", Type.A);
        withCd.getHeader().setFlag(Flags.CD);
        parse(other, withCd.toWire());
        assertNotEquals(base, other.key());
    }

    @Test
    void readsEdnsSizeVersionAndRaisesSmallSizesTo512() throws Exception {
        ParsedQuery q = new ParsedQuery();
        Message m = query("example.com.", Type.A);
        m.addRecord(new OPTRecord(4096, 0, 0), org.xbill.DNS.Section.ADDITIONAL);
        assertEquals(QueryVerdict.ANSWER, parse(q, m.toWire()));
        assertTrue(q.edns());
        assertEquals(4096, q.ednsUdpSize());

        Message small = query("example.com.", Type.A);
        small.addRecord(new OPTRecord(100, 0, 0), org.xbill.DNS.Section.ADDITIONAL);
        parse(q, small.toWire());
        assertEquals(512, q.ednsUdpSize(), "RFC 6891 §6.2.5: values below 512 are treated as 512");
    }

    @Test
    void ednsVersionAboveZeroIsBadvers() throws Exception {
        Message m = query("example.com.", Type.A);
        m.addRecord(new OPTRecord(1232, 0, 1), org.xbill.DNS.Section.ADDITIONAL);
        assertEquals(QueryVerdict.BADVERS, parse(new ParsedQuery(), m.toWire()));
    }

    @Test
    void dropsWhatCannotBeAnswered() throws Exception {
        assertEquals(QueryVerdict.DROP_SHORT, parse(new ParsedQuery(), new byte[11]));
        assertEquals(QueryVerdict.DROP_SHORT, parse(new ParsedQuery(), new byte[0]));
        Message response = query("example.com.", Type.A);
        response.getHeader().setFlag(Flags.QR);
        assertEquals(QueryVerdict.DROP_RESPONSE, parse(new ParsedQuery(), response.toWire()));
    }

    @Test
    void otherOpcodesAndTransfersAreNotImplemented() throws Exception {
        Message notify = query("example.com.", Type.SOA);
        notify.getHeader().setOpcode(Opcode.NOTIFY);
        ParsedQuery q = new ParsedQuery();
        assertEquals(QueryVerdict.NOTIMP, parse(q, notify.toWire()));
        assertTrue(q.questionValid(), "the question is still echoed");
        assertEquals(QueryVerdict.NOTIMP, parse(q, query("example.com.", Type.AXFR).toWire()));
        assertEquals(QueryVerdict.NOTIMP, parse(q, query("example.com.", Type.IXFR).toWire()));
    }

    @Test
    void malformedQuestionsAreFormerr() throws Exception {
        byte[] good = query("example.com.", Type.A).toWire();
        // QDCOUNT 0 and 2
        byte[] none = good.clone();
        none[5] = 0;
        assertEquals(QueryVerdict.FORMERR, parse(new ParsedQuery(), none));
        byte[] two = good.clone();
        two[5] = 2;
        assertEquals(QueryVerdict.FORMERR, parse(new ParsedQuery(), two));
        // name cut short, and QTYPE/QCLASS missing
        assertEquals(QueryVerdict.FORMERR, parse(new ParsedQuery(), java.util.Arrays.copyOf(good, 16)));
        assertEquals(QueryVerdict.FORMERR, parse(new ParsedQuery(), java.util.Arrays.copyOf(good, good.length - 1)));
        // a compression pointer in the question, and a reserved label type
        byte[] pointer = {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, (byte) 0xC0, 12, 0, 1, 0, 1};
        assertEquals(QueryVerdict.FORMERR, parse(new ParsedQuery(), pointer));
        byte[] reserved = {0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, (byte) 0x41, 'a', 0, 0, 1, 0, 1};
        assertEquals(QueryVerdict.FORMERR, parse(new ParsedQuery(), reserved));
        // an OPT record claiming more RDATA than the message holds
        Message m = query("example.com.", Type.A);
        m.addRecord(new OPTRecord(1232, 0, 0), org.xbill.DNS.Section.ADDITIONAL);
        byte[] cut = m.toWire();
        cut[cut.length - 1] = 5;
        assertEquals(QueryVerdict.FORMERR, parse(new ParsedQuery(), cut));
        // qtype OPT cannot be asked for
        assertEquals(QueryVerdict.FORMERR, parse(new ParsedQuery(), query("example.com.", Type.OPT).toWire()));
    }

    @Test
    void twoOptRecordsAreFormerr() throws Exception {
        Message m = query("example.com.", Type.A);
        byte[] one = m.toWire();
        byte[] opt = {0, 0, 41, 4, (byte) 0xD0, 0, 0, 0, 0, 0, 0};
        byte[] wire = new byte[one.length + 2 * opt.length];
        System.arraycopy(one, 0, wire, 0, one.length);
        System.arraycopy(opt, 0, wire, one.length, opt.length);
        System.arraycopy(opt, 0, wire, one.length + opt.length, opt.length);
        wire[11] = 2;
        assertEquals(QueryVerdict.FORMERR, parse(new ParsedQuery(), wire));
        wire[11] = 1;
        ParsedQuery q = new ParsedQuery();
        assertEquals(QueryVerdict.ANSWER, parse(q, java.util.Arrays.copyOf(wire, one.length + opt.length)));
        assertEquals(1232, q.ednsUdpSize());
    }

    @Test
    void maximumLengthNameIsAcceptedAndLongerIsNot() throws Exception {
        String label = "a".repeat(63);
        Name max = Name.fromString(label + "." + label + "." + label + "." + "a".repeat(61) + ".");
        assertEquals(255, max.length());
        ParsedQuery q = new ParsedQuery();
        assertEquals(QueryVerdict.ANSWER, parse(q, query(max.toString(), Type.A).toWire()));
        assertEquals(255, q.key().nameLength());
        byte[] wire = query(max.toString(), Type.A).toWire();
        // Stretch the last label by one byte: 256 bytes of name.
        byte[] longer = new byte[wire.length + 1];
        System.arraycopy(wire, 0, longer, 0, 12 + 192);
        longer[12 + 192] = 62;
        java.util.Arrays.fill(longer, 12 + 193, 12 + 193 + 62, (byte) 'a');
        System.arraycopy(wire, 12 + 192 + 62, longer, 12 + 193 + 62, wire.length - (12 + 192 + 62));
        assertEquals(QueryVerdict.FORMERR, parse(new ParsedQuery(), longer));
    }

    @Test
    void copyIsIndependentOfLaterParses() throws Exception {
        ParsedQuery scratch = new ParsedQuery();
        parse(scratch, query("First.example.", Type.A).toWire());
        ParsedQuery kept = scratch.copy();
        parse(scratch, query("second.example.", Type.MX).toWire());
        assertEquals("first.example.", kept.key().nameText());
        assertEquals(Type.A, kept.qtype());
        assertEquals('F', kept.rawNameByte(1));
        assertThrows(IllegalStateException.class, () -> kept.parse(Unpooled.EMPTY_BUFFER));
    }

    @Test
    void zoneMatchingIsLabelAligned() {
        QuestionKey key = QuestionKey.of(WireNames.toWire("www.example.com."), 1, 1, false, false);
        assertTrue(key.isInZone(WireNames.toWire(".")));
        assertTrue(key.isInZone(WireNames.toWire("com.")));
        assertTrue(key.isInZone(WireNames.toWire("Example.com.")));
        assertTrue(key.isInZone(WireNames.toWire("www.example.com.")));
        assertFalse(key.isInZone(WireNames.toWire("ample.com.")));
        assertFalse(key.isInZone(WireNames.toWire("w.example.com.")));
        assertFalse(key.isInZone(WireNames.toWire("a.www.example.com.")));
        assertArrayEquals(new byte[] {0}, WireNames.toWire("."));
    }

    @Test
    void inAnyZoneIsInZoneForSomeZoneOfTheList() {
        QuestionKey key = QuestionKey.of(WireNames.toWire("www.example.com."), 1, 1, false, false);
        assertTrue(key.isInAnyZone(new byte[][] {WireNames.toWire("ample.com."), WireNames.toWire("com.")}));
        assertFalse(key.isInAnyZone(new byte[][] {WireNames.toWire("ample.com."), WireNames.toWire("org.")}));
        assertFalse(key.isInAnyZone(new byte[0][]));
    }
}
