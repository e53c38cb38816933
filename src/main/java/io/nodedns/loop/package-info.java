/**
 * The {@code loop} directive's run time (CoreDNS plugin/loop): at start, each server block with
 * {@code loop} and {@code forward} sends a random HINFO query, {@code <random>.<random>.<zone>},
 * through its forwarder; if the block is then asked to forward that very name, the query went
 * out and came back: a forwarding loop, reported once with CoreDNS's log line
 * ({@code Loop (A -> B) detected for zone "Z", see https://coredns.io/plugins/loop#troubleshooting.
 * Query: "HINFO NAME"}) to a callback the application makes fatal (exit 1, as CoreDNS's
 * {@code log.Fatalf}).
 *
 * <pre>
 * LoopDetector   one per block: builds the probe, hands out the guard, starts and stops probing
 *   LoopProbe    the random name, armed or not, matching a query against it, reporting once
 *   LoopGuard    UpstreamClient decorator: a returning probe fails (SERVFAIL) and is reported
 *   LoopProber   sends the probe; retries each second on failure; stops at the first answer
 *                (armed 2 s more) or after 30 s
 * </pre>
 *
 * <p>Depends on config (the block), server (the {@link io.nodedns.server.UpstreamClient} interface)
 * and wire; only app depends on it.
 */
package io.nodedns.loop;
