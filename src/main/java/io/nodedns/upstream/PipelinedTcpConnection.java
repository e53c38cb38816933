package io.nodedns.upstream;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.nodedns.wire.DnsWire;

/**
 * A persistent TCP connection to one upstream carrying many queries at once (RFC 7766
 * §6.2.1.1), each message preceded by its two-byte length (RFC 1035 §4.2.2). Answers may
 * come back in any order (RFC 7766 §7) and are matched by ID and question.
 */
final class PipelinedTcpConnection extends UpstreamChannel {
    PipelinedTcpConnection(UpstreamChannelPool pool) {
        super(pool);
    }

    @Override
    ChannelFuture connect() {
        int connectTimeoutMillis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, pool.connectTimeoutMillis()));
        return new Bootstrap()
                .group(pool.loop())
                .channel(pool.transport().socketChannelClass())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        // Queries of one event-loop turn (a batch of client reads) go out in one write.
                        ch.pipeline().addLast(UpstreamChannel.flushConsolidation(), new ResponseFrameDecoder(),
                                new TcpResponseHandler());
                    }
                })
                .connect(pool.address());
    }

    @Override
    ByteBuf encode(ByteBufAllocator alloc, ByteBuf query, int id) {
        int length = query.readableBytes();
        ByteBuf frame = alloc.directBuffer(2 + length);
        frame.writeShort(length);
        frame.writeBytes(query, 0, length);
        frame.setShort(2, id);
        return frame;
    }

    @Override
    boolean dueForRotation(long nowNanos) {
        PoolTuning tuning = pool.tuning();
        return queriesAccepted() >= tuning.maxQueriesPerConnection()
                || ageNanos(nowNanos) >= tuning.maxConnectionAge().toNanos();
    }

    /**
     * Splits the stream into messages: each a retained slice of the decoder's buffer (the
     * decoder's default), not a copy. The receivers scan or read a response and release it at once
     * (the cache keeps its own copy, {@link io.nodedns.wire.AnswerTemplate}), so a slice pins the
     * buffer only while its read batch is processed. The message's ID is rewritten in place
     * ({@link ForwardRequest}), which the decoder never reads again.
     */
    private static final class ResponseFrameDecoder extends LengthFieldBasedFrameDecoder {
        ResponseFrameDecoder() {
            super(DnsWire.MAX_MESSAGE_LENGTH + 2, 0, 2, 0, 2);
        }
    }

    private final class TcpResponseHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            onMessage((ByteBuf) msg);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            close(AttemptFailure.CLOSED, "connection closed by upstream");
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            close(AttemptFailure.CLOSED, "connection failed: " + describe(cause));
        }
    }
}
