package io.nodedns.loop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/**
 * {@link LoopProber} on an embedded event loop with frozen time: when probes are sent, when
 * sending stops and when the probe is disarmed (CoreDNS loop setup.go's schedule).
 */
class LoopProberTest {
    private final EmbeddedChannel channel = new EmbeddedChannel();
    private final List<String> reported = new ArrayList<>();
    private final LoopProbe probe = new LoopProbe("example.", new Random(7), "127.0.0.1:53", "example.:53",
            reported::add);
    private final RecordingUpstream forwarder = new RecordingUpstream();
    private final LoopProber prober;

    LoopProberTest() {
        channel.freezeTime();
        prober = new LoopProber(probe, forwarder, channel.eventLoop(), ByteBufAllocator.DEFAULT);
    }

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
    }

    private void run() {
        channel.runPendingTasks();
    }

    private void advance(Duration by) {
        channel.advanceTimeBy(by.toNanos(), TimeUnit.NANOSECONDS);
        channel.runPendingTasks();
    }

    @Test
    void startArmsAndSendsOneHinfoProbe() {
        prober.start();
        prober.start();
        run();
        assertTrue(probe.isArmed());
        assertEquals(1, forwarder.count(), "a second start does nothing");
        Message sent = forwarder.queries.get(0);
        assertEquals(probe.name(), sent.getQuestion().getName().toString());
        assertTrue(probe.name().matches("\\d{1,19}\\.\\d{1,19}\\.example\\."), probe.name());
        assertEquals(Type.HINFO, sent.getQuestion().getType());
        assertTrue(sent.getHeader().getFlag(Flags.RD));
    }

    @Test
    void aFailedProbeIsSentAgainOneSecondLaterUnderTheSameName() {
        prober.start();
        run();
        forwarder.fail(0);
        run();
        advance(Duration.ofMillis(999));
        assertEquals(1, forwarder.count());
        advance(Duration.ofMillis(1));
        assertEquals(2, forwarder.count());
        assertEquals(forwarder.queries.get(0).getQuestion(), forwarder.queries.get(1).getQuestion());
        assertTrue(probe.isArmed());
    }

    @Test
    void anyAnswerEndsSendingAndDisarmsTwoSecondsLater() {
        prober.start();
        run();
        forwarder.fail(0);
        run();
        advance(Duration.ofSeconds(1));
        forwarder.answer(1, Rcode.NXDOMAIN);
        run();
        advance(Duration.ofMillis(1999));
        assertTrue(probe.isArmed(), "a looped copy may still be on its way");
        advance(Duration.ofMillis(1));
        assertFalse(probe.isArmed());
        advance(Duration.ofSeconds(60));
        assertEquals(2, forwarder.count(), "nothing sent after the answer");
        assertEquals(0, forwarder.responses.get(0).refCnt(), "the answer is released");
        assertEquals(List.of(), reported);
    }

    @Test
    void withoutAnAnswerDetectionTurnsOffAfterThirtySeconds() {
        prober.start();
        run();
        for (int tenths = 0; tenths < 400; tenths++) {
            for (CompletableFuture<ByteBuf> answer : forwarder.answers) {
                answer.completeExceptionally(new IllegalStateException("timeout"));
            }
            run();
            if (tenths == 299) {
                assertTrue(probe.isArmed(), "armed until the window ends");
            }
            advance(Duration.ofMillis(100));
        }
        assertFalse(probe.isArmed());
        assertEquals(30, forwarder.count(), "one probe a second from 0 s to 29 s");
    }

    @Test
    void stopCancelsTheRetryDisarmsAndReleasesALateAnswer() {
        prober.start();
        run();
        forwarder.fail(0);
        run();
        prober.start();
        prober.stop();
        assertFalse(probe.isArmed(), "disarmed at once, not when the loop gets to it");
        advance(Duration.ofSeconds(5));
        assertEquals(1, forwarder.count());
        assertFalse(probe.isArmed());

        LoopProber other = new LoopProber(probe, forwarder, channel.eventLoop(), ByteBufAllocator.DEFAULT);
        other.start();
        run();
        other.stop();
        forwarder.answer(1, Rcode.NOERROR);
        run();
        assertEquals(0, forwarder.responses.get(0).refCnt());
        assertFalse(probe.isArmed());
    }

    @Test
    void onceTheLoopIsReportedAFailedProbeIsNotSentAgain() {
        prober.start();
        run();
        assertTrue(probe.reportLoop(), "what the guard does when the probe comes back");
        forwarder.fail(0);
        run();
        advance(Duration.ofSeconds(5));
        assertEquals(1, forwarder.count());
        assertFalse(probe.isArmed());
        assertEquals(1, reported.size());
    }

    @Test
    void aForwarderThatThrowsCountsAsAFailedProbe() {
        int[] calls = {0};
        LoopProber throwing = new LoopProber(probe, (query, tcp) -> {
            calls[0]++;
            throw new IllegalStateException("closed");
        }, channel.eventLoop(), ByteBufAllocator.DEFAULT);
        throwing.start();
        run();
        advance(Duration.ofSeconds(1));
        assertEquals(2, calls[0]);
        throwing.stop();
        run();
    }
}
