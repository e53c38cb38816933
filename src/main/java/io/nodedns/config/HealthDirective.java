package io.nodedns.config;

import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * {@code health [ADDRESS] { lameduck DURATION }} (CoreDNS plugin/health, setup.go): serve
 * {@code GET /health} on ADDRESS, default {@code :8080} (every address). {@code lameduck} is how
 * long a stopping process keeps answering DNS before it closes its listeners; a later
 * {@code lameduck} line replaces an earlier one, as in CoreDNS.
 *
 * <p>Differences from CoreDNS, all refusals of what it would quietly accept: a negative
 * {@code lameduck} (CoreDNS treats it as none; zero still means none here), and a second
 * {@code health} in one block (CoreDNS keeps the last one's address).
 *
 * <p>Across blocks, as CoreDNS's README allows: several blocks may name health addresses; each
 * distinct address is served, all with the same process-wide health ({@link ProcessSettings}).
 */
final class HealthDirective {
    /** CoreDNS's default, {@code :8080}: port 8080 on every address. */
    static final InetSocketAddress DEFAULT_ADDRESS = new InetSocketAddress(HealthSettings.DEFAULT_PORT);

    private HealthDirective() {
    }

    static void parse(Directive directive, ServerBlockBuilder block, ParseContext context) throws CorefileException {
        InetSocketAddress address = ListenAddressArgument.parse(directive, DEFAULT_ADDRESS, context);
        Duration lameduck = Duration.ZERO;
        for (Directive sub : directive.block()) {
            if (!sub.nameText().equals("lameduck")) {
                throw context.error(sub.line(), directive.nameText(), "unknown property '" + sub.nameText() + "'");
            }
            Arguments.requireCount(directive, sub, 1, 1, context);
            lameduck = Arguments.nonNegativeDuration(sub.args().get(0), "lameduck", context, directive);
        }
        block.health(new HealthSettings(address, lameduck));
    }
}
