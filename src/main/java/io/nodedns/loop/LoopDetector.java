package io.nodedns.loop;

import io.netty.buffer.ByteBufAllocator;
import io.nodedns.config.ForwardSettings;
import io.nodedns.config.ServerBlock;
import io.nodedns.config.HostPorts;
import io.nodedns.config.ServerKey;
import io.nodedns.server.UpstreamClient;
import io.nodedns.wire.DnsWire;
import io.nodedns.wire.WireNames;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;
import java.util.logging.Logger;
import java.util.random.RandomGenerator;
import java.util.stream.Collectors;

/**
 * The {@code loop} directive of one server block at run time: a {@link #guard() guard} to put
 * where the block sends its misses, and a prober to {@link #start()} once the listeners are up.
 * A probe that comes back is reported to {@code onLoop} with CoreDNS's log line; making that
 * fatal is the caller's part (CoreDNS calls {@code log.Fatalf}).
 */
public final class LoopDetector {
    private static final Logger LOG = Logger.getLogger(LoopDetector.class.getName());

    private final LoopProbe probe;
    private final LoopGuard guard;
    private final LoopProber prober;

    private LoopDetector(LoopProbe probe, UpstreamClient forwarder, ScheduledExecutorService scheduler) {
        this.probe = probe;
        this.guard = new LoopGuard(probe, forwarder);
        this.prober = new LoopProber(probe, forwarder, scheduler, ByteBufAllocator.DEFAULT);
    }

    /**
     * The detector of {@code block}, or empty (logged) when it has no zone whose names it
     * forwards, so no probe could come back through it.
     *
     * @param block     a block with a {@code forward}
     * @param forwarder the block's forwarder; probes go through it directly
     * @param scheduler runs the retries and the window (an event loop)
     * @param random    picks the probe name; a {@link java.security.SecureRandom} in production
     * @param onLoop    told CoreDNS's log line the first time the probe comes back, on the event
     *                  loop that saw it: it must not block
     */
    public static Optional<LoopDetector> forBlock(ServerBlock block, UpstreamClient forwarder,
                                                  ScheduledExecutorService scheduler, RandomGenerator random,
                                                  Consumer<String> onLoop) {
        ForwardSettings forward = block.forward().orElseThrow(
                () -> new IllegalArgumentException("loop needs a forward in the block"));
        List<String> zones = block.keys().stream().map(ServerKey::zone).collect(Collectors.toList());
        String blockName = block.name();
        Optional<String> zone = probeZone(zones, forward.from());
        if (zone.isEmpty()) {
            LOG.warning("loop in " + blockName + ": no zone of the block is forwarded by 'forward "
                    + forward.from() + "' (or the zone is too long for a probe name); not probing");
            return Optional.empty();
        }
        String upstreams = forward.to().stream().map(HostPorts::format).collect(Collectors.joining(", "));
        LoopProbe probe = new LoopProbe(zone.get(), random, upstreams, blockName, onLoop);
        return Optional.of(new LoopDetector(probe, forwarder, scheduler));
    }

    /**
     * The zone to probe: CoreDNS takes the block's first key ({@code c.ServerBlockKeys[0]} in
     * setup.go) and asks its own listener, where the block's forward then decides. Sending to the
     * forwarder directly, nodedns must pick a name the block would forward: the first key zone
     * inside {@code forwardFrom}, or {@code forwardFrom} itself when it is inside a key zone
     * ({@code .:53 { forward example.org ... }}). Empty when neither holds for any key, or the
     * zone leaves no room for the two random labels (RFC 1035 §2.3.4: 255 bytes).
     */
    static Optional<String> probeZone(List<String> keyZones, String forwardFrom) {
        for (String zone : keyZones) {
            String candidate = isInZone(zone, forwardFrom) ? zone : isInZone(forwardFrom, zone) ? forwardFrom : null;
            if (candidate != null
                    && WireNames.toWire(candidate).length + LoopProbe.MAX_LABELS_LENGTH <= DnsWire.MAX_NAME_LENGTH) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** Both lower-case with a trailing dot. */
    private static boolean isInZone(String name, String zone) {
        return zone.equals(".") || name.equals(zone) || name.endsWith("." + zone);
    }

    /** Where the block must send its misses: the forwarder, behind the check for a returning probe. */
    public UpstreamClient guard() {
        return guard;
    }

    /** Starts probing; call once the block's listeners are bound. */
    public void start() {
        prober.start();
    }

    /** Stops probing and checking; idempotent. */
    public void stop() {
        prober.stop();
    }

    /** The probe name in presentation form, for logs and tests. */
    public String probeName() {
        return probe.name();
    }
}
