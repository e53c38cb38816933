package io.nodedns.metrics;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A small HTTP/1.1 server for {@code /metrics}, {@code /health} and {@code /ready}: each listen
 * address serves a map of paths to {@link HttpEndpoint}s, all on one event loop thread of its own
 * so that a scrape or a probe never delays a DNS answer, and a busy DNS loop never delays a probe.
 *
 * <p>Paths match exactly (the query string is ignored), as Go's ServeMux matches CoreDNS's
 * {@code /metrics}, {@code /health} and {@code /ready}. Other paths answer 404 with Go's
 * {@code "404 page not found"}, other methods than GET 405. Connections are kept alive when the
 * request allows it and closed after 30 s without a request.
 *
 * <p>Built with {@link #builder}: several {@code serve} calls naming equal addresses share one
 * listener, which is how several blocks' {@code prometheus :9253}, or {@code health} and
 * {@code prometheus} on one port, are served once. Port 0 picks a free port; two requests for port
 * 0 on the same host are equal addresses and so share one listener.
 */
public final class HttpEndpointServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(HttpEndpointServer.class.getName());
    /** Requests are a GET line and headers; anything bigger is not a scraper or a prober. */
    private static final int MAX_REQUEST = 16 * 1024;
    private static final int IDLE_SECONDS = 30;

    private final EventLoopGroup group;
    private final String purpose;
    /** Per listener, in the order first asked for: the address asked for, its channel, its paths. */
    private final List<Listener> listeners = new ArrayList<>();

    private record Listener(InetSocketAddress requested, Channel channel, Map<String, HttpEndpoint> paths) {
    }

    private HttpEndpointServer(String purpose) {
        this.purpose = purpose;
        this.group = new NioEventLoopGroup(1, r -> {
            Thread t = new Thread(r, "nodedns-" + purpose.replace(' ', '-') + "-http");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * @param purpose what is served, for the thread name and error messages: {@code "metrics"}
     *                gives thread {@code nodedns-metrics-http} and "cannot serve metrics on ..."
     */
    public static Builder builder(String purpose) {
        return new Builder(purpose);
    }

    /** Collects addresses and paths; {@link #start} binds them. */
    public static final class Builder {
        private final String purpose;
        private final Map<InetSocketAddress, Map<String, HttpEndpoint>> routes = new LinkedHashMap<>();

        private Builder(String purpose) {
            this.purpose = Objects.requireNonNull(purpose, "purpose");
        }

        /**
         * Serves {@code endpoint} at {@code path} on {@code address}.
         *
         * @throws IllegalArgumentException if another endpoint already has that path on that address
         *                                  (the same endpoint again is fine: several blocks may name
         *                                  one address)
         */
        public Builder serve(InetSocketAddress address, String path, HttpEndpoint endpoint) {
            Objects.requireNonNull(endpoint, "endpoint");
            if (!path.startsWith("/")) {
                throw new IllegalArgumentException("a path starts with '/': " + path);
            }
            Map<String, HttpEndpoint> paths = routes.computeIfAbsent(address, a -> new LinkedHashMap<>());
            HttpEndpoint before = paths.putIfAbsent(path, endpoint);
            if (before != null && before != endpoint) {
                throw new IllegalArgumentException(path + " on " + address + " is already served by " + before);
            }
            return this;
        }

        /**
         * Listens on every address given (none is fine: nothing is bound). On failure, closes what
         * was bound and throws an exception naming the purpose and the address.
         */
        public HttpEndpointServer start() throws IOException {
            HttpEndpointServer server = new HttpEndpointServer(purpose);
            try {
                for (Map.Entry<InetSocketAddress, Map<String, HttpEndpoint>> route : routes.entrySet()) {
                    server.bind(route.getKey(), Map.copyOf(route.getValue()));
                }
            } catch (IOException | RuntimeException e) {
                server.close();
                throw e;
            }
            return server;
        }
    }

    private void bind(InetSocketAddress address, Map<String, HttpEndpoint> paths) throws IOException {
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                // A rolling update's successor binds the same /health, /ready and /metrics
                // addresses while this process still runs (DnsServer's class comment).
                .option(io.netty.channel.socket.nio.NioChannelOption.of(java.net.StandardSocketOptions.SO_REUSEPORT), true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new ReadTimeoutHandler(IDLE_SECONDS), new HttpServerCodec(),
                                new HttpObjectAggregator(MAX_REQUEST), new RoutingHandler(paths));
                    }
                });
        var future = bootstrap.bind(address).awaitUninterruptibly();
        if (!future.isSuccess()) {
            throw new IOException("cannot serve " + purpose + " on " + address + ": " + future.cause().getMessage(),
                    future.cause());
        }
        listeners.add(new Listener(address, future.channel(), paths));
    }

    /** Every address listened on, in the order first asked for (ports resolved when 0 was asked for). */
    public List<InetSocketAddress> boundAddresses() {
        List<InetSocketAddress> out = new ArrayList<>();
        for (Listener listener : listeners) {
            out.add((InetSocketAddress) listener.channel().localAddress());
        }
        return out;
    }

    /** The addresses that serve {@code path}, in the order first asked for, ports resolved. */
    public List<InetSocketAddress> boundAddressesServing(String path) {
        List<InetSocketAddress> out = new ArrayList<>();
        for (Listener listener : listeners) {
            if (listener.paths().containsKey(path)) {
                out.add((InetSocketAddress) listener.channel().localAddress());
            }
        }
        return out;
    }

    /**
     * Where the listener asked for at {@code requested} is bound (its port resolved).
     *
     * @throws IllegalArgumentException if {@code requested} was not given to the builder
     */
    public InetSocketAddress boundAddress(InetSocketAddress requested) {
        for (Listener listener : listeners) {
            if (listener.requested().equals(requested)) {
                return (InetSocketAddress) listener.channel().localAddress();
            }
        }
        throw new IllegalArgumentException("not served here: " + requested);
    }

    /** Closes the listeners and open connections and stops the event loop thread. */
    @Override
    public void close() {
        for (Listener listener : listeners) {
            listener.channel().close().awaitUninterruptibly();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    /** Answers one connection's requests from its listener's paths. */
    private static final class RoutingHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final Map<String, HttpEndpoint> paths;

        RoutingHandler(Map<String, HttpEndpoint> paths) {
            this.paths = paths;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            HttpEndpoint endpoint = paths.get(new QueryStringDecoder(request.uri()).path());
            HttpAnswer answer;
            boolean wrongMethod = false;
            if (endpoint == null) {
                answer = HttpAnswer.text(404, "404 page not found\n");
            } else if (!request.method().equals(HttpMethod.GET)) {
                answer = HttpAnswer.text(405, "only GET\n");
                wrongMethod = true;
            } else {
                answer = answer(endpoint, request);
            }
            // Owned by the response, which the write releases.
            ByteBuf body = ByteBufUtil.writeUtf8(ctx.alloc(), answer.body());
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.valueOf(answer.status()), body);
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, answer.contentType());
            response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
            if (wrongMethod) {
                response.headers().set(HttpHeaderNames.ALLOW, "GET");
            }
            if (HttpUtil.isKeepAlive(request)) {
                response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
                ctx.writeAndFlush(response);
            } else {
                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            }
        }

        private static HttpAnswer answer(HttpEndpoint endpoint, FullHttpRequest request) {
            try {
                return endpoint.answer(request.headers());
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "answering " + request.uri() + " failed", e);
                return HttpAnswer.text(500, "internal error\n");
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.log(Level.FINE, "HTTP connection from " + ctx.channel().remoteAddress() + " failed", cause);
            ctx.close();
        }
    }
}
