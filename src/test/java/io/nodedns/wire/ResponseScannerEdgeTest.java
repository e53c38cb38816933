package io.nodedns.wire;

import static io.nodedns.testing.Templates.scan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.InetAddress;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** Upstream responses that are legal but unusual, and ones built to hurt. */
class ResponseScannerEdgeTest {

    static Name name(String s) throws Exception {
        return Name.fromString(s);
    }

    @Test
    void optInTheMiddleOfAdditionalIsCutOutAndLaterPointersFollow() throws Exception {
        Name svc = name("_http._tcp.svc.example.");
        Name target = name("target.example.");
        Message m = new Message(0);
        m.getHeader().setFlag(Flags.QR);
        m.addRecord(Record.newRecord(svc, Type.SRV, DClass.IN), Section.QUESTION);
        m.addRecord(new SRVRecord(svc, DClass.IN, 60, 0, 0, 80, target), Section.ANSWER);
        m.addRecord(new OPTRecord(1232, 0, 0), Section.ADDITIONAL);
        m.addRecord(new ARecord(target, DClass.IN, 40, InetAddress.getByName("127.0.0.8")), Section.ADDITIONAL);
        m.addRecord(new AAAARecord(target, DClass.IN, 50, InetAddress.getByName("::1")), Section.ADDITIONAL);
        byte[] wire = m.toWire();
        Message upstream = new Message(wire);
        assertEquals(Type.OPT, upstream.getSection(Section.ADDITIONAL).get(0).getType(),
                "precondition: the OPT comes first in the additional section");

        int optStart = indexOf(wire, new byte[] {0, 0, 41, 4, (byte) 0xD0});
        assertTrue(hasPointerBeyond(wire, optStart + 11), "precondition: a name after the OPT points past it");

        AnswerTemplate t = scan(wire);
        assertNotNull(t);
        assertEquals(wire.length - 11, t.length());
        assertEquals(3, t.ttlCount());
        Message replay = new Message(java.util.Arrays.copyOf(t.bytes(), t.length()));
        assertNull(replay.getOPT());
        List<Record> glue = replay.getSection(Section.ADDITIONAL);
        assertEquals(2, glue.size());
        assertEquals(target, glue.get(0).getName());
        assertEquals(target, glue.get(1).getName(), "a pointer to a name after the OPT still resolves");
        assertEquals(40, glue.get(0).getTTL());
        assertEquals(50, glue.get(1).getTTL(), "TTL offsets after the OPT are shifted too");
    }

