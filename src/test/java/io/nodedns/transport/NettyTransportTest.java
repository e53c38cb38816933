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
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The UDP sockets the transport opens have the family of their address: an IPv4 listener is an
 * AF_INET socket (listed in /proc/net/udp, not udp6), as the kernel shows it, on epoll and on NIO.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NettyTransportTest {

    @ParameterizedTest(name = "epoll={0}")
    @ValueSource(booleans = {true, false})
    void anIpv4AddressGetsAnIpv4SocketThatReceivesAndAnswers(boolean epoll) throws Exception {
        try (NettyTransport transport = NettyTransport.create(1, epoll)) {
            CompletableFuture<InetSocketAddress> sender = new CompletableFuture<>();
            Channel channel = bind(transport, new InetSocketAddress("127.0.0.1", 0), sender);
            try {
                int port = ((InetSocketAddress) channel.localAddress()).getPort();
                assertTrue(listed("/proc/net/udp", port), "in /proc/net/udp");
                assertFalse(listed("/proc/net/udp6", port), "not in /proc/net/udp6");

                try (DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
                    assertEquals("ping", ping(client, InetAddress.getByName("127.0.0.1"), port));
                    InetSocketAddress seen = sender.get(5, TimeUnit.SECONDS);
                    assertTrue(seen.getAddress() instanceof Inet4Address, "sender as an IPv4 address: " + seen);
                    assertEquals(client.getLocalPort(), seen.getPort());
                }
            } finally {
                channel.close().syncUninterruptibly();
            }
        }
    }

    @ParameterizedTest(name = "epoll={0}")
    @ValueSource(booleans = {true, false})
    void anIpv6AddressKeepsAnIpv6Socket(boolean epoll) throws Exception {
        try (NettyTransport transport = NettyTransport.create(1, epoll)) {
            Channel channel = bind(transport, new InetSocketAddress("::1", 0), new CompletableFuture<>());
            try {
                int port = ((InetSocketAddress) channel.localAddress()).getPort();
                assertTrue(listed("/proc/net/udp6", port), "in /proc/net/udp6");
                assertFalse(listed("/proc/net/udp", port), "not in /proc/net/udp");
            } finally {
                channel.close().syncUninterruptibly();
            }
        }
    }

    /** A block without {@code bind} listens on the wildcard, and is asked over IPv6 too. */
    @ParameterizedTest(name = "epoll={0}")
    @ValueSource(booleans = {true, false})
    void theIpv4WildcardStaysDualStackAndReceivesIpv6(boolean epoll) throws Exception {
        try (NettyTransport transport = NettyTransport.create(1, epoll)) {
            CompletableFuture<InetSocketAddress> sender = new CompletableFuture<>();
            Channel channel = bind(transport, new InetSocketAddress("0.0.0.0", 0), sender);
            try {
                int port = ((InetSocketAddress) channel.localAddress()).getPort();
                assertTrue(listed("/proc/net/udp6", port), "in /proc/net/udp6");
                try (DatagramSocket client = new DatagramSocket(new InetSocketAddress("::1", 0))) {
                    assertEquals("ping", ping(client, InetAddress.getByName("::1"), port));
                }
                try (DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
                    assertEquals("ping", ping(client, InetAddress.getByName("127.0.0.1"), port));
                }
            } finally {
                channel.close().syncUninterruptibly();
            }
        }
    }

    /** Sends "ping" to the echoing channel and returns what came back. */
    private static String ping(DatagramSocket client, InetAddress server, int port) throws IOException {
        client.setSoTimeout(5000);
        byte[] ping = "ping".getBytes(StandardCharsets.US_ASCII);
        client.send(new java.net.DatagramPacket(ping, ping.length, server, port));
        java.net.DatagramPacket echo = new java.net.DatagramPacket(new byte[16], 16);
        client.receive(echo);
        return new String(echo.getData(), 0, echo.getLength(), StandardCharsets.US_ASCII);
    }

    /** A channel that echoes each datagram and reports its first sender. */
    private static Channel bind(NettyTransport transport, InetSocketAddress address,
                                CompletableFuture<InetSocketAddress> sender) {
        return new Bootstrap()
                .group(transport.group())
                .channelFactory(transport.datagramChannelFactory(address.getAddress()))
                .handler(new SimpleChannelInboundHandler<DatagramPacket>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
                        sender.complete(packet.sender());
                        ctx.writeAndFlush(new DatagramPacket(packet.content().retain(), packet.sender()));
                    }
                })
                .bind(address).syncUninterruptibly().channel();
    }

    /** True if a socket bound to this local port is listed in the kernel's table (ports in hex). */
    private static boolean listed(String table, int port) throws IOException {
        String hexPort = String.format(":%04X", port);
        for (String line : Files.readAllLines(Path.of(table))) {
            String[] fields = line.trim().split("\\s+");
            if (fields.length > 1 && fields[1].endsWith(hexPort)) {
                return true;
            }
        }
        return false;
    }
}
