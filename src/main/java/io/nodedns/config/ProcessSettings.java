package io.nodedns.config;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the per-block directives {@code reload}, {@code health} and {@code ready} mean for the whole
 * process, which is how CoreDNS applies them: one reload loop, one health state, one readiness.
 *
 * @param reload           the reload settings of the last block that has {@code reload}: CoreDNS's
 *                         reload plugin keeps one process-wide interval that each block's setup
 *                         overwrites in file order; empty when no block has it
 * @param healthAddresses  every distinct {@code health} address, in file order. CoreDNS's health
 *                         README: several blocks may name different addresses, all serving the same
 *                         process-wide health; an address named twice is served once
 * @param lameduck         the longest {@code lameduck} of any block, zero without one. CoreDNS runs
 *                         each block's shutdown hook in turn, so its lameducks add up; the longest one
 *                         is what was asked for
 * @param readyAddresses   every distinct {@code ready} address, in file order (CoreDNS serves each
 *                         address once, plugin/ready's {@code uniqAddr})
 */
public record ProcessSettings(Optional<ReloadSettings> reload, List<InetSocketAddress> healthAddresses,
                              Duration lameduck, List<InetSocketAddress> readyAddresses) {

    public ProcessSettings {
        Objects.requireNonNull(reload, "reload");
        healthAddresses = List.copyOf(healthAddresses);
        Objects.requireNonNull(lameduck, "lameduck");
        readyAddresses = List.copyOf(readyAddresses);
    }

    public static ProcessSettings of(Corefile corefile) {
        Optional<ReloadSettings> reload = Optional.empty();
        List<InetSocketAddress> health = new ArrayList<>();
        Duration lameduck = Duration.ZERO;
        List<InetSocketAddress> ready = new ArrayList<>();
        for (ServerBlock block : corefile.blocks()) {
            if (block.reload().isPresent()) {
                reload = block.reload();
            }
            if (block.health().isPresent()) {
                HealthSettings settings = block.health().get();
                if (!health.contains(settings.address())) {
                    health.add(settings.address());
                }
                if (settings.lameduck().compareTo(lameduck) > 0) {
                    lameduck = settings.lameduck();
                }
            }
            block.ready().filter(address -> !ready.contains(address)).ifPresent(ready::add);
        }
        return new ProcessSettings(reload, health, lameduck, ready);
    }
}
