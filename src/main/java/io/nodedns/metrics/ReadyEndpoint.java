package io.nodedns.metrics;

import io.netty.handler.codec.http.HttpHeaders;
import java.util.Objects;

/**
 * {@code GET /ready} (CoreDNS plugin/ready, ready.go): 200 {@code OK} when {@link HealthState} is
 * ready; 503 with the not-ready conditions comma-separated and sorted when one is not, as CoreDNS
 * lists its plugins; 503 {@code Shutting down} once a stop has begun.
 */
public final class ReadyEndpoint implements HttpEndpoint {
    private final HealthState state;

    public ReadyEndpoint(HealthState state) {
        this.state = Objects.requireNonNull(state, "state");
    }

    @Override
    public HttpAnswer answer(HttpHeaders requestHeaders) {
        if (state.isStopping()) {
            return HttpAnswer.text(503, "Shutting down");
        }
        // One read of the conditions, so the status and the list agree.
        var notReady = state.notReadyConditions();
        if (notReady.isEmpty()) {
            return HttpAnswer.text(200, HealthEndpoint.OK);
        }
        return HttpAnswer.text(503, String.join(",", notReady));
    }
}
