package io.nodedns.config;

import java.time.Duration;
import java.util.Objects;

/**
 * The {@code reload [INTERVAL [JITTER]]} directive (CoreDNS plugin/reload): check the Corefile for
 * changes every INTERVAL, plus or minus a random part of JITTER so that a fleet of nodes updated by
 * one ConfigMap change does not reload in the same second.
 *
 * @param interval time between checks; CoreDNS's default 30 s, at least 2 s
 * @param jitter   largest random offset of a check; CoreDNS's default 15 s, at least 1 s and at most
 *                 half the interval
 */
public record ReloadSettings(Duration interval, Duration jitter) {
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(30);
    public static final Duration DEFAULT_JITTER = Duration.ofSeconds(15);
    public static final Duration MIN_INTERVAL = Duration.ofSeconds(2);
    public static final Duration MIN_JITTER = Duration.ofSeconds(1);

    public ReloadSettings {
        Objects.requireNonNull(interval, "interval");
        Objects.requireNonNull(jitter, "jitter");
    }

    public static ReloadSettings defaults() {
        return new ReloadSettings(DEFAULT_INTERVAL, DEFAULT_JITTER);
    }
}
