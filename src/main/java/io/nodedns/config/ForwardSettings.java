package io.nodedns.config;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The {@code forward} directive: where queries for {@code from} go when the cache cannot answer.
 *
 * @param from          zone forwarded (lower-case FQDN); queries outside it are not forwarded
 * @param to            upstream servers in file order, resolv.conf files already expanded; 1 to
 *                      {@link #MAX_UPSTREAMS}; addresses are literals, never looked up
 * @param forceTcp      always query upstreams over TCP
 * @param preferUdp     query over UDP even when the client came over TCP (retry over TCP on TC)
 * @param expire        idle time after which a cached upstream connection is closed; default 10 s
 * @param maxFails      consecutive failed health checks before an upstream is considered down;
 *                      default 2, 0 never marks it down
 * @param healthCheck   interval between health checks of a failing upstream; default 0.5 s
 * @param policy        how an upstream is chosen; default {@link ForwardPolicy#RANDOM}
 * @param maxConcurrent most queries in flight before new ones get REFUSED; 0 means unlimited
 */
public record ForwardSettings(
        String from,
        List<InetSocketAddress> to,
        boolean forceTcp,
        boolean preferUdp,
        Duration expire,
        int maxFails,
        Duration healthCheck,
        ForwardPolicy policy,
        int maxConcurrent) {

    /** CoreDNS's limit on upstreams per forward directive. */
    public static final int MAX_UPSTREAMS = 15;
    public static final int DEFAULT_PORT = 53;
    public static final Duration DEFAULT_EXPIRE = Duration.ofSeconds(10);
    public static final int DEFAULT_MAX_FAILS = 2;
    public static final Duration DEFAULT_HEALTH_CHECK = Duration.ofMillis(500);
    public static final ForwardPolicy DEFAULT_POLICY = ForwardPolicy.RANDOM;

    public ForwardSettings {
        Objects.requireNonNull(from, "from");
        to = List.copyOf(to);
        if (to.isEmpty() || to.size() > MAX_UPSTREAMS) {
            throw new IllegalArgumentException("need 1 to " + MAX_UPSTREAMS + " upstreams, got " + to.size());
        }
        if (forceTcp && preferUdp) {
            throw new IllegalArgumentException("forceTcp and preferUdp are mutually exclusive");
        }
        requireNonNegative(expire, "expire");
        requireNonNegative(healthCheck, "healthCheck");
        Objects.requireNonNull(policy, "policy");
        if (maxFails < 0 || maxConcurrent < 0) {
            throw new IllegalArgumentException("maxFails and maxConcurrent must not be negative");
        }
    }

    private static void requireNonNegative(Duration value, String name) {
        Objects.requireNonNull(value, name);
        if (value.isNegative()) {
            throw new IllegalArgumentException(name + " must not be negative: " + value);
        }
    }
}
