package io.nodedns.metrics;

import java.util.Objects;

/**
 * What an {@link HttpEndpoint} answers: a status and a text body. Plain values, so endpoints never
 * handle a ByteBuf; {@link HttpEndpointServer} encodes the body as UTF-8 and sets its length.
 *
 * @param status      the HTTP status code
 * @param contentType the {@code Content-Type} header
 * @param body        the body
 */
public record HttpAnswer(int status, String contentType, String body) {
    /** The content type of the plain answers below, as Go's net/http sends them. */
    public static final String PLAIN_TEXT = "text/plain; charset=utf-8";

    public HttpAnswer {
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("not an HTTP status: " + status);
        }
        Objects.requireNonNull(contentType, "contentType");
        Objects.requireNonNull(body, "body");
    }

    /** A {@code text/plain} answer. */
    public static HttpAnswer text(int status, String body) {
        return new HttpAnswer(status, PLAIN_TEXT, body);
    }
}
