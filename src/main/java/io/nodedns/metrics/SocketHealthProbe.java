package io.nodedns.metrics;

import io.nodedns.config.HostPorts;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * {@code GET /health} over a fresh blocking connection, one request per connection
 * ({@code Connection: close}), bounded by a timeout for connecting and one for each read: the
 * 3 s CoreDNS's self check gives its Go client.
 */
public final class SocketHealthProbe implements HealthProbe {
    /** CoreDNS plugin/health overloaded.go: {@code timeout := 3 * time.Second}. */
    public static final Duration TIMEOUT = Duration.ofSeconds(3);
    /** A status line is short; a longer one is not an HTTP server answering. */
    private static final int MAX_STATUS_LINE = 256;

    private final int timeoutMillis;

    public SocketHealthProbe(Duration timeout) {
        this.timeoutMillis = Math.toIntExact(timeout.toMillis());
        if (timeoutMillis <= 0) {
            throw new IllegalArgumentException("timeout must be at least 1 ms: " + timeout);
        }
    }

    @Override
    public void get(InetSocketAddress target) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(target, timeoutMillis);
            socket.setSoTimeout(timeoutMillis);
            String request = "GET /health HTTP/1.1\r\nHost: " + HostPorts.format(target)
                    + "\r\nConnection: close\r\n\r\n";
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String status = statusLine(socket.getInputStream());
            if (!status.startsWith("HTTP/1.")) {
                throw new IOException("not an HTTP response: " + status);
            }
        }
    }

    private static String statusLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) != '\n') {
            if (c < 0) {
                throw new IOException("connection closed before a status line (got \"" + line + "\")");
            }
            if (line.length() == MAX_STATUS_LINE) {
                throw new IOException("status line longer than " + MAX_STATUS_LINE + " bytes");
            }
            line.append((char) c);
        }
        return line.toString().strip();
    }
}
