package io.nodedns.upstream;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Immutable settings of one {@link Forwarder}: the runtime form of a Corefile
 * {@code forward FROM TO... { ... }} block. Validated eagerly by the constructor.
 *
 * @param name          for logs and metrics, e.g. {@code "cluster.local."} (the FROM zone)
 * @param upstreams     1 to 15 resolved addresses (CoreDNS limit)
 * @param transport     {@link TransportMode}; CoreDNS default is {@link TransportMode#SAME_AS_CLIENT}
 * @param expire        a pooled connection idle this long is closed (CoreDNS {@code expire}, default 10s);
 *                      0 closes a connection as soon as it has nothing in flight
 * @param maxFails      consecutive failed attempts that mark an upstream down; 0 never marks down
 * @param healthCheck   interval of the health probes sent to a down upstream (default 500ms); 0
 *                      disables health checking, so, as with maxFails 0, nothing is marked down
 * @param policy        order in which upstreams are tried
 * @param maxConcurrent forwards in flight at once before new ones fail with
 *                      {@link ConcurrencyLimitException}; 0 is unlimited
 * @param tryTimeout    how long one attempt (one upstream) may take before the next is tried
 * @param deadline      how long a whole forward, failover included, may take
 */
public record ForwarderSettings(
        String name,
        List<InetSocketAddress> upstreams,
        TransportMode transport,
        Duration expire,
        int maxFails,
        Duration healthCheck,
        ForwardPolicy policy,
        int maxConcurrent,
        Duration tryTimeout,
        Duration deadline) {

    /** CoreDNS limits a forward block to 15 upstreams. */
    public static final int MAX_UPSTREAMS = 15;

    public static final Duration DEFAULT_EXPIRE = Duration.ofSeconds(10);
    public static final int DEFAULT_MAX_FAILS = 2;
    public static final Duration DEFAULT_HEALTH_CHECK = Duration.ofMillis(500);
    public static final Duration DEFAULT_TRY_TIMEOUT = Duration.ofSeconds(2);
    /**
     * 4.5s rather than CoreDNS's 5s: glibc and musl resend after 5s (resolv.conf
     * {@code timeout:5}), so a SERVFAIL must reach the client before that to be of any use;
     * at 5s it would race the retry and the client would wait a full second timeout for
     * nothing. 4.5s still allows two full 2s attempts.
     */
    public static final Duration DEFAULT_DEADLINE = Duration.ofMillis(4500);

    public ForwarderSettings {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(upstreams, "upstreams");
        upstreams = List.copyOf(upstreams);
        if (upstreams.isEmpty() || upstreams.size() > MAX_UPSTREAMS) {
            throw new IllegalArgumentException(
                    "forward " + name + ": need 1 to " + MAX_UPSTREAMS + " upstreams, got " + upstreams.size());
        }
        for (InetSocketAddress upstream : upstreams) {
            if (upstream.isUnresolved()) {
                throw new IllegalArgumentException("forward " + name + ": upstream " + upstream + " is unresolved");
            }
        }
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(policy, "policy");
        requireNonNegative(name, "expire", expire);
        requireNonNegative(name, "health_check", healthCheck);
        requirePositive(name, "try timeout", tryTimeout);
        requirePositive(name, "deadline", deadline);
        if (maxFails < 0) {
            throw new IllegalArgumentException("forward " + name + ": max_fails must be >= 0, got " + maxFails);
        }
        if (maxConcurrent < 0) {
            throw new IllegalArgumentException(
                    "forward " + name + ": max_concurrent must be >= 0, got " + maxConcurrent);
        }
    }

    /** CoreDNS defaults (see the constants), with the nodedns deadline of 4.5s. */
    public static ForwarderSettings defaults(String name, List<InetSocketAddress> upstreams) {
        return new ForwarderSettings(name, upstreams, TransportMode.SAME_AS_CLIENT, DEFAULT_EXPIRE,
                DEFAULT_MAX_FAILS, DEFAULT_HEALTH_CHECK, ForwardPolicy.RANDOM, 0, DEFAULT_TRY_TIMEOUT,
                DEFAULT_DEADLINE);
    }

    public ForwarderSettings withTransport(TransportMode newTransport) {
        return new ForwarderSettings(name, upstreams, newTransport, expire, maxFails, healthCheck, policy,
                maxConcurrent, tryTimeout, deadline);
    }

    public ForwarderSettings withPolicy(ForwardPolicy newPolicy) {
        return new ForwarderSettings(name, upstreams, transport, expire, maxFails, healthCheck, newPolicy,
                maxConcurrent, tryTimeout, deadline);
    }

    public ForwarderSettings withExpire(Duration newExpire) {
        return new ForwarderSettings(name, upstreams, transport, newExpire, maxFails, healthCheck, policy,
                maxConcurrent, tryTimeout, deadline);
    }

    public ForwarderSettings withHealth(int newMaxFails, Duration newHealthCheck) {
        return new ForwarderSettings(name, upstreams, transport, expire, newMaxFails, newHealthCheck, policy,
                maxConcurrent, tryTimeout, deadline);
    }

    public ForwarderSettings withMaxConcurrent(int newMaxConcurrent) {
        return new ForwarderSettings(name, upstreams, transport, expire, maxFails, healthCheck, policy,
                newMaxConcurrent, tryTimeout, deadline);
    }

    public ForwarderSettings withTimeouts(Duration newTryTimeout, Duration newDeadline) {
        return new ForwarderSettings(name, upstreams, transport, expire, maxFails, healthCheck, policy,
                maxConcurrent, newTryTimeout, newDeadline);
    }

    private static void requireNonNegative(String name, String what, Duration value) {
        Objects.requireNonNull(value, what);
        if (value.isNegative()) {
            throw new IllegalArgumentException("forward " + name + ": " + what + " must not be negative, got " + value);
        }
    }

    private static void requirePositive(String name, String what, Duration value) {
        Objects.requireNonNull(value, what);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException("forward " + name + ": " + what + " must be positive, got " + value);
        }
    }
}
