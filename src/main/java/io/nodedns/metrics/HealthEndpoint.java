package io.nodedns.metrics;

import io.netty.handler.codec.http.HttpHeaders;

/**
 * {@code GET /health} (CoreDNS plugin/health): 200 with the body {@code OK} for as long as the
 * process serves it, including a lameduck period ({@link HealthState} says why). Liveness, not
 * readiness: an answer at all is what it reports.
 */
public final class HealthEndpoint implements HttpEndpoint {
    /** CoreDNS writes exactly this body, no newline. */
    static final String OK = "OK";

    @Override
    public HttpAnswer answer(HttpHeaders requestHeaders) {
        return HttpAnswer.text(200, OK);
    }
}
