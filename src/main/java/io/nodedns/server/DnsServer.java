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
import io.netty.channel.unix.Socket;
import io.netty.channel.unix.UnixChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.nodedns.transport.NettyTransport;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * The DNS listeners: for each address, UDP channels (one per event loop, sharing
 * the port with SO_REUSEPORT so the kernel spreads queries over the loops) and a
 * TCP listener (SO_REUSEPORT too, on epoll); and their orderly stop: stop accepting,
 * answer every query already queued or read, close.
 *
 * <p>SO_REUSEPORT also lets a second nodedns (a rolling update's successor, same user) bind the
 * same addresses while this one runs: the kernel then spreads new datagrams over both processes'
 * sockets. Closing a UDP socket frees the datagrams still in its receive queue, so a stop that
 * just closed would lose the queries the kernel had already given this process. Instead
 * {@link #withdraw} connects each UDP socket to its own address: a connected UDP socket only
 * matches datagrams from its peer, and the kernel's SO_REUSEPORT selection skips connected
 * sockets (Linux commit acdcecc61285, "udp: correct reuseport selection with connected sockets",
 * 5.3), so new queries go to the remaining sockets of the group (the successor's), while the
 * queue keeps what it holds (connect(2) does not purge it). Then the socket sends itself one
 * datagram, queued behind everything else, and the stop reads and answers until that marker.
 * Only a handover withdraws (the caller decides: it knows whether a successor serves): without
 * one, the marker could not even come back in transparent mode, where the rules are gone when the
 * stop begins and kube-proxy sends a datagram to the kube-dns ClusterIP elsewhere, and the drain
 * would wait for it in vain. A stop without a withdrawal stops reading and answers what it read.
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
    /** The UDP channels {@link #withdraw} connected to themselves, whose drain marker stop() waits for. */
    private final Set<Channel> withdrawn = ConcurrentHashMap.newKeySet();
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
                .channelFactory(transport.datagramChannelFactory(address.getAddress()))
                .option(ChannelOption.SO_RCVBUF, 4 * 1024 * 1024)
                .option(ChannelOption.SO_SNDBUF, 4 * 1024 * 1024)
                .handler(new ChannelInitializer<DatagramChannel>() {
                    @Override
                    protected void initChannel(DatagramChannel ch) {
                        UdpQueryHandler.pipelineFor(ch.pipeline(),
                                new UdpQueryHandler(processor, limits.maxUdpSize(), () -> draining));
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
                // A successor binds the same address while this process still serves (a rolling
                // update with maxSurge); the kernel spreads new connections over both listeners.
                .option(transport.isEpoll() ? EpollChannelOption.SO_REUSEPORT : ChannelOption.SO_REUSEADDR, true)
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
     * Takes every UDP socket out of its SO_REUSEPORT group without closing it (see the class
     * comment): connects it to its own address (for a wildcard socket, the loopback address of its
     * family) and sends it the drain marker. Only on epoll (NIO's connect may discard the queue);
     * idempotent. Makes the system calls itself rather than through the event loops, which may be
     * busy: the sockets' reads go on meanwhile and see the marker in order.
     */
    public synchronized void withdraw() {
        if (!transport.isEpoll()) {
            return;
        }
        for (BoundListener listener : bound.values()) {
            for (Channel ch : listener.udp()) {
                withdraw(ch);
            }
        }
    }

    private void withdraw(Channel ch) {
        UdpQueryHandler handler = ch.pipeline().get(UdpQueryHandler.class);
        if (handler == null || !ch.isOpen() || !withdrawn.add(ch)) {
            return;
        }
        InetSocketAddress local = (InetSocketAddress) ch.localAddress();
        InetAddress selfAddress = local.getAddress();
        if (selfAddress.isAnyLocalAddress()) {
            selfAddress = loopback(selfAddress instanceof Inet6Address);
        }
        InetSocketAddress self = new InetSocketAddress(selfAddress, local.getPort());
        handler.expectMarkerFrom(self);   // before the marker can arrive
        // A second Socket object over the channel's descriptor: Netty must not learn the socket is
        // connected, or it would read with recv() and report the peer as every query's sender.
        // This object is never closed; the channel owns the descriptor.
        Socket socket = new Socket(((UnixChannel) ch).fd().intValue());
        try {
            socket.connect(self);
        } catch (IOException e) {
            LOG.warning("cannot withdraw UDP " + local + " from its SO_REUSEPORT group (" + e.getMessage()
                    + "); it stops reading when the drain begins instead");
            handler.expectMarkerFrom(null);
            withdrawn.remove(ch);
            return;
        }
        try {
            ByteBuffer marker = ByteBuffer.allocateDirect(1);
            socket.sendTo(marker, 0, 1, self.getAddress(), self.getPort());
        } catch (IOException e) {
            // Withdrawn, but with no marker the drain waits its whole budget for this socket.
            LOG.warning("cannot send the drain marker to UDP " + local + ": " + e.getMessage());
        }
    }

    /** ::1 or 127.0.0.1, not whichever getLoopbackAddress() prefers. */
    private static InetAddress loopback(boolean ipv6) {
        byte[] address = ipv6 ? new byte[16] : new byte[] {127, 0, 0, 0};
        address[address.length - 1] = 1;
        try {
            return InetAddress.getByAddress(address);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Stops serving: closes the TCP listeners, answers every query already queued in a socket
     * {@link #withdraw} took out of its group before (a handover; until its marker) and stops
     * reading the others and the TCP connections; waits for queries already read to be answered;
     * then closes all channels. All that within {@code drain}. Withdraws nothing itself: see the
     * class comment.
     */
    public void stop(Duration drain) throws InterruptedException {
        draining = true;
        long start = System.nanoTime();
        tcpListeners.close().awaitUninterruptibly();
        List<CompletableFuture<Void>> markers = new ArrayList<>();
        for (Channel ch : udpChannels) {
            UdpQueryHandler handler = ch.pipeline().get(UdpQueryHandler.class);
            if (withdrawn.contains(ch) && handler != null) {
                markers.add(handler.drained());
            } else {
                ch.config().setAutoRead(false);
            }
        }
        for (Channel ch : tcpConnections) {
            ch.config().setAutoRead(false);
        }
        if (!drain.isZero() && !markers.isEmpty()) {
            try {
                CompletableFuture.allOf(markers.toArray(CompletableFuture[]::new))
                        .get(drain.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                LOG.warning("UDP queues not drained after " + drain.toMillis() + " ms; closing");
            } catch (ExecutionException e) {
                throw new IllegalStateException("a drain marker future failed", e);   // never completed exceptionally
            }
        }
        long leftMillis = Math.max(0, drain.toMillis() - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        int left = pending.awaitIdle(leftMillis);
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
