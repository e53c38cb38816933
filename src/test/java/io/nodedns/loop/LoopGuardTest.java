package io.nodedns.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/** {@link LoopProbe} and {@link LoopGuard}: the probe's name and query, and catching it on its way back. */
class LoopGuardTest {
    /** A generator whose every long is -1, so each label is Long.MAX_VALUE (19 digits). */
    private static final RandomGenerator ALL_ONES = () -> -1L;
    private static final String PROBE = "9223372036854775807.9223372036854775807.cluster.local.";
    private static final String MESSAGE = "Loop (127.0.0.1:5301 -> cluster.local.:53) detected for zone"
            + " \"cluster.local.\", see https://coredns.io/plugins/loop#troubleshooting. Query: \"HINFO " + PROBE + "\"";

    private final List<String> reported = new ArrayList<>();
    private final LoopProbe probe = new LoopProbe("cluster.local.", ALL_ONES, "127.0.0.1:5301", "cluster.local.:53",
            reported::add);
    private final RecordingUpstream forwarder = new RecordingUpstream();
    private final LoopGuard guard = new LoopGuard(probe, forwarder);

    private static ByteBuf query(String name, int type) throws Exception {
        return Unpooled.wrappedBuffer(Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN)).toWire());
    }

    @Test
    void probeNameIsTwoNonNegativeRandomNumbersUnderTheZone() {
        assertEquals(PROBE, probe.name());
        // The top bit is dropped, as Go's rand.Int() is non-negative: 0x8000000000000002 -> 2^62 + 1.
        LoopProbe root = new LoopProbe(".", () -> 0x8000000000000002L, "a", "b", m -> { });
        assertEquals("4611686018427387905.4611686018427387905.", root.name());
    }

    @Test
    void probeQueryIsHinfoForTheNameWithRecursionDesired() throws Exception {
        ByteBuf wire = probe.newQuery(ByteBufAllocator.DEFAULT);
        try {
            Message m = new Message(io.netty.buffer.ByteBufUtil.getBytes(wire));
            assertEquals(PROBE, m.getQuestion().getName().toString());
            assertEquals(Type.HINFO, m.getQuestion().getType());
            assertEquals(DClass.IN, m.getQuestion().getDClass());
            assertTrue(m.getHeader().getFlag(Flags.RD));
            assertTrue(probe.matches(wire), "the probe matches itself");
        } finally {
            wire.release();
        }
    }

    @Test
    void theProbeComingBackFailsAndIsReportedOnceWithCoreDnsLogLine() throws Exception {
        probe.arm();
        ByteBuf first = query(PROBE, Type.HINFO);
        ByteBuf second = query(PROBE.toUpperCase(java.util.Locale.ROOT), Type.HINFO);

        CompletableFuture<ByteBuf> a = guard.forward(first, false);
        CompletableFuture<ByteBuf> b = guard.forward(second, true);

        assertTrue(a.isCompletedExceptionally(), "failed at once");
        ExecutionException failure = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, a::get);
        assertInstanceOf(ForwardingLoopException.class, failure.getCause());
        assertEquals(MESSAGE, failure.getCause().getMessage());
        assertTrue(b.isCompletedExceptionally(), "still not forwarded, whatever the name's case");
        assertEquals(List.of(MESSAGE), reported, "reported once");
        assertEquals(0, forwarder.count(), "the looped query does not go round again");
        assertEquals(1, first.refCnt(), "the caller keeps the query");
        first.release();
        second.release();
    }

    @Test
    void otherQueriesPassThroughUntouched() throws Exception {
        probe.arm();
        for (ByteBuf other : List.of(query(PROBE, Type.A), query("9223372036854775807.cluster.local.", Type.HINFO),
                query("x." + PROBE, Type.HINFO), query("cluster.local.", Type.HINFO))) {
            CompletableFuture<ByteBuf> answer = guard.forward(other, false);
            assertSame(forwarder.answers.get(forwarder.answers.size() - 1), answer);
            other.release();
        }
        assertEquals(4, forwarder.count());
        assertEquals(List.of(), reported);
        ByteBuf probeQuery = query(PROBE, Type.HINFO);
        ByteBuf truncated = probeQuery.slice(0, probeQuery.readableBytes() - 12);
        assertFalse(probe.matches(truncated), "cut inside the question");
        probeQuery.release();
    }

    @Test
    void whileDisarmedEvenTheProbeNameIsForwarded() throws Exception {
        ByteBuf looped = query(PROBE, Type.HINFO);
        CompletableFuture<ByteBuf> answer = guard.forward(looped, false);
        looped.release();
        assertSame(forwarder.answers.get(0), answer);
        assertFalse(probe.loopReported());
        assertEquals(List.of(), reported);
    }
}
