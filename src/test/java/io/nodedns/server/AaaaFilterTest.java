package io.nodedns.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.nodedns.cache.CachedAnswer;
import io.nodedns.wire.DnsWire;
import io.nodedns.wire.QuestionKey;
import io.nodedns.wire.WireNames;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** filter_aaaa: which queries it takes, and that a name's NODATA answer is built once and then reused. */
class AaaaFilterTest {
    private final AaaaFilter filter = new AaaaFilter(List.of("cluster.local.", "."), List.of("v6.example."), 30);

    private static QuestionKey key(String name, int qtype) {
        return QuestionKey.of(WireNames.toWire(name), qtype, DnsWire.CLASS_IN, false, false);
    }

    @Test
    void takesAaaaOutsideTheExceptionsOwnedByTheLongestZone() {
        assertEquals(0, filter.filteredZone(key("svc.default.svc.cluster.local.", Type.AAAA)));
        assertEquals(1, filter.filteredZone(key("www.example.com.", Type.AAAA)));
        assertEquals(-1, filter.filteredZone(key("www.example.com.", Type.A)), "only AAAA");
        assertEquals(-1, filter.filteredZone(key("host.v6.example.", Type.AAAA)), "except");
    }

    @Test
    void aNamesAnswerIsBuiltOnceAndReusedForEqualQuestions() throws Exception {
        QuestionKey first = key("www.example.com.", Type.AAAA);
        CachedAnswer answer = filter.answer(first, filter.filteredZone(first));
        QuestionKey again = key("www.example.com.", Type.AAAA);
        assertSame(answer, filter.answer(again, filter.filteredZone(again)), "the same question gets the kept answer");
        QuestionKey other = key("api.example.com.", Type.AAAA);
        CachedAnswer otherAnswer = filter.answer(other, filter.filteredZone(other));
        assertNotSame(answer, otherAnswer);

        Message nodata = new Message(otherAnswer.template().messageCopy());
        assertEquals(Rcode.NOERROR, nodata.getRcode());
        assertEquals(0, nodata.getSection(Section.ANSWER).size());
        assertEquals("api.example.com.", nodata.getQuestion().getName().toString());
        assertEquals(Type.SOA, nodata.getSection(Section.AUTHORITY).get(0).getType());
        assertEquals(".", nodata.getSection(Section.AUTHORITY).get(0).getName().toString(), "the owning zone's SOA");
    }
}
