package io.nodedns.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Predicate;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Section;

/**
 * An in-process {@link UpstreamClient} for server tests: answers each query with
 * what {@code answer} makes of it (dnsjava messages), immediately or when the test
 * releases it, and records every query it was asked.
 */
final class ScriptedUpstream implements UpstreamClient {
    final AtomicInteger calls = new AtomicInteger();
    final List<Message> queries = new CopyOnWriteArrayList<>();
    final List<Boolean> overTcp = new CopyOnWriteArrayList<>();
    private volatile Function<Message, Message> answer;
    private volatile CompletableFuture<Void> gate = CompletableFuture.completedFuture(null);
    private final List<Map.Entry<Predicate<Message>, CompletableFuture<Void>>> heldQueries =
            new CopyOnWriteArrayList<>();
    private volatile Throwable failure;
    private volatile java.util.function.ToLongFunction<Message> delayMillis = q -> 0;

    ScriptedUpstream(Function<Message, Message> answer) {
        this.answer = answer;
    }

    /** Holds every answer until the returned future is completed. */
    CompletableFuture<Void> hold() {
        CompletableFuture<Void> g = new CompletableFuture<>();
        gate = g;
        return g;
    }

    /**
     * Holds the answers to the queries {@code which} selects (the first such hold that matches wins)
     * until the returned future is completed; other queries are answered as before.
     */
    CompletableFuture<Void> hold(Predicate<Message> which) {
        CompletableFuture<Void> g = new CompletableFuture<>();
        heldQueries.add(Map.entry(which, g));
        return g;
    }

    void failWith(Throwable t) {
        failure = t;
    }

    void answerWith(Function<Message, Message> f) {
        answer = f;
    }

    /** Answers each query after the given delay, produced on another thread. */
    void delay(java.util.function.ToLongFunction<Message> millis) {
        delayMillis = millis;
    }

    @Override
    public CompletableFuture<ByteBuf> forward(ByteBuf query, boolean clientUsedTcp) {
        overTcp.add(clientUsedTcp);
        byte[] bytes = new byte[query.readableBytes()];
        query.getBytes(query.readerIndex(), bytes);
        Message q;
        try {
            q = new Message(bytes);
        } catch (java.io.IOException e) {
            calls.incrementAndGet();
            return CompletableFuture.failedFuture(e);
        }
        // Recorded before it is counted: a test that sees the count (from another thread) sees the query.
        queries.add(q);
        calls.incrementAndGet();
        Throwable fail = failure;
        if (fail != null) {
            return CompletableFuture.failedFuture(fail);
        }
        Function<Message, Message> f = answer;
        Function<Void, ByteBuf> respond = v -> {
            byte[] wire = f.apply(q).toWire();
            return PooledByteBufAllocator.DEFAULT.buffer(wire.length).writeBytes(wire);
        };
        CompletableFuture<Void> gate = this.gate;
        for (Map.Entry<Predicate<Message>, CompletableFuture<Void>> held : heldQueries) {
            if (held.getKey().test(q)) {
                gate = held.getValue();
                break;
            }
        }
        long delay = delayMillis.applyAsLong(q);
        return delay <= 0 ? gate.thenApply(respond)
                : gate.thenApplyAsync(respond, CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS));
    }

    /** A response skeleton for {@code q}: same ID and question, QR, RD and RA set. */
    static Message responseTo(Message q) {
        Message r = new Message(q.getHeader().getID());
        r.getHeader().setFlag(Flags.QR);
        r.getHeader().setFlag(Flags.RD);
        r.getHeader().setFlag(Flags.RA);
        r.addRecord(q.getQuestion(), Section.QUESTION);
        return r;
    }
}
