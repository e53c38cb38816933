package io.nodedns.transport;

import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.InternetProtocolFamily;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * The event loops and channel types nodedns runs on: native epoll where the
 * platform has it, otherwise NIO with a warning (NIO has no SO_REUSEPORT and no
 * recvmmsg, so one UDP channel per address serves every loop).
 *
 * <p>One instance is created by the application and shared by the listeners and
 * the upstream connections, so a cache miss and its upstream I/O usually run on
 * the same thread. {@link #close()} shuts the loops down.
 */
public final class NettyTransport implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(NettyTransport.class.getName());

    private final EventLoopGroup group;
    private final boolean epoll;
    private final int threads;

    private NettyTransport(EventLoopGroup group, boolean epoll, int threads) {
        this.group = group;
        this.epoll = epoll;
        this.threads = threads;
    }

    /**
     * Creates a transport with {@code threads} event loops, epoll if available.
     *
     * @param threads event loop threads, at least 1; usually the number of usable cores
     * @param preferEpoll false forces NIO (tests of the fallback path)
     */
    public static NettyTransport create(int threads, boolean preferEpoll) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        DefaultThreadFactory factory = new DefaultThreadFactory("nodedns-io", true);
        if (preferEpoll && Epoll.isAvailable()) {
            return new NettyTransport(new EpollEventLoopGroup(threads, factory), true, threads);
        }
        if (preferEpoll) {
            LOG.warning("native epoll unavailable, falling back to NIO (no SO_REUSEPORT, no recvmmsg): "
                    + Epoll.unavailabilityCause());
        }
        return new NettyTransport(new NioEventLoopGroup(threads, factory), false, threads);
    }

    /** Epoll transport with one loop per usable core (NIO fallback). */
    public static NettyTransport createDefault() {
        return create(Runtime.getRuntime().availableProcessors(), true);
    }

    public EventLoopGroup group() {
        return group;
    }

    /** True when running on native epoll (SO_REUSEPORT and recvmmsg available). */
    public boolean isEpoll() {
        return epoll;
    }

    /** Number of event loop threads in {@link #group()}. */
    public int threads() {
        return threads;
    }

    /**
     * Makes the UDP channels for sockets bound or connected to {@code address}: for an IPv4 address
     * an IPv4 (AF_INET) socket. Netty's default is a dual-stack IPv6 socket even then, bound to the
     * mapped {@code ::ffff:a.b.c.d}; every datagram of such a socket passes the IPv6 layer in front
     * of the IPv4 one ({@code udpv6_sendmsg} before {@code udp_sendmsg}) and every address is
     * converted from its mapped form on the way in and out. The IPv4 socket skips that work; what it
     * saves per cached answer is below this machine's noise (benchmarks/RESULTS.md, "IPv4 sockets for
     * IPv4 addresses": 18 interleaved rounds, no settled difference). IPv6, wildcard and unresolved
     * addresses keep Netty's default dual-stack socket: it binds 0.0.0.0 as {@code ::}, which takes
     * IPv6 as well (a block without {@code bind} serves every address).
     */
    public ChannelFactory<DatagramChannel> datagramChannelFactory(InetAddress address) {
        boolean ipv4 = address instanceof Inet4Address && !address.isAnyLocalAddress();
        if (epoll) {
            return () -> ipv4 ? new EpollDatagramChannel(InternetProtocolFamily.IPv4) : new EpollDatagramChannel();
        }
        return () -> ipv4 ? new NioDatagramChannel(InternetProtocolFamily.IPv4) : new NioDatagramChannel();
    }

    public Class<? extends SocketChannel> socketChannelClass() {
        return epoll ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    public Class<? extends ServerSocketChannel> serverSocketChannelClass() {
        return epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    /** Shuts the event loops down, waiting up to two seconds for them to finish. */
    @Override
    public void close() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
