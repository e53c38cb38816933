package io.nodedns.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.timeout.IdleStateEvent;
import io.nodedns.cache.CachedAnswer;
import io.nodedns.wire.DnsWire;
import io.nodedns.wire.ParsedQuery;
import io.nodedns.wire.ResponseWriter;
import java.io.IOException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Serves DNS over one TCP connection, after a frame decoder has split the
 * two-byte length prefixes (RFC 1035 §4.2.2). Queries are answered as they
 * complete, possibly out of order (RFC 7766 §6.2.1.1). The connection stays open
 * until the client closes it, stays idle too long with nothing pending, sends a
 * frame that is not a query, or half-closes and has had every pending query
 * answered (RFC 7766 §6.2.3). Reading pauses while too many queries are pending,
 * while the client is not reading its answers (the channel is not writable), and
 * for good once the server is draining.
 *
 * <p>State is confined to the connection's event loop; answers computed on other
 * threads are handed to it.
 */
final class TcpQueryHandler extends ChannelInboundHandlerAdapter implements Responder {
    private static final Logger LOG = Logger.getLogger(TcpQueryHandler.class.getName());
    /** Pending queries at which reading pauses. */
    static final int PAUSE_AT = 128;

    private final QueryProcessor processor;
    private final java.util.function.BooleanSupplier draining;
    private final ParsedQuery scratch = new ParsedQuery();
    private ChannelHandlerContext ctx;
    private int pending;
    private boolean inputClosed;
    private boolean reading;
    private boolean needsFlush;
    /** Whether the client is IPv6 (CoreDNS's family label 2); set when the handler is added. */
    private boolean ipv6Client;

    /** @param draining true once the server stops taking queries; reading then never resumes */
    TcpQueryHandler(QueryProcessor processor, java.util.function.BooleanSupplier draining) {
        this.processor = processor;
        this.draining = draining;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        java.net.SocketAddress remote = ctx.channel().remoteAddress();
        ipv6Client = remote instanceof java.net.InetSocketAddress
                && ((java.net.InetSocketAddress) remote).getAddress() instanceof java.net.Inet6Address;
    }

    /** Takes ownership of the frame and releases it before returning. */
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        if (draining.getAsBoolean()) {
            // Read after stop began (autoRead off still allows one pending read): not taken.
            frame.release();
            ctx.channel().config().setAutoRead(false);
            return;
        }
        reading = true;
        pending++;
        boolean keep;
        try {
            keep = processor.process(frame, scratch, this, null, true, ipv6Client, ctx.alloc());
        } finally {
            frame.release();
        }
        if (!keep) {
            pending--;
            processor.counters().tcpRejected.increment();
            ctx.close();
            return;
        }
        updateReading();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        updateReading();
        ctx.fireChannelWritabilityChanged();
    }

    /** Reads only while it can keep up: few pending queries, a client that reads its answers, not draining. */
    private void updateReading() {
        boolean read = !inputClosed && pending < PAUSE_AT && ctx.channel().isWritable() && !draining.getAsBoolean();
        if (ctx.channel().config().isAutoRead() != read) {
            ctx.channel().config().setAutoRead(read);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        reading = false;
        flushIfNeeded();
    }

    @Override
    public void answer(ParsedQuery query, Object client, CachedAnswer answer, long ageSeconds, boolean fromCache) {
        if (!ctx.executor().inEventLoop()) {
            ctx.executor().execute(() -> answer(query, client, answer, ageSeconds, fromCache));
            return;
        }
        ByteBuf out = ctx.alloc().ioBuffer(2 + answer.template().length() + DnsWire.OPT_RECORD_LENGTH);
        try {
            out.writeShort(0);
            ResponseWriter.writeAnswer(out, answer.template(), answer.lifetimeSeconds(), ageSeconds, fromCache,
                    query, DnsWire.MAX_MESSAGE_LENGTH);
        } catch (RuntimeException e) {
            out.release();
            answered();
            throw e;
        }
        send(out);
    }

    @Override
    public void error(ParsedQuery query, Object client, int rcode) {
        if (!ctx.executor().inEventLoop()) {
            ctx.executor().execute(() -> error(query, client, rcode));
            return;
        }
        ByteBuf out = ctx.alloc().ioBuffer(2 + ResponseWriter.maxErrorLength(query));
        try {
            out.writeShort(0);
            ResponseWriter.writeError(out, query, rcode);
        } catch (RuntimeException e) {
            out.release();
            answered();
            throw e;
        }
        send(out);
    }

    /** Takes ownership of {@code out}, whose first two bytes are the length prefix to fill in. */
    private void send(ByteBuf out) {
        out.setShort(out.readerIndex(), out.readableBytes() - 2);
        if (!ctx.channel().isActive()) {
            out.release();
            answered();
            return;
        }
        ctx.write(out, ctx.voidPromise());
        needsFlush = true;
        if (!reading) {
            flushIfNeeded();
        }
        answered();
    }

    /** One pending query got its answer (or lost its connection). */
    private void answered() {
        pending--;
        if (ctx.channel().isActive()) {
            updateReading();
            closeIfDone();
        }
    }

    private void flushIfNeeded() {
        if (needsFlush) {
            needsFlush = false;
            ctx.flush();
        }
    }

    /** After a half-close, the connection ends once every pending query is answered. */
    private void closeIfDone() {
        if (inputClosed && pending == 0) {
            flushIfNeeded();
            ctx.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            inputClosed = true;
            closeIfDone();
        } else if (evt instanceof IdleStateEvent) {
            if (pending == 0) {
                ctx.close();
            }
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof DecoderException) {
            // An oversized or undecodable frame: this connection is beyond repair, the others are not.
            processor.counters().tcpRejected.increment();
            LOG.log(Level.FINE, "closing TCP connection from " + ctx.channel().remoteAddress(), cause);
        } else if (!(cause instanceof IOException)) {
            LOG.log(Level.WARNING, "TCP connection from " + ctx.channel().remoteAddress() + " failed", cause);
        }
        ctx.close();
    }
}
