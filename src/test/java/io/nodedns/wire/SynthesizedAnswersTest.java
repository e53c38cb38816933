package io.nodedns.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.Unpooled;
import java.net.InetAddress;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** The messages {@link SynthesizedAnswers} builds, read back by dnsjava. */
class SynthesizedAnswersTest {
    private static final QuestionKey ASKED =
            QuestionKey.of(WireNames.toWire("www.example.com.ns1.svc.cluster.local."), Type.A, DClass.IN, false, false);

    private static AnswerTemplate template(Message m) {
        AnswerTemplate t = ResponseScanner.scan(Unpooled.wrappedBuffer(m.toWire()));
        assertNotNull(t);
        return t;
    }

    private static Message parse(AnswerTemplate t) throws Exception {
        return new Message(t.bytes());
    }

    private static List<String> section(Message m, int section) {
        return m.getSection(section).stream().map(r -> r.toString().replaceAll("\\s+", " ")).collect(Collectors.toList());
    }

    @Test
    void movesPointersIntoTheFoundQuestionAndIntoItsRecords() throws Exception {
        // dnsjava compresses: web.cdn.example.net's owner points into the CNAME's RDATA (records region),
        // the MX exchange and the first owner point into the question.
        Name found = Name.fromString("www.example.com.");
        Name cdn = Name.fromString("web.cdn.example.net.");
        Message m = new Message(7);
        m.getHeader().setFlag(Flags.QR);
        m.getHeader().setFlag(Flags.RD);
        m.getHeader().setFlag(Flags.RA);
        m.addRecord(Record.newRecord(found, Type.A, DClass.IN), Section.QUESTION);
        m.addRecord(new CNAMERecord(found, DClass.IN, 600, cdn), Section.ANSWER);
        m.addRecord(new ARecord(cdn, DClass.IN, 50, InetAddress.getByName("192.0.2.1")), Section.ANSWER);
        m.addRecord(new MXRecord(found, DClass.IN, 900, 10, Name.fromString("mail.www.example.com.")),
                Section.ADDITIONAL);

        // Stored 20 s ago for at most 100 s; nothing may outlive 70 s.
        AnswerTemplate answer = SynthesizedAnswers.cnameTo(ASKED, template(m), 100, 20, 25, 70);
        Message out = parse(answer);

        assertEquals(Rcode.NOERROR, out.getRcode());
        assertEquals("www.example.com.ns1.svc.cluster.local.", out.getQuestion().getName().toString());
        assertEquals(List.of(
                "www.example.com.ns1.svc.cluster.local. 25 IN CNAME www.example.com.",
                "www.example.com. 70 IN CNAME web.cdn.example.net.",
                "web.cdn.example.net. 30 IN A 192.0.2.1"), section(out, Section.ANSWER));
        assertEquals(List.of("www.example.com. 70 IN MX 10 mail.www.example.com."), section(out, Section.ADDITIONAL));
        assertEquals(ResponseKind.SUCCESS, answer.kind());
        assertEquals(4, answer.ttlCount());
    }

    @Test
    void theCnameAnswerIsNeitherAuthoritativeNorAuthenticThoughTheFoundOneWas() throws Exception {
        // kube-dns answers cluster names with AA; the CNAME nodedns puts before them is its own.
        Name found = Name.fromString("www.example.com.");
        Message m = new Message(8);
        m.getHeader().setFlag(Flags.QR);
        m.getHeader().setFlag(Flags.AA);
        m.getHeader().setFlag(Flags.RD);
        m.getHeader().setFlag(Flags.RA);
        m.getHeader().setFlag(Flags.AD);
        m.addRecord(Record.newRecord(found, Type.A, DClass.IN), Section.QUESTION);
        m.addRecord(new ARecord(found, DClass.IN, 30, InetAddress.getByName("192.0.2.7")), Section.ANSWER);

        Message out = parse(SynthesizedAnswers.cnameTo(ASKED, template(m), 100, 0, 5, 70));

        assertFalse(out.getHeader().getFlag(Flags.AA));
        assertFalse(out.getHeader().getFlag(Flags.AD), "the CNAME nodedns made is not validated data");
        assertTrue(out.getHeader().getFlag(Flags.QR));
        assertTrue(out.getHeader().getFlag(Flags.RD));
        assertTrue(out.getHeader().getFlag(Flags.RA));
        assertEquals(List.of(
                "www.example.com.ns1.svc.cluster.local. 5 IN CNAME www.example.com.",
                "www.example.com. 30 IN A 192.0.2.7"), section(out, Section.ANSWER));
    }

    @Test
    void nodataCarriesTheZonesSoaWithTtlAndMinimum() throws Exception {
        QuestionKey key = QuestionKey.of(WireNames.toWire("a.example."), Type.AAAA, DClass.IN, false, false);
        AnswerTemplate t = SynthesizedAnswers.nodata(key, WireNames.toWire("example."), 45);
        Message out = parse(t);
        assertEquals(ResponseKind.NODATA, t.kind());
        assertEquals(45, t.negativeTtl());
        assertEquals(List.of(), section(out, Section.ANSWER));
        assertEquals(List.of("example. 45 IN SOA nodedns.invalid. hostmaster.nodedns.invalid. 1 7200 1800 86400 45"),
                section(out, Section.AUTHORITY));
        assertEquals("a.example.", out.getQuestion().getName().toString());
        assertEquals(Type.AAAA, out.getQuestion().getType());
    }
}
