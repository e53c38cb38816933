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
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;

/**
 * A connected UDP socket to one upstream with many queries in flight, each under a random ID.
 * Connecting makes the kernel drop datagrams from any other source address and port, and
 * report ICMP port unreachable as an error instead of leaving us to time out; responses are
 * still checked against the upstream's address, ID and question (RFC 5452 §9.1).
 */
final class UdpSocket extends UpstreamChannel {
    /**
     * Receive buffer per datagram. Queries advertise an EDNS size of at most 1232 bytes (DNS
     * flag day 2020), so a response is normally far smaller; 4096 also covers upstreams that
     * honour the older common 4096 advertisement. A datagram that fills the whole buffer may
     * have been cut short by the kernel, so it is treated as truncated and the query retried
     * over TCP (RFC 7766 §5) rather than parsed.
     */
    static final int RECEIVE_BUFFER_BYTES = 4096;

    UdpSocket(UpstreamChannelPool pool) {
        super(pool);
    }

    @Override
    ChannelFuture connect() {
        return new Bootstrap()
                .group(pool.loop())
                .channelFactory(pool.transport().datagramChannelFactory(pool.address().getAddress()))
                .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(RECEIVE_BUFFER_BYTES))
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        // Queries of one event-loop turn go out in one sendmmsg.
                        ch.pipeline().addLast(UpstreamChannel.flushConsolidation(), new UdpResponseHandler());
                    }
                })
                .connect(pool.address());
    }

    @Override
    ByteBuf encode(ByteBufAllocator alloc, ByteBuf query, int id) {
        int length = query.readableBytes();
        ByteBuf datagram = alloc.directBuffer(length);
        datagram.writeBytes(query, 0, length);
        datagram.setShort(0, id);
        return datagram;
    }

    @Override
    boolean dueForRotation(long nowNanos) {
        return queriesAccepted() >= pool.tuning().maxQueriesPerUdpSocket();
    }

    private final class UdpResponseHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf content;
            if (msg instanceof DatagramPacket packet) {
                InetSocketAddress sender = packet.sender();
                if (sender != null && !sender.equals(pool.address())) {
                    packet.release();
                    return;
                }
                content = packet.content();
            } else {
                content = (ByteBuf) msg;
            }
            int length = content.readableBytes();
            // Right-sized copy, so the 4096-byte read buffer goes back to the pool at once.
            ByteBuf message = ctx.alloc().buffer(length, length);
            message.writeBytes(content, content.readerIndex(), length);
            ((io.netty.util.ReferenceCounted) msg).release();
            if (length >= RECEIVE_BUFFER_BYTES) {
                DnsMessages.markTruncated(message);
            }
            onMessage(message);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            close(AttemptFailure.CLOSED, "socket closed");
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // A connected socket reports ICMP port unreachable here: nothing listens upstream.
            boolean unreachable = cause instanceof PortUnreachableException
                    || String.valueOf(cause.getMessage()).contains("Connection refused");
            close(unreachable ? AttemptFailure.CONNECT : AttemptFailure.CLOSED,
                    (unreachable ? "port unreachable: " : "socket failed: ") + describe(cause));
        }
    }
}
