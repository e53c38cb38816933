package io.nodedns.wire;

import static io.nodedns.testing.Templates.scan;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.Message;

/**
 * Compression pointers a replay would change: the replay rewrites the ID, the flags and every
 * TTL, so a name whose labels are read from there would reach the client as another name (found
 * by ResponseReplayFuzzTest: an owner pointing at offset 0 read the upstream's ID as a label).
 */
class ResponseScannerPointerTest {
    /** Header (ID 0x1234, QR RD RA, one question, {@code answers} answers) and the question signed.example A IN. */
    private static ByteArrayOutputStream response(int answers) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {0x12, 0x34, (byte) 0x81, (byte) 0x80, 0, 1, 0, (byte) answers, 0, 0, 0, 0});
        out.writeBytes(new byte[] {6, 's', 'i', 'g', 'n', 'e', 'd', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, 1, 0, 1});
        return out;
    }

    /** An A record owned by {@code owner}: TTL 60, 192.0.2.9. */
    private static void a(ByteArrayOutputStream out, int... owner) {
        for (int b : owner) {
            out.write(b);
        }
        out.writeBytes(new byte[] {0, 1, 0, 1, 0, 0, 0, 60, 0, 4, (byte) 192, 0, 2, 9});
    }

    @Test
    void anOwnerPointingBackAtTheQuestionIsKept() throws Exception {
        ByteArrayOutputStream out = response(1);
        a(out, 0xC0, 12);
        assertNotNull(scan(out.toByteArray()));
        assertEquals("signed.example.", new Message(out.toByteArray()).getSection(1).get(0).getName().toString());
    }

    @Test
    void anOwnerPointingIntoTheHeaderIsMalformed() {
        // 0x12 0x34 ... read as a label of 18 bytes running into the question: a name dnsjava
        // accepts, until the replay's new ID makes the first byte a reserved label type.
        ByteArrayOutputStream out = response(1);
        a(out, 0xC0, 0);
        assertNull(scan(out.toByteArray()));
    }

    @Test
    void aNamePointingIntoAnEarlierTtlIsMalformed() {
        ByteArrayOutputStream out = response(2);
        a(out, 0xC0, 12);
        int ttlAt = 32 + 2 + 4; // first answer at 32: owner, type, class, then the TTL
        a(out, 0xC0, ttlAt);
        assertNull(scan(out.toByteArray()));
    }

    @Test
    void aPointerForwardOrToItselfIsMalformed() {
        ByteArrayOutputStream self = response(1);
        a(self, 0xC0, 32);
        assertNull(scan(self.toByteArray()), "an owner pointing at itself: a loop");
        ByteArrayOutputStream forward = response(2);
        a(forward, 0xC0, 48);
        a(forward, 0xC0, 12);
        assertNull(scan(forward.toByteArray()), "a pointer to the next record (RFC 1035 §4.1.4: prior occurrence)");
    }

    @Test
    void aChainOfPointersIsFollowedToItsEnd() {
        // Answer 1 owns "x" + pointer to the question; answer 2 points at answer 1's owner: kept.
        ByteArrayOutputStream ok = response(2);
        a(ok, 1, 'x', 0xC0, 12);
        a(ok, 0xC0, 32);
        assertNotNull(scan(ok.toByteArray()));
        // Answer 1's RDATA holds a pointer into the header; answer 2 points at that RDATA: dropped,
        // though its own pointer points back past the header.
        ByteArrayOutputStream bad = response(2);
        bad.writeBytes(new byte[] {(byte) 0xC0, 12, 0, 99, 0, 1, 0, 0, 0, 60, 0, 2, (byte) 0xC0, 2});
        a(bad, 0xC0, 44);
        assertNull(scan(bad.toByteArray()));
    }

    @Test
    void aPointerReachedThroughOpaqueRdataPastACutOptIsMalformed() throws Exception {
        // Found by ResponseReplayFuzzTest. Additional: OPT (cut out of the template), then a record
        // of unknown type 3840 whose opaque RDATA reads "mail" + a pointer to the record's own owner
        // (past the OPT), then an A whose owner points at that RDATA: upstream "mail.signed.example.".
        // The scanner moves the pointers of owner names back by the OPT's 11 bytes, not one inside
        // opaque RDATA (RFC 3597 §4), which would then point 11 bytes off.
        ByteArrayOutputStream out = response(0);
        byte[] header = out.toByteArray();
        header[11] = 3;
        out.reset();
        out.writeBytes(header);
        int optAt = out.size();
        out.writeBytes(new byte[] {0, 0, 41, 4, (byte) 0xD0, 0, 0, 0, 0, 0, 0});
        int opaqueAt = out.size();
        out.writeBytes(new byte[] {(byte) 0xC0, 12, 0x0F, 0, 0, 1, 0, 0, 0, 60, 0, 7});
        int labelAt = out.size();
        out.writeBytes(new byte[] {4, 'm', 'a', 'i', 'l', (byte) 0xC0, (byte) opaqueAt});
        a(out, 0xC0, labelAt);
        byte[] wire = out.toByteArray();
        assertEquals(optAt + 11, opaqueAt, "precondition: the opaque record follows the OPT");
        assertEquals("mail.signed.example.", new Message(wire).getSection(3).get(2).getName().toString(),
                "precondition: upstream, the name reads through the opaque RDATA");
        assertNull(scan(wire));
    }

    @Test
    void anRdataNamePointingIntoItsOwnRecordsTtlIsMalformed() throws Exception {
        // CNAME at 32: owner C0 0C, type, class, TTL at 38 = 01 'A' 00 00, RDATA C0 26 (38). Upstream
        // the target reads "A."; a replay that lowers the TTL rewrites the 'A' (or the length byte).
        ByteArrayOutputStream out = response(1);
        out.writeBytes(new byte[] {(byte) 0xC0, 12, 0, 5, 0, 1, 1, 'A', 0, 0, 0, 2, (byte) 0xC0, 38});
        assertEquals("A.", ((CNAMERecord) new Message(out.toByteArray()).getSection(1).get(0))
                .getTarget().toString());
        assertNull(scan(out.toByteArray()));
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "type {0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {39, 47, 23, 30, 250})
    void aNameFieldOfLaterTypesPointingIntoItsOwnTtlIsMalformedToo(int type) {
        // DNAME, NSEC, NSAP-PTR, NXT, TSIG: a name first in RDATA, which readers decompress though
        // senders must not compress it (the fuzzer's finding for DNAME).
        ByteArrayOutputStream out = response(1);
        out.writeBytes(new byte[] {(byte) 0xC0, 12, 0, (byte) type, 0, 1, 1, 'A', 0, 0, 0, 2, (byte) 0xC0, 38});
        assertNull(scan(out.toByteArray()));
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "type {0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {39, 47})
    void aNameFieldOfLaterTypesPointingBackAtTheQuestionIsKept(int type) throws Exception {
        ByteArrayOutputStream out = response(1);
        out.writeBytes(new byte[] {(byte) 0xC0, 12, 0, (byte) type, 0, 1, 0, 0, 0, 30, 0, 2, (byte) 0xC0, 12});
        assertNotNull(scan(out.toByteArray()));
    }
}
