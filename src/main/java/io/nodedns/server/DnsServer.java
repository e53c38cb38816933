package io.nodedns.server;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
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
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
     * @param tcpIdleTimeout a TCP connection with nothing pending and no complete query or answer for
     *     this long is closed
     * @param maxTcpQuery a TCP frame announcing more bytes than this closes the connection
     */
    public record Limits(int maxUdpSize, int maxTcpConnections, Duration tcpIdleTimeout, int maxTcpQuery) {
        public static Limits defaults() {
            return new Limits(1232, 4096, Duration.ofSeconds(10), 4096);
        }
    }

    private final NettyTransport transport;
    private final Limits limits;
    private final QueryCounters counters;
    private final PendingQueries pending;
    private final ChannelGroup udpChannels = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final ChannelGroup tcpListeners = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final ChannelGroup tcpConnections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    private final AtomicInteger openTcpConnections = new AtomicInteger();
    /** Set when stop() begins; TCP connections then never resume reading. */
    private volatile boolean draining;
    /** The listeners until {@link #start()}: what it binds. */
    private final List<Listener> initial;
    /**
     * The bound listeners by the address they were asked for, in configuration order. Replaced
     * whole (copy on write) by {@link #reconfigure}, so readers on other threads see a consistent list.
     */
    private volatile Map<InetSocketAddress, BoundListener> bound = Map.of();

    /**
     * One bound listener: its sockets, the TCP connections it accepted, and the processor whose
     * router a reload swaps.
     */
    private record BoundListener(InetSocketAddress local, QueryProcessor processor, List<Channel> udp, Channel tcp,
                                 ChannelGroup connections) {}

    /**
     * How long TCP connections accepted on an address a reload removed may go on (answering what
     * they already read, with the old configuration) before they are closed.
     */
    static final Duration RETIRED_CONNECTIONS_GRACE = Duration.ofSeconds(5);

    public DnsServer(NettyTransport transport, List<Listener> listeners, Limits limits, QueryCounters counters,
                     PendingQueries pending) {
        this.transport = transport;
        this.initial = List.copyOf(listeners);
        this.limits = limits;
        this.counters = counters;
        this.pending = pending;
    }

    /**
     * Binds every listener. On failure, closes what was bound and throws an
     * exception naming the address.
     */
    public synchronized void start() throws IOException {
        Map<InetSocketAddress, BoundListener> opened = bindAll(initial);
        bound = Collections.unmodifiableMap(opened);
    }

    /**
     * Serves {@code next} from now on, without dropping a query on an address that stays: a
     * listener whose address is in both configurations keeps its sockets (and the queries in
     * their buffers) and only switches to the new router; new addresses are bound first, and if
     * one cannot be, nothing changes and the exception names it; listeners whose address is gone
     * are closed last (their accepted TCP connections finish with the old router).
     */
    public synchronized void reconfigure(List<Listener> next) throws IOException {
        Map<InetSocketAddress, BoundListener> current = bound;
        List<Listener> added = new ArrayList<>();
        for (Listener listener : next) {
            if (!current.containsKey(listener.address())) {
                added.add(listener);
            }
        }
        Map<InetSocketAddress, BoundListener> opened = bindAll(added);
        Map<InetSocketAddress, BoundListener> updated = new LinkedHashMap<>();
        for (Listener listener : next) {
            BoundListener kept = current.get(listener.address());
            if (kept != null) {
                kept.processor().router(listener.router());
                updated.put(listener.address(), kept);
            } else {
                updated.put(listener.address(), opened.get(listener.address()));
            }
        }
        bound = Collections.unmodifiableMap(updated);
        for (Map.Entry<InetSocketAddress, BoundListener> e : current.entrySet()) {
            if (!updated.containsKey(e.getKey())) {
                LOG.info("no longer listening on " + e.getValue().local());
                close(e.getValue());
            }
        }
    }

    /** Binds {@code listeners}; on failure closes those it bound and rethrows. */
    private Map<InetSocketAddress, BoundListener> bindAll(List<Listener> listeners) throws IOException {
        Map<InetSocketAddress, BoundListener> opened = new LinkedHashMap<>();
        try {
            for (Listener listener : listeners) {
                opened.put(listener.address(), bind(listener));
            }
        } catch (IOException | RuntimeException e) {
            opened.values().forEach(this::close);
            throw e;
        }
        return opened;
    }

    private void close(BoundListener listener) {
        listener.tcp().close().awaitUninterruptibly();
        tcpListeners.remove(listener.tcp());
        closeUdp(listener.udp());
        // A client keeping a connection busy would otherwise be served by the removed address's
        // old configuration for ever, though its forwarders close after the drain.
        GlobalEventExecutor.INSTANCE.schedule(() -> listener.connections().close(),
                RETIRED_CONNECTIONS_GRACE.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void closeUdp(List<Channel> channels) {
        for (Channel ch : channels) {
            ch.close().awaitUninterruptibly();
            udpChannels.remove(ch);
        }
    }

    /**
     * Binds one listener's UDP channels, then TCP on the same port. With port 0 the
     * kernel picks the UDP port, which may be taken for TCP: then it tries again.
     */
    private BoundListener bind(Listener listener) throws IOException {
        QueryProcessor processor = new QueryProcessor(listener.router(), counters);
        int tries = listener.address().getPort() == 0 ? 5 : 1;
        for (int attempt = 1; ; attempt++) {
            List<Channel> udp = new ArrayList<>();
            InetSocketAddress local = bindUdp(listener.address(), processor, udp);
            try {
                ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
                Channel tcp = bindTcp(local, processor, connections);
                return new BoundListener(local, processor, List.copyOf(udp), tcp, connections);
            } catch (IOException e) {
                closeUdp(udp);
                if (attempt >= tries) {
                    throw e;
                }
            }
        }
    }

    /** The addresses actually bound, in listener order (ports resolved when 0 was asked for). */
    public List<InetSocketAddress> boundAddresses() {
        List<InetSocketAddress> out = new ArrayList<>();
        for (BoundListener listener : bound.values()) {
            out.add(listener.local());
        }
        return out;
    }

    /**
     * The bound listeners in configuration order, each with the address actually bound (port
     * resolved) and the router serving it now.
     */
    public List<Listener> listeners() {
        List<Listener> out = new ArrayList<>();
        for (BoundListener listener : bound.values()) {
            out.add(new Listener(listener.local(), listener.processor().router()));
        }
        return out;
    }

    public int openTcpConnections() {
        return openTcpConnections.get();
    }

    private InetSocketAddress bindUdp(InetSocketAddress address, QueryProcessor processor, List<Channel> bound)
            throws IOException {
        Bootstrap bootstrap = new Bootstrap()
                .group(transport.group())
                .channel(transport.datagramChannelClass())
                .option(ChannelOption.SO_RCVBUF, 4 * 1024 * 1024)
                .option(ChannelOption.SO_SNDBUF, 4 * 1024 * 1024)
                .handler(new ChannelInitializer<DatagramChannel>() {
                    @Override
                    protected void initChannel(DatagramChannel ch) {
                        ch.pipeline().addLast(new UdpQueryHandler(processor, limits.maxUdpSize(), () -> draining));
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
        InetSocketAddress local = address;
        try {
            for (int i = 0; i < channels; i++) {
                Channel ch = bind(bootstrap.bind(local), "udp", local);
                udpChannels.add(ch);
                bound.add(ch);
                local = (InetSocketAddress) ch.localAddress();
            }
        } catch (IOException | RuntimeException e) {
            // The channels bound before the failure would otherwise stay open, serving an address
            // this server reports as not bound (a refused reload would leave them answering).
            closeUdp(bound);
            throw e;
        }
        return local;
    }

    private Channel bindTcp(InetSocketAddress address, QueryProcessor processor, ChannelGroup connections)
            throws IOException {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(transport.group())
                .channel(transport.serverSocketChannelClass())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                // A client that does not read its answers makes the channel unwritable past 64 KiB
                // queued, and the handler stops reading its queries until it catches up.
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(16 * 1024, 64 * 1024))
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
                        connections.add(ch);
                        long idle = limits.tcpIdleTimeout().toMillis();
                        // The idle timer sits behind the frame decoder, so only whole queries (and
                        // answers) count as activity: a client trickling bytes is closed on time.
                        ch.pipeline().addLast(
                                new LengthFieldBasedFrameDecoder(2 + limits.maxTcpQuery(), 0, 2, 0, 2, true),
                                new IdleStateHandler(0, 0, idle, TimeUnit.MILLISECONDS),
                                new TcpQueryHandler(processor, () -> draining));
                    }
                });
        Channel listener = bind(bootstrap.bind(address), "tcp", address);
        tcpListeners.add(listener);
        return listener;
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
        draining = true;
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
