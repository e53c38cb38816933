package io.nodedns.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The UDP sockets the transport opens have the family of their address: an IPv4 listener is an
 * AF_INET socket (listed in /proc/net/udp, not as a mapped address in udp6), on epoll and on NIO.
 * Local addresses as the kernel prints them: the in-kernel 32-bit words in host byte order
 * (little endian here), the port in big-endian hex.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NettyTransportTest {
    private static final String LOOPBACK4 = "0100007F";
    private static final String LOOPBACK4_MAPPED = "0000000000000000FFFF00000100007F";
    private static final String LOOPBACK6 = "00000000000000000000000001000000";
    private static final String ANY4 = "00000000";
    private static final String ANY6 = "00000000000000000000000000000000";

    @ParameterizedTest(name = "epoll={0}")
    @ValueSource(booleans = {true, false})
    void anIpv4AddressGetsAnIpv4SocketThatReceivesAndAnswers(boolean epoll) throws Exception {
        try (NettyTransport transport = NettyTransport.create(1, epoll)) {
            int port = echo(transport, epoll, new InetSocketAddress("127.0.0.1", 0));
            assertTrue(listed("/proc/net/udp", LOOPBACK4, port), "in /proc/net/udp");
            assertFalse(listed("/proc/net/udp6", LOOPBACK4_MAPPED, port), "not mapped in /proc/net/udp6");
            assertEquals("ping", ping("127.0.0.1", port));
        }
    }

    @ParameterizedTest(name = "epoll={0}")
    @ValueSource(booleans = {true, false})
    void anIpv6AddressKeepsAnIpv6Socket(boolean epoll) throws Exception {
        try (NettyTransport transport = NettyTransport.create(1, epoll)) {
            int port = echo(transport, epoll, new InetSocketAddress("::1", 0));
            assertTrue(listed("/proc/net/udp6", LOOPBACK6, port), "in /proc/net/udp6");
            assertEquals("ping", ping("::1", port));
        }
    }

    /** A block without {@code bind} listens on the wildcard, and is asked over IPv6 too. */
    @ParameterizedTest(name = "epoll={0}")
    @ValueSource(booleans = {true, false})
    void theIpv4WildcardStaysDualStackAndReceivesIpv6(boolean epoll) throws Exception {
        try (NettyTransport transport = NettyTransport.create(1, epoll)) {
            int port = echo(transport, epoll, new InetSocketAddress("0.0.0.0", 0));
            assertTrue(listed("/proc/net/udp6", ANY6, port), ":: in /proc/net/udp6");
            assertFalse(listed("/proc/net/udp", ANY4, port), "not 0.0.0.0 in /proc/net/udp");
            assertEquals("ping", ping("::1", port));
            assertEquals("ping", ping("127.0.0.1", port));
        }
    }

    /** Sends "ping" from a new socket on {@code server}'s loopback to the echo and returns what came back. */
    private static String ping(String server, int port) throws IOException {
        InetAddress address = InetAddress.getByName(server);
        try (DatagramSocket client = new DatagramSocket(new InetSocketAddress(address, 0))) {
            client.setSoTimeout(5000);
            byte[] ping = "ping".getBytes(StandardCharsets.US_ASCII);
            client.send(new java.net.DatagramPacket(ping, ping.length, address, port));
            java.net.DatagramPacket echo = new java.net.DatagramPacket(new byte[16], 16);
            client.receive(echo);
            return new String(echo.getData(), 0, echo.getLength(), StandardCharsets.US_ASCII);
        }
    }

    /**
     * Binds a channel of the transport's factory for {@code address} that echoes each datagram, and
     * returns its port. The channel closes with the transport (its event loop closes it on shutdown).
     */
    private static int echo(NettyTransport transport, boolean epoll, InetSocketAddress address) {
        assertEquals(epoll, transport.isEpoll(), "the transport asked for (epoll is there on this machine)");
        Channel channel = new Bootstrap()
                .group(transport.group())
                .channelFactory(transport.datagramChannelFactory(address.getAddress()))
                .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
                        ctx.writeAndFlush(new DatagramPacket(packet.content().retain(), packet.sender()));
                    }
                })
                .bind(address).syncUninterruptibly().channel();
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    /** True if the kernel's {@code table} lists a socket bound to this local address (hex) and port. */
    private static boolean listed(String table, String hexAddress, int port) throws IOException {
        String local = hexAddress + String.format(":%04X", port);
        for (String line : Files.readAllLines(Path.of(table))) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length > 1 && fields[1].equals(local)) {
                return true;
            }
        }
        return false;
    }
}
