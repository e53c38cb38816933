package io.nodedns.metrics;

import java.util.Objects;

import io.netty.handler.codec.http.HttpHeaders;

/**
 * {@code GET /health} (CoreDNS plugin/health): 200 with the body {@code OK} while the process is
 * alive; 503 {@code Shutting down} once a stop has begun, through the {@code lameduck} period in
 * which DNS is still answered. CoreDNS 1.5 and later keep answering 200 there and only turn
 * {@code /ready} off; nodedns reports the stop on both, as CoreDNS 1.4 did, so that whatever
 * watches only {@code /health} (a load balancer, an external probe) stops sending before the
 * listeners close. The kubelet's liveness probe does not act on a terminating pod.
 */
public final class HealthEndpoint implements HttpEndpoint {
    /** CoreDNS writes exactly this body, no newline. */
    static final String OK = "OK";

    private final HealthState state;

    public HealthEndpoint(HealthState state) {
        this.state = Objects.requireNonNull(state, "state");
    }

    @Override
    public HttpAnswer answer(HttpHeaders requestHeaders) {
        return state.isStopping() ? HttpAnswer.text(503, "Shutting down") : HttpAnswer.text(200, OK);
    }
}
