package io.nodedns.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

class DnsMessagesTest {

    @Test
    void measuresTheQuestionSection() {
        ByteBuf query = UpstreamTesting.query("www.Example.com.", 1);
        try {
            // 3www7Example3com0 = 17 bytes, then type and class.
            assertEquals(17 + 4, DnsMessages.questionLength(query, 0));
        } finally {
            query.release();
        }
    }

    @Test
    void measuresTheQuestionFromTheReaderIndex() {
        ByteBuf query = UpstreamTesting.query("a.b.", 1);
        ByteBuf shifted = Unpooled.buffer().writeZero(5).writeBytes(query).skipBytes(5);
        try {
            assertEquals(5 + 4, DnsMessages.questionLength(shifted, shifted.readerIndex()));
        } finally {
            query.release();
            shifted.release();
        }
    }

    @Test
    void rejectsQueriesWithoutExactlyOneQuestionOrCutShort() {
        ByteBuf query = UpstreamTesting.query("cut.example.", 1);
        try {
            assertThrows(IllegalArgumentException.class, () -> DnsMessages.questionLength(query.slice(0, 20), 0));
            query.setShort(4, 2);
            assertThrows(IllegalArgumentException.class, () -> DnsMessages.questionLength(query, 0));
            query.setShort(4, 1);
            query.setByte(12, 0xC0); // compression pointer as first label
            assertThrows(IllegalArgumentException.class, () -> DnsMessages.questionLength(query, 0));
        } finally {
            query.release();
        }
    }

    @Test
    void acceptsAnAnswerWhoseQuestionDiffersOnlyInCase() {
        assertAnswers(true, "Mixed.Example.", response -> { });
    }

    @Test
    void rejectsAnAnswerForAnotherName() {
        assertAnswers(false, "other.example.", response -> { });
    }

    @Test
    void rejectsAnAnswerForAnotherType() {
        assertAnswers(false, "mixed.example.", Type.AAAA, m -> { });
    }

    @Test
    void rejectsAQueryReflectedBack() {
        ByteBuf query = UpstreamTesting.query("mixed.example.", 1);
        try {
            assertFalse(DnsMessages.answers(query, query, DnsMessages.questionLength(query, 0)));
        } finally {
            query.release();
        }
    }

    @Test
    void acceptsAnErrorWithoutQuestionButNotASuccess() {
        assertAnswers(true, "mixed.example.", m -> {
            m.removeAllRecords(Section.QUESTION);
            m.getHeader().setRcode(Rcode.REFUSED);
        });
        assertAnswers(false, "mixed.example.", m -> m.removeAllRecords(Section.QUESTION));
    }

    @Test
    void readsAndSetsTheTruncationFlag() {
        ByteBuf response = response("tc.example.", Type.A, 1, m -> { });
        try {
            assertFalse(DnsMessages.isTruncated(response));
            DnsMessages.markTruncated(response);
            assertTrue(DnsMessages.isTruncated(response));
        } finally {
            response.release();
        }
    }

    @Test
    void healthProbeIsCoreDnsDefaultRecursiveRootNsQuery() throws Exception {
        ByteBuf probe = DnsMessages.healthProbe(ByteBufAllocator.DEFAULT);
        try {
            Message parsed = new Message(ByteBufUtil.getBytes(probe));
            assertEquals(Name.root, parsed.getQuestion().getName());
            assertEquals(Type.NS, parsed.getQuestion().getType());
            assertTrue(parsed.getHeader().getFlag(Flags.RD));
            assertFalse(parsed.getHeader().getFlag(Flags.QR));
            assertEquals(5, DnsMessages.questionLength(probe, 0));
        } finally {
            probe.release();
        }
    }

    /** Whether a response for {@code responseName} A, edited by {@code edit}, answers "mixed.example. A". */
    private static void assertAnswers(boolean expected, String responseName, Consumer<Message> edit) {
        assertAnswers(expected, responseName, Type.A, edit);
    }

    private static void assertAnswers(boolean expected, String responseName, int responseType,
                                      Consumer<Message> edit) {
        ByteBuf query = UpstreamTesting.query("mixed.example.", 1);
        ByteBuf response = response(responseName, responseType, 1, edit);
        try {
            assertEquals(expected, DnsMessages.answers(response, query, DnsMessages.questionLength(query, 0)));
        } finally {
            query.release();
            response.release();
        }
    }

    private static ByteBuf response(String name, int type, int id, Consumer<Message> edit) {
        ByteBuf query = UpstreamTesting.query(name, type, id);
        try {
            Message message = new Message(ByteBufUtil.getBytes(query));
            message.getHeader().setFlag(Flags.QR);
            edit.accept(message);
            return Unpooled.wrappedBuffer(message.toWire());
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        } finally {
            query.release();
        }
    }
}
