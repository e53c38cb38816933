package io.nodedns.metrics;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Serves {@code GET /metrics} from a {@link PrometheusMeterRegistry} over HTTP/1.1 on one or more
 * addresses, on its own event loop thread so a scrape never delays DNS answers.
 *
 * <p>Exposition format by the request's {@code Accept} header, as Prometheus negotiates it: the
 * OpenMetrics 1.0.0 text format when it accepts {@code application/openmetrics-text}, else the
 * Prometheus text format 0.0.4. Other paths answer 404, other methods 405.
 */
public final class MetricsHttpServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(MetricsHttpServer.class.getName());
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    static final String OPENMETRICS_TEXT = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    /** Requests are a GET line and headers; anything bigger is not a scraper. */
    private static final int MAX_REQUEST = 16 * 1024;

    private final EventLoopGroup group = new NioEventLoopGroup(1, r -> {
        Thread t = new Thread(r, "nodedns-metrics-http");
        t.setDaemon(true);
        return t;
    });
    private final List<Channel> channels = new ArrayList<>();

    private MetricsHttpServer() {
    }

    /**
     * Listens on every address of {@code addresses} (port 0 picks one). On failure, closes what
     * was bound and throws an exception naming the address.
     */
    public static MetricsHttpServer start(PrometheusMeterRegistry registry, List<InetSocketAddress> addresses)
            throws IOException {
        MetricsHttpServer server = new MetricsHttpServer();
        try {
            for (InetSocketAddress address : addresses) {
                server.bind(registry, address);
            }
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
        return server;
    }

    private void bind(PrometheusMeterRegistry registry, InetSocketAddress address) throws IOException {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new ReadTimeoutHandler(30), new HttpServerCodec(),
                                new HttpObjectAggregator(MAX_REQUEST), new ScrapeHandler(registry));
                    }
                });
        var future = bootstrap.bind(address).awaitUninterruptibly();
        if (!future.isSuccess()) {
            throw new IOException("cannot serve metrics on " + address + ": " + future.cause().getMessage(),
                    future.cause());
        }
        channels.add(future.channel());
    }

    /** The addresses listened on, in the order given (ports resolved when 0 was asked for). */
    public List<InetSocketAddress> boundAddresses() {
        List<InetSocketAddress> out = new ArrayList<>();
        for (Channel ch : channels) {
            out.add((InetSocketAddress) ch.localAddress());
        }
        return out;
    }

    /** The content type answered for an {@code Accept} header (null when there is none). */
    static String contentTypeFor(String accept) {
        return accept != null && accept.contains("application/openmetrics-text") ? OPENMETRICS_TEXT : PROMETHEUS_TEXT;
    }

    @Override
    public void close() {
        for (Channel ch : channels) {
            ch.close().awaitUninterruptibly();
        }
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).awaitUninterruptibly();
    }

    private static final class ScrapeHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final PrometheusMeterRegistry registry;

        ScrapeHandler(PrometheusMeterRegistry registry) {
            this.registry = registry;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            String path = new QueryStringDecoder(request.uri()).path();
            FullHttpResponse response;
            if (!path.equals("/metrics")) {
                response = text(HttpResponseStatus.NOT_FOUND, "404 page not found\n");
            } else if (!request.method().equals(HttpMethod.GET)) {
                response = text(HttpResponseStatus.METHOD_NOT_ALLOWED, "only GET\n");
                response.headers().set(HttpHeaderNames.ALLOW, "GET");
            } else {
                String contentType = contentTypeFor(request.headers().get(HttpHeaderNames.ACCEPT));
                ByteBuf body = Unpooled.copiedBuffer(registry.scrape(contentType), StandardCharsets.UTF_8);
                response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
                response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
            }
            response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            if (keepAlive) {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
                ctx.writeAndFlush(response);
            } else {
                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            }
        }

        private static FullHttpResponse text(HttpResponseStatus status, String body) {
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                    Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
            return r;
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.log(Level.FINE, "metrics connection from " + ctx.channel().remoteAddress() + " failed", cause);
            ctx.close();
        }
    }
}
