package io.nodedns.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.nodedns.cache.CachedAnswer;
import io.nodedns.wire.DnsWire;
import io.nodedns.wire.ParsedQuery;
import io.nodedns.wire.ResponseWriter;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Serves DNS over one UDP channel. Not sharable: it owns the channel's parse
 * scratch space. Every answer is written with a flush; the {@link FlushConsolidationHandler} in
 * front of it ({@link #pipelineFor}) turns the flushes of one event-loop turn into one: answers
 * written while a batch of queries is read (cache hits) go out when the batch is done, answers to
 * misses (written while an upstream connection reads its batch of responses) once that turn ends.
 * The epoll transport sends each such run of datagrams with one sendmmsg.
 */
final class UdpQueryHandler extends ChannelInboundHandlerAdapter implements Responder {
    private static final Logger LOG = Logger.getLogger(UdpQueryHandler.class.getName());
    /** Answers per sendmmsg at most: Netty's epoll sends up to IOV_MAX (1024) datagrams per call. */
    static final int FLUSHES_PER_SEND = 256;

    private final QueryProcessor processor;
    private final int maxUdpSize;
    private final BooleanSupplier draining;
    private final ParsedQuery scratch = new ParsedQuery();
    private Channel channel;
    /**
     * Set by {@link DnsServer#withdraw} before it connects the socket to this address (itself) and
     * sends it one datagram: the drain marker. The socket's receive queue is FIFO and, connected,
     * it takes datagrams from that address only; so once the marker is read, every query queued
     * before the withdrawal has been read too.
     */
    private volatile InetSocketAddress markerFrom;
    private final CompletableFuture<Void> drained = new CompletableFuture<>();

    /**
     * @param maxUdpSize the most this server sends over UDP (RFC 6891 §6.2.5), at least 512
     * @param draining true once the server stops taking queries: unless the channel was withdrawn
     *     ({@link #expectMarkerFrom}), datagrams read after that are dropped (the client's retry
     *     goes to whoever serves next); a withdrawn channel answers every query until its marker
     */
    UdpQueryHandler(QueryProcessor processor, int maxUdpSize, BooleanSupplier draining) {
        this.processor = processor;
        this.maxUdpSize = maxUdpSize;
        this.draining = draining;
    }

    /**
     * The handlers of a UDP listener channel: flush consolidation, then this handler. Up to
     * {@link #FLUSHES_PER_SEND} answers share one flush; the consolidation handler also flushes at
     * the end of every read batch and, outside reads, once per event-loop turn.
     */
    static void pipelineFor(ChannelPipeline pipeline, UdpQueryHandler handler) {
        pipeline.addLast(new FlushConsolidationHandler(FLUSHES_PER_SEND, true), handler);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
    }

    /** The next datagram from {@code sender} is the drain marker; see {@link #drained}. */
    void expectMarkerFrom(InetSocketAddress sender) {
        markerFrom = sender;
    }

    /** Completes when the drain marker is read: nothing queued before the withdrawal is left unread. */
    CompletableFuture<Void> drained() {
        return drained;
    }

    /** Takes ownership of the datagram and releases it before returning. */
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof DatagramPacket)) {
            ctx.fireChannelRead(msg);
            return;
        }
        DatagramPacket packet = (DatagramPacket) msg;
        InetSocketAddress marker = markerFrom;
        if (marker != null && marker.equals(packet.sender())) {
            packet.release();
            drained.complete(null);
            return;
        }
        if (marker == null && draining.getAsBoolean()) {
            packet.release();
            return;
        }
        try {
            InetSocketAddress sender = packet.sender();
            boolean ipv6 = sender != null && sender.getAddress() instanceof java.net.Inet6Address;
            processor.process(packet.content(), scratch, this, sender, false, ipv6, ctx.alloc());
        } finally {
            packet.release();
        }
    }

    @Override
    public void answer(ParsedQuery query, Object client, CachedAnswer answer, long ageSeconds, boolean fromCache) {
        int limit = sizeLimit(query);
        ByteBuf out = channel.alloc().ioBuffer(Math.min(limit, answer.template().length() + DnsWire.OPT_RECORD_LENGTH));
        boolean complete;
        try {
            complete = ResponseWriter.writeAnswer(out, answer.template(), answer.lifetimeSeconds(), ageSeconds,
                    fromCache, query, limit);
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
        if (!complete) {
            processor.counters().truncated.increment();
        }
        send(out, client);
    }

    @Override
    public void error(ParsedQuery query, Object client, int rcode) {
        ByteBuf out = channel.alloc().ioBuffer(ResponseWriter.maxErrorLength(query));
        ResponseWriter.writeError(out, query, rcode);
        send(out, client);
    }

    /**
     * The largest answer this client takes over UDP: 512 without EDNS, else its
     * advertised size capped by ours (RFC 6891 §6.2.3-6.2.5).
     */
    private int sizeLimit(ParsedQuery query) {
        return query.edns() ? Math.min(query.ednsUdpSize(), maxUdpSize) : DnsWire.CLASSIC_UDP_LIMIT;
    }

    /** Takes ownership of {@code out}. */
    private void send(ByteBuf out, Object client) {
        channel.writeAndFlush(new DatagramPacket(out, (InetSocketAddress) client), channel.voidPromise());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // Nothing here closes the listener. A failed send (an ICMP-triggered ECONNREFUSED from a
        // client that went away) is routine; anything else is a bug worth a line in the log.
        if (cause instanceof java.io.IOException) {
            LOG.log(Level.FINE, "UDP send failed on " + ctx.channel().localAddress(), cause);
        } else {
            LOG.log(Level.WARNING, "UDP listener " + ctx.channel().localAddress() + " failed on a query", cause);
        }
    }
}
