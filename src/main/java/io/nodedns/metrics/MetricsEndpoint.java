package io.nodedns.metrics;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.Objects;

/**
 * {@code GET /metrics}: a scrape of a {@link PrometheusMeterRegistry}, in the exposition format the
 * request's {@code Accept} header asks for, as Prometheus negotiates it: the OpenMetrics 1.0.0 text
 * format when it accepts {@code application/openmetrics-text}, else the Prometheus text format
 * 0.0.4.
 */
public final class MetricsEndpoint implements HttpEndpoint {
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    static final String OPENMETRICS_TEXT = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    private final PrometheusMeterRegistry registry;

    public MetricsEndpoint(PrometheusMeterRegistry registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    /** The content type answered for an {@code Accept} header (null when there is none). */
    static String contentTypeFor(String accept) {
        return accept != null && accept.contains("application/openmetrics-text") ? OPENMETRICS_TEXT : PROMETHEUS_TEXT;
    }

    @Override
    public HttpAnswer answer(HttpHeaders requestHeaders) {
        String contentType = contentTypeFor(requestHeaders.get(HttpHeaderNames.ACCEPT));
        return new HttpAnswer(200, contentType, registry.scrape(contentType));
    }
}
