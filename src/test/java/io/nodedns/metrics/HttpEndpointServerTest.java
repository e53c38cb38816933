package io.nodedns.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The HTTP/1.1 server behind /metrics, /health and /ready, over real connections on 127.0.0.1. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HttpEndpointServerTest {
    private static final InetSocketAddress ANY_PORT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private HttpEndpointServer server;

    @AfterEach
    void close() {
        if (server != null) {
            server.close();
        }
    }

    private static HttpEndpoint fixed(String body) {
        return headers -> HttpAnswer.text(200, body);
    }

    @Test
    void servesEachPathOnItsAddressAndNothingElse() throws Exception {
        InetSocketAddress second = new InetSocketAddress("127.0.0.2", 0);
        server = HttpEndpointServer.builder("test")
                .serve(ANY_PORT, "/a", fixed("A"))
                .serve(ANY_PORT, "/b", fixed("B"))
                .serve(second, "/a", fixed("other A"))
                .start();

        List<InetSocketAddress> bound = server.boundAddresses();
        assertEquals(2, bound.size());
        InetSocketAddress first = server.boundAddress(ANY_PORT);
        assertEquals(first, bound.get(0));
        assertEquals(server.boundAddress(second), bound.get(1));
        assertEquals(List.of(first), server.boundAddressesServing("/b"));
        assertEquals(bound, server.boundAddressesServing("/a"));

        HttpResponse<String> a = Scrape.get(first, "/a?x=1", null);
        assertEquals(200, a.statusCode());
        assertEquals("A", a.body());
        assertEquals("text/plain; charset=utf-8", a.headers().firstValue("Content-Type").orElseThrow());
        assertEquals("B", Scrape.get(first, "/b", null).body());
        assertEquals("other A", Scrape.get(bound.get(1), "/a", null).body());

        HttpResponse<String> missing = Scrape.get(bound.get(1), "/b", null);
        assertEquals(404, missing.statusCode());
        assertEquals("404 page not found\n", missing.body());
        assertEquals(404, Scrape.get(first, "/a/", null).statusCode(), "paths match exactly");
    }

    @Test
    void answersOtherMethodsWith405() throws Exception {
        server = HttpEndpointServer.builder("test").serve(ANY_PORT, "/a", fixed("A")).start();
        InetSocketAddress at = server.boundAddress(ANY_PORT);

        HttpResponse<String> post = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + at.getPort() + "/a")).timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());

        assertEquals(405, post.statusCode());
        assertEquals("GET", post.headers().firstValue("Allow").orElseThrow());
        assertEquals("only GET\n", post.body());
    }

    @Test
    void keepsConnectionsAliveUnlessAskedToClose() throws Exception {
        server = HttpEndpointServer.builder("test").serve(ANY_PORT, "/a", fixed("A")).start();
        try (RawHttp connection = new RawHttp(server.boundAddress(ANY_PORT))) {
            String first = connection.exchange("GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
            assertEquals("HTTP/1.1 200 OK\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: 1\r\n"
                    + "connection: keep-alive\r\n\r\nA", first);
            String second = connection.exchange("GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            assertTrue(second.startsWith("HTTP/1.1 404 Not Found\r\n"), second);
            assertTrue(connection.closedByServer(), "closed after the response, as asked");
        }
    }

    @Test
    void anEndpointThatThrowsAnswers500AndTheServerGoesOn() throws Exception {
        server = HttpEndpointServer.builder("test")
                .serve(ANY_PORT, "/broken", headers -> {
                    throw new IllegalStateException("expected by the test");
                })
                .serve(ANY_PORT, "/a", fixed("A"))
                .start();
        InetSocketAddress at = server.boundAddress(ANY_PORT);

        HttpResponse<String> broken = Scrape.get(at, "/broken", null);
        assertEquals(500, broken.statusCode());
        assertEquals("internal error\n", broken.body());
        assertEquals("A", Scrape.get(at, "/a", null).body());
    }

    @Test
    void theSameEndpointTwiceIsServedOnceButTwoEndpointsForOnePathAreRefused() throws Exception {
        HttpEndpoint a = fixed("A");
        server = HttpEndpointServer.builder("test").serve(ANY_PORT, "/a", a).serve(ANY_PORT, "/a", a).start();
        assertEquals(1, server.boundAddresses().size());

        HttpEndpointServer.Builder builder = HttpEndpointServer.builder("test").serve(ANY_PORT, "/a", a);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> builder.serve(ANY_PORT, "/a", fixed("other")));
        assertTrue(e.getMessage().startsWith("/a on " + ANY_PORT + " is already served by "), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> builder.serve(ANY_PORT, "a", a));
        assertThrows(IllegalArgumentException.class, () -> server.boundAddress(new InetSocketAddress("127.0.0.3", 1)));
    }

    @Test
    void aTakenAddressFailsTheStartNamingItAndReleasesWhatWasBound() throws Exception {
        int freePort;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            freePort = probe.getLocalPort();
        }
        InetSocketAddress free = new InetSocketAddress(InetAddress.getLoopbackAddress(), freePort);
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            InetSocketAddress takenAddress = new InetSocketAddress(InetAddress.getLoopbackAddress(),
                    taken.getLocalPort());
            IOException e = assertThrows(IOException.class, () -> HttpEndpointServer.builder("health")
                    .serve(free, "/health", fixed("OK"))
                    .serve(takenAddress, "/health", fixed("OK"))
                    .start());
            assertTrue(e.getMessage().startsWith("cannot serve health on " + takenAddress + ": "), e.getMessage());
        }
        server = HttpEndpointServer.builder("test").serve(free, "/a", fixed("A")).start();
        assertEquals(free, server.boundAddress(free), "the first listener was closed when the second failed");
    }
}
