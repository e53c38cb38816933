/**
 * Forwarding cache misses to upstream DNS servers: the runtime of a Corefile {@code forward}
 * block, after CoreDNS plugin/forward.
 *
 * <h2>Syntax (Corefile, parsed by the config package)</h2>
 * <pre>
 * forward FROM TO... {
 *     force_tcp | prefer_udp        # default: the client's transport
 *     expire DURATION               # idle pooled connection closed after this, default 10s
 *     max_fails INTEGER             # consecutive failed attempts marking an upstream down, default 2; 0 never
 *     health_check DURATION         # probe interval while down, default 500ms
 *     policy random|round_robin|sequential   # default random
 *     max_concurrent INTEGER        # forwards in flight before REFUSED, default 0 (unlimited)
 * }
 * </pre>
 *
 * <h2>Behaviour</h2>
 * <ul>
 *   <li>TCP: per upstream and event loop up to two persistent connections, each carrying up to
 *       1024 queries at once (RFC 7766 §6.2.1.1), answers matched by ID and question in any
 *       order; rotated after 10k queries or 60s so load spreads over the pods behind a Service
 *       IP; reconnects with backoff 50ms..2s.</li>
 *   <li>UDP: a few connected sockets per upstream and loop, random IDs (RFC 5452), sockets
 *       replaced every 256 queries; TC=1 answers are retried over TCP.</li>
 *   <li>EDNS fallback (RFC 6891 §7): FORMERR or NOTIMP without an OPT to a query with one is asked
 *       again, once, without the OPT.</li>
 *   <li>Each attempt has a 2s timeout, then the next upstream; the whole forward a 4.5s deadline
 *       (below the 5s after which stub resolvers resend), then {@link io.nodedns.upstream.UpstreamException}.</li>
 *   <li>Bounds, so a slow or dead upstream cannot grow memory: at most 10000 forwards in flight
 *       per forward block even without {@code max_concurrent} (more fail at once with
 *       {@code UpstreamException}: SERVFAIL or stale to the client, counted as
 *       {@code nodedns_forward_overload_rejects_total}; {@code max_concurrent} below it still
 *       answers REFUSED, as in CoreDNS); per upstream and event loop at most 2 TCP connections
 *       x 1024 queries and 4 UDP sockets x 1024 queries, queries accepted while a connection is
 *       still connecting count against those (no other queue exists: an attempt that finds every
 *       channel full or the upstream in reconnect backoff fails at once and the next upstream is
 *       tried); every query ends by the deadline.</li>
 * </ul>
 *
 * <h2>Metrics</h2>
 * {@link io.nodedns.upstream.Forwarder#stats()} exposes counters for the metrics package:
 * forwards, failed forwards, max_concurrent rejects, and per upstream connections
 * opened/closed/open, in-flight queries, attempts, failures, timeouts, health check failures.
 *
 * <h2>Example</h2>
 * <pre>{@code
 * Forwarder forwarder = new Forwarder(
 *         ForwarderSettings.defaults("cluster.local.", List.of(new InetSocketAddress("10.96.0.10", 53)))
 *                 .withTransport(TransportMode.FORCE_TCP),
 *         transport, System::nanoTime);
 * forwarder.forward(query, false).whenComplete((response, error) -> { ... response.release(); });
 * }</pre>
 */
package io.nodedns.upstream;
