package io.nodedns.loop;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.nodedns.server.UpstreamClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Section;

/**
 * An {@link UpstreamClient} for the loop tests: keeps each query (parsed by dnsjava) with a future
 * the test completes, so a test decides when and how each forward ends.
 */
final class RecordingUpstream implements UpstreamClient {
    final List<Message> queries = new ArrayList<>();
    final List<CompletableFuture<ByteBuf>> answers = new ArrayList<>();
    /** Every response handed out, to check the receiver released it. */
    final List<ByteBuf> responses = new ArrayList<>();

    @Override
    public CompletableFuture<ByteBuf> forward(ByteBuf query, boolean clientUsedTcp) {
        byte[] wire = new byte[query.readableBytes()];
        query.getBytes(query.readerIndex(), wire);
        try {
            queries.add(new Message(wire));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        CompletableFuture<ByteBuf> answer = new CompletableFuture<>();
        answers.add(answer);
        return answer;
    }

    int count() {
        return queries.size();
    }

    /** Completes the {@code index}th forward with a response of {@code rcode} to its query. */
    void answer(int index, int rcode) {
        Message query = queries.get(index);
        Message response = new Message(query.getHeader().getID());
        response.getHeader().setFlag(Flags.QR);
        response.getHeader().setRcode(rcode);
        response.addRecord(query.getQuestion(), Section.QUESTION);
        ByteBuf buf = Unpooled.wrappedBuffer(response.toWire());
        responses.add(buf);
        answers.get(index).complete(buf);
    }

    void fail(int index) {
        answers.get(index).completeExceptionally(new IllegalStateException("all upstreams failed"));
    }
}
