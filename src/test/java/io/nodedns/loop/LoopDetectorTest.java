package io.nodedns.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.nodedns.config.CorefileParser;
import io.nodedns.config.ServerBlock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/** {@link LoopDetector}: which zone a block probes, and the pieces wired together. */
class LoopDetectorTest {
    /** The detectors' scheduler; closed after each test, whatever it left pending. */
    private final EmbeddedChannel channel = new EmbeddedChannel();

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
    }

    @Test
    void probeZoneIsTheFirstKeyTheForwardCoversOrTheForwardedZoneInsideIt() {
        assertEquals(Optional.of("cluster.local."), LoopDetector.probeZone(List.of("cluster.local."), "."));
        assertEquals(Optional.of("."), LoopDetector.probeZone(List.of("."), "."));
        assertEquals(Optional.of("example.org."), LoopDetector.probeZone(List.of("."), "example.org."),
                "a probe under . would not be forwarded by 'forward example.org'");
        assertEquals(Optional.of("b.example."), LoopDetector.probeZone(List.of("a.example.", "b.example."),
                "b.example."));
        assertEquals(Optional.empty(), LoopDetector.probeZone(List.of("a.example."), "b.example."));
        assertEquals(Optional.empty(), LoopDetector.probeZone(List.of("xample."), "example."),
                "suffixes count only at label boundaries");
        String label = "x".repeat(63);
        String longZone = label + "." + label + "." + label + "." + "y".repeat(22) + ".";
        assertEquals(Optional.empty(), LoopDetector.probeZone(List.of(longZone), "."),
                "no room for two 19-digit labels within 255 bytes");
    }

    @Test
    void aBlockWhoseForwardTakesNoneOfItsZonesIsNotProbed() throws Exception {
        ServerBlock block = block("a.example:53 {\n  loop\n  forward b.example 127.0.0.1:5301\n}\n");
        assertEquals(Optional.empty(), LoopDetector.forBlock(block, new RecordingUpstream(),
                channel.eventLoop(), () -> 1L, m -> { }));
    }

    @Test
    void theGuardCatchesTheProbeThatTheProberSent() throws Exception {
        ServerBlock block = block("cluster.local:53 {\n  loop\n  forward . 127.0.0.1:5301 [::1]:5302\n}\n");
        RecordingUpstream forwarder = new RecordingUpstream();
        List<String> reported = new ArrayList<>();
        LoopDetector detector = LoopDetector.forBlock(block, forwarder, channel.eventLoop(), () -> 6L, reported::add)
                .orElseThrow();
        detector.start();
        channel.runPendingTasks();
        assertEquals("3.3.cluster.local.", detector.probeName());
        Message sent = forwarder.queries.get(0);
        assertEquals(detector.probeName(), sent.getQuestion().getName().toString());

        ByteBuf back = Unpooled.wrappedBuffer(Message.newQuery(
                Record.newRecord(Name.fromString(detector.probeName()), Type.HINFO, DClass.IN)).toWire());
        CompletableFuture<ByteBuf> answer = detector.guard().forward(back, false);
        back.release();
        assertTrue(answer.isCompletedExceptionally());
        assertEquals(List.of("Loop (127.0.0.1:5301, [0:0:0:0:0:0:0:1]:5302 -> cluster.local.:53) detected for zone"
                + " \"cluster.local.\", see https://coredns.io/plugins/loop#troubleshooting. Query:"
                + " \"HINFO 3.3.cluster.local.\""), reported);
        assertEquals(1, forwarder.count(), "the looped copy was not forwarded");
        detector.stop();
        channel.runPendingTasks();
    }

    private static ServerBlock block(String corefile) throws Exception {
        return CorefileParser.parse("Corefile", corefile, 53).blocks().get(0);
    }
}
