package io.nodedns.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/** Queries, settings and waiting helpers shared by the upstream tests. */
final class UpstreamTesting {
    /** Upper bound for any single wait in these tests; none should come close. */
    static final long WAIT_SECONDS = 10;

    private UpstreamTesting() {
    }

    /** An A query for {@code name} with ID {@code id}, as a buffer the test must release. */
    static ByteBuf query(String name, int id) {
        return query(name, Type.A, id);
    }

    static ByteBuf query(String name, int type, int id) {
        try {
            Message message = Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN));
            message.getHeader().setID(id);
            return Unpooled.wrappedBuffer(message.toWire());
        } catch (IOException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /**
     * Forwards an A query for {@code name} and releases the query buffer right away, which
     * also checks that the forwarder copied what it needs.
     */
    static CompletableFuture<ByteBuf> forward(Forwarder forwarder, String name, int id, boolean clientUsedTcp) {
        ByteBuf query = query(name, id);
        try {
            return forwarder.forward(query, clientUsedTcp);
        } finally {
            query.release();
        }
    }

    /**
     * Forwards A queries for {@code PREFIX0.example.} to {@code PREFIX<count-1>.example.}, with IDs
     * from {@code firstId} up, all before waiting for any; then waits for each response and
     * checks that it carries its own query's ID and name. The responses, in query order.
     */
    static List<Message> forwardAllAtOnce(Forwarder forwarder, String prefix, int count, int firstId)
            throws Exception {
        List<CompletableFuture<ByteBuf>> futures = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            futures.add(forward(forwarder, prefix + i + ".example.", firstId + i, false));
        }
        List<Message> responses = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Message response = answer(futures.get(i));
            assertEquals(firstId + i, response.getHeader().getID());
            assertEquals(prefix + i + ".example.", response.getQuestion().getName().toString());
            responses.add(response);
        }
        return responses;
    }

    /** Waits for the response, parses it with dnsjava and releases it. */
    static Message answer(CompletableFuture<ByteBuf> future) throws Exception {
        ByteBuf response = future.get(WAIT_SECONDS, TimeUnit.SECONDS);
        try {
            return new Message(ByteBufUtil.getBytes(response));
        } finally {
            response.release();
        }
    }

    /** Waits for the forward to fail and returns its cause. */
    static Throwable failure(CompletableFuture<ByteBuf> future) throws Exception {
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> {
                    ByteBuf unexpected = future.get(WAIT_SECONDS, TimeUnit.SECONDS);
                    unexpected.release();
                });
        return e.getCause();
    }

    static String firstAddress(Message response) {
        List<Record> answers = response.getSection(org.xbill.DNS.Section.ANSWER);
        if (answers.isEmpty()) {
            return "(no answer)";
        }
        return answers.get(0).rdataToString();
    }

    /** Short timeouts for tests: 1s per try, 3s deadline, sequential, the given transport. */
    static ForwarderSettings settings(TransportMode transport, FakeUpstream... upstreams) {
        List<InetSocketAddress> addresses = Arrays.stream(upstreams).map(FakeUpstream::address).toList();
        return ForwarderSettings.defaults("test.", addresses)
                .withTransport(transport)
                .withPolicy(ForwardPolicy.SEQUENTIAL)
                .withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(3));
    }

    static void waitUntil(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting until " + what);
            }
            Thread.sleep(10);
        }
    }
}
