/**
 * The answer cache of a server block, with CoreDNS's {@code cache} semantics.
 *
 * <h2>Rules</h2>
 * <ul>
 *   <li>Two bounded Caffeine caches per block: success (NOERROR with records) and denial (NXDOMAIN,
 *       NODATA, SERVFAIL), each of its configured capacity (9984 by default, as in CoreDNS).</li>
 *   <li>Lifetime: success, the smallest TTL of the answer and authority sections; denial, min(SOA TTL,
 *       SOA MINIMUM) (RFC 2308 §5), never cached without an SOA; each raised to its minimum and then
 *       lowered to its maximum (CoreDNS computeTTL). SERVFAIL lives {@code servfail} (5 s).
 *       Truncated, REFUSED, NOTIMP, FORMERR and extended-RCODE answers are not cached.</li>
 *   <li>Key: lower-cased name, type, class, DO and CD bits ({@link io.nodedns.wire.QuestionKey}).</li>
 *   <li>Time comes from an injected Caffeine {@code Ticker}; a hit's age in whole seconds lowers every
 *       TTL in the replayed answer.</li>
 * </ul>
 *
 * <h2>Corefile</h2>
 * <pre>
 * cache [TTL] {
 *     success CAPACITY [TTL [MINTTL]]
 *     denial CAPACITY [TTL [MINTTL]]
 *     servfail DURATION
 * }
 * </pre>
 */
package io.nodedns.cache;
