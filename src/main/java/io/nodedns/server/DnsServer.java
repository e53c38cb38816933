package io.nodedns.server;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.nodedns.transport.NettyTransport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * The DNS listeners: for each address, UDP channels (one per event loop, sharing
 * the port with SO_REUSEPORT so the kernel spreads queries over the loops) and a
 * TCP listener; and their orderly stop: stop accepting and reading, answer what
 * was already read, close.
 */
public final class DnsServer {
    private static final Logger LOG = Logger.getLogger(DnsServer.class.getName());
    /** Largest query datagram read; recvmmsg reads up to {@link #UDP_BATCH} of them per call. */
    private static final int MAX_QUERY_DATAGRAM = 2048;
    private static final int UDP_BATCH = 32;

    /** One listening address and the zones it serves. */
    public record Listener(InetSocketAddress address, ZoneRouter router) {}

    /**
     * Resource limits of the listeners.
     *
     * @param maxUdpSize largest UDP answer we send, and our advertised EDNS size
     * @param maxTcpConnections open TCP client connections over all listeners
     * @param tcpIdleTimeout a TCP connection with nothing pending is closed after this
     * @param maxTcpQuery a TCP frame announcing more bytes than this closes the connection
     */
    public record Limits(int maxUdpSize, int maxTcpConnections, Duration tcpIdleTimeout, int maxTcpQuery) {
        public static Limits defaults() {
            return new Limits(1232, 4096, Duration.ofSeconds(10), 4096);
        }
    }

    private final NettyTransport transport;
    private final List<Listener> listeners;
    private final Limits limits;
    private final QueryCounters counters;
    private final PendingQueries pending;
    private final ChannelGroup udpChannels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final ChannelGroup tcpListeners = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final ChannelGroup tcpConnections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final AtomicInteger openTcpConnections = new AtomicInteger();
    private final List<InetSocketAddress> boundAddresses = new ArrayList<>();

    public DnsServer(NettyTransport transport, List<Listener> listeners, Limits limits, QueryCounters counters,
                     PendingQueries pending) {
        this.transport = transport;
        this.listeners = List.copyOf(listeners);
        this.limits = limits;
        this.counters = counters;
        this.pending = pending;
    }

    /**
     * Binds every listener. On failure, closes what was bound and throws an
     * exception naming the address.
     */
    public void start() throws IOException {
        try {
            for (Listener listener : listeners) {
                QueryProcessor processor = new QueryProcessor(listener.router(), counters);
                InetSocketAddress bound = bindUdp(listener.address(), processor);
                bindTcp(bound, processor);
                boundAddresses.add(bound);
            }
        } catch (IOException | RuntimeException e) {
            closeAll();
            throw e;
        }
    }

    /** The addresses actually bound, in listener order (ports resolved when 0 was asked for). */
    public List<InetSocketAddress> boundAddresses() {
        return List.copyOf(boundAddresses);
    }

    public int openTcpConnections() {
        return openTcpConnections.get();
    }

    private InetSocketAddress bindUdp(InetSocketAddress address, QueryProcessor processor) throws IOException {
        Bootstrap bootstrap = new Bootstrap()
                .group(transport.group())
                .channel(transport.datagramChannelClass())
                .option(ChannelOption.SO_RCVBUF, 4 * 1024 * 1024)
                .option(ChannelOption.SO_SNDBUF, 4 * 1024 * 1024)
                .handler(new ChannelInitializer<DatagramChannel>() {
                    @Override
                    protected void initChannel(DatagramChannel ch) {
                        ch.pipeline().addLast(new UdpQueryHandler(processor, limits.maxUdpSize()));
                    }
                });
        int channels = 1;
        if (transport.isEpoll()) {
            channels = transport.threads();
            bootstrap.option(EpollChannelOption.SO_REUSEPORT, true)
                    .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, MAX_QUERY_DATAGRAM)
                    .option(ChannelOption.RCVBUF_ALLOCATOR,
                            new FixedRecvByteBufAllocator(MAX_QUERY_DATAGRAM * UDP_BATCH));
        } else {
            bootstrap.option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(MAX_QUERY_DATAGRAM));
        }
        InetSocketAddress bound = address;
        for (int i = 0; i < channels; i++) {
            Channel ch = bind(bootstrap.bind(bound), "udp", bound);
            udpChannels.add(ch);
            bound = (InetSocketAddress) ch.localAddress();
        }
        return bound;
    }

    private void bindTcp(InetSocketAddress address, QueryProcessor processor) throws IOException {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(transport.group())
                .channel(transport.serverSocketChannelClass())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (openTcpConnections.incrementAndGet() > limits.maxTcpConnections()) {
                            openTcpConnections.decrementAndGet();
                            counters.tcpRejected.increment();
                            ch.close();
                            return;
                        }
                        ch.closeFuture().addListener(f -> openTcpConnections.decrementAndGet());
                        tcpConnections.add(ch);
                        long idle = limits.tcpIdleTimeout().toMillis();
                        ch.pipeline().addLast(
                                new IdleStateHandler(0, 0, idle, TimeUnit.MILLISECONDS),
                                new LengthFieldBasedFrameDecoder(2 + limits.maxTcpQuery(), 0, 2, 0, 2, true),
                                new TcpQueryHandler(processor));
                    }
                });
        tcpListeners.add(bind(bootstrap.bind(address), "tcp", address));
    }

    private static Channel bind(io.netty.channel.ChannelFuture future, String proto, InetSocketAddress address)
            throws IOException {
        future.awaitUninterruptibly();
        if (!future.isSuccess()) {
            throw new IOException("cannot listen on " + proto + " " + address + ": " + future.cause().getMessage(),
                    future.cause());
        }
        return future.channel();
    }

    /**
     * Stops serving: closes the TCP listeners, stops reading from every socket,
     * waits up to {@code drain} for queries already read to be answered, then
     * closes all channels.
     */
    public void stop(Duration drain) throws InterruptedException {
        tcpListeners.close().awaitUninterruptibly();
        for (Channel ch : udpChannels) {
            ch.config().setAutoRead(false);
        }
        for (Channel ch : tcpConnections) {
            ch.config().setAutoRead(false);
        }
        int left = pending.awaitIdle(drain.toMillis());
        if (left > 0) {
            LOG.warning(left + " queries still waiting for upstream after " + drain.toMillis() + " ms; closing");
        }
        closeAll();
    }

    private void closeAll() {
        tcpListeners.close().awaitUninterruptibly();
        udpChannels.close().awaitUninterruptibly();
        tcpConnections.close().awaitUninterruptibly();
    }
}