    static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }

    static boolean hasPointerBeyond(byte[] wire, int offset) {
        for (int i = offset; i + 1 < wire.length; i++) {
            if ((wire[i] & 0xC0) == 0xC0 && ((wire[i] & 0x3F) << 8 | (wire[i + 1] & 0xFF)) >= offset) {
                return true;
            }
        }
        return false;
    }

    static Message withAdditional(Record... additional) throws Exception {
        Message m = new Message(0);
        m.getHeader().setFlag(Flags.QR);
        Name n = name("host.example.");
        m.addRecord(Record.newRecord(n, Type.A, DClass.IN), Section.QUESTION);
        m.addRecord(new ARecord(n, DClass.IN, 60, InetAddress.getByName("127.0.0.5")), Section.ANSWER);
        for (Record r : additional) {
            m.addRecord(r, Section.ADDITIONAL);
        }
        return m;
    }

    static Record tsig() throws Exception {
        return new org.xbill.DNS.TSIGRecord(name("key.example."), DClass.ANY, 0, org.xbill.DNS.TSIG.HMAC_SHA256,
                java.time.Instant.ofEpochSecond(1_700_000_000L), java.time.Duration.ofSeconds(300), new byte[32],
                0, 0, null);
    }

    @Test
    void signaturesOfTheUpstreamExchangeAreDroppedWithTheOpt() throws Exception {
        Record glue = new ARecord(name("ns.example."), DClass.IN, 40, InetAddress.getByName("127.0.0.6"));
        byte[] wire = withAdditional(glue, new OPTRecord(1232, 0, 0), tsig()).toWire();
        assertEquals(Type.TSIG, new Message(wire).getSection(Section.ADDITIONAL).get(2).getType(), "precondition");
        AnswerTemplate t = scan(wire);
        Message kept = new Message(java.util.Arrays.copyOf(t.bytes(), t.length()));
        assertEquals(List.of(glue), kept.getSection(Section.ADDITIONAL));
        assertEquals(2, t.ttlCount(), "answer and glue; nothing of the cut records");
    }

    @Test
    void optBeforeGlueIsSplicedAndTrailingTsigCut() throws Exception {
        Record glue = new ARecord(name("ns.example."), DClass.IN, 40, InetAddress.getByName("127.0.0.6"));
        byte[] wire = withAdditional(new OPTRecord(1232, 0, 0), glue, tsig()).toWire();
        AnswerTemplate t = scan(wire);
        Message kept = new Message(java.util.Arrays.copyOf(t.bytes(), t.length()));
        assertEquals(List.of(glue), kept.getSection(Section.ADDITIONAL));
        assertNull(kept.getOPT());
        assertEquals(40, kept.getSection(Section.ADDITIONAL).get(0).getTTL());
    }

    @Test
    void everyQuestionFieldReachesTheHashBucketBits() {
        java.util.Set<Integer> buckets = new java.util.HashSet<>();
        for (int qtype = 1; qtype <= 1000; qtype++) {
            int h = QuestionKey.of(WireNames.toWire("one.example."), qtype, 1, false, false).hashCode();
            buckets.add((h ^ (h >>> 16)) & 0xFFFF); // ConcurrentHashMap.spread, a 65536-bucket table
        }
        assertTrue(buckets.size() > 950, "distinct buckets for 1000 types of one name: " + buckets.size());
    }

    @Test
    void extendedRcodeIsReportedInFull() throws Exception {
        Message m = new Message(0);
        m.getHeader().setFlag(Flags.QR);
        m.addRecord(Record.newRecord(name("x.example."), Type.A, DClass.IN), Section.QUESTION);
        m.addRecord(new OPTRecord(1232, 1, 0), Section.ADDITIONAL); // BADVERS: ext 1, header 0
        AnswerTemplate t = scan(m.toWire());
        assertEquals(Rcode.BADVERS, t.rcode());
        assertEquals(ResponseKind.OTHER, t.kind());
    }

    @Test
    void countsThatCannotFitAreRejectedBeforeAllocating() {
        byte[] liar = {0, 1, (byte) 0x81, (byte) 0x80, 0, 1, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
                (byte) 0xFF, (byte) 0xFF, 0, 0, 1, 0, 1};
        assertNull(scan(liar));
    }

    @Test
    void negativeLifetimeIsBoundedByTheCnameLeadingToIt() throws Exception {
        Message m = new Message(0);
        m.getHeader().setFlag(Flags.QR);
        m.getHeader().setRcode(Rcode.NXDOMAIN);
        m.addRecord(Record.newRecord(name("alias.example."), Type.A, DClass.IN), Section.QUESTION);
        m.addRecord(new CNAMERecord(name("alias.example."), DClass.IN, 30, name("gone.example.")), Section.ANSWER);
        m.addRecord(new SOARecord(name("example."), DClass.IN, 3600, name("ns.example."), name("h.example."),
                1, 1, 1, 1, 300), Section.AUTHORITY);
        assertEquals(30, scan(m.toWire()).negativeTtl());
    }

    @Test
    void namesLongerThan255BytesAreRejected() {
        byte[] msg = new byte[300];
        int p = 0;
        for (int i = 0; i < 4; i++) {
            msg[p] = 63;
            p += 64;
        }
        msg[p] = 0; // 4 * 64 + 1 = 257 bytes
        ByteBuf buf = Unpooled.wrappedBuffer(msg);
        assertEquals(-1, DnsWire.skipName(buf, 0, msg.length));
        msg[192] = 62; // 3 * 64 + 63 + 1 = 256
        java.util.Arrays.fill(msg, 255, 257, (byte) 0);
        assertEquals(-1, DnsWire.skipName(buf, 0, msg.length));
        buf.release();
    }

    @Test
    void keysOrderConsistentlyWithEquality() {
        QuestionKey a = QuestionKey.of(WireNames.toWire("az.example."), 1, 1, false, false);
        QuestionKey b = QuestionKey.of(WireNames.toWire("b[.example."), 1, 1, false, false);
        QuestionKey a2 = QuestionKey.of(WireNames.toWire("AZ.example."), 1, 1, false, false);
        QuestionKey aDo = QuestionKey.of(WireNames.toWire("az.example."), 1, 1, true, false);
        assertEquals(0, a.compareTo(a2));
        assertTrue(a.compareTo(b) != 0);
        assertEquals(-Integer.signum(a.compareTo(b)), Integer.signum(b.compareTo(a)));
        assertTrue(a.compareTo(aDo) != 0);
        TreeSet<QuestionKey> set = new TreeSet<>(List.of(a, b, a2, aDo));
        assertEquals(3, set.size());
    }
}
