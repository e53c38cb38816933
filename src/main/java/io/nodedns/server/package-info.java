/**
 * The DNS listeners and the query pipeline.
 *
 * <h2>Flow</h2>
 * <pre>
 * UdpQueryHandler / TcpQueryHandler   one per UDP channel / TCP connection, owns parse scratch
 *   -> QueryProcessor                  parse; FORMERR/NOTIMP/BADVERS; route by longest zone (ZoneRouter)
 *     -> BlockResolver                 one per server block
 *          hit:  cache -> ResponseWriter, on the event loop, flushed once per read batch
 *          miss: one upstream query per cache key (coalesced), answer cached, sent to every waiter
 *          no block for the name: REFUSED; a block without forward for it: SERVFAIL
 *          (CoreDNS NextOrFailure); upstream failed or answered an extended RCODE: SERVFAIL;
 *          forward max_concurrent exceeded: REFUSED
 *          filter_aaaa (AaaaFilter): a filtered AAAA is answered NODATA before the cache is asked
 *          autopath (AutopathRules): an NXDOMAIN (hit or upstream) for a candidate NAME.NS.svc.ZONE
 *            -> AutopathSearch: NS.svc.ZONE must exist (asked with the name itself), then every search
 *               name at once through the router's block for it (lookup, else BlockResolver.await: an
 *               internal waiter on the flight); the client gets a CNAME to the first NOERROR in
 *               search order once all before it are NXDOMAIN, else the asked NXDOMAIN
 *          overload: more than 20000 queries waiting for upstreams (PendingQueries), or 1024
 *          clients on one flight: answered at once from a stale entry if serve_stale allows, else
 *          SERVFAIL (nodedns_overloaded_queries_total), never queued
 * </pre>
 *
 * <h2>Transport behaviour</h2>
 * <ul>
 *   <li>UDP: one channel per event loop per address with SO_REUSEPORT, recvmmsg batches of 32
 *       datagrams of up to 2048 bytes; answers over 512 bytes (no EDNS) or over min(client size, 1232)
 *       go out as TC=1 with the question only (RFC 6891 §7).</li>
 *   <li>TCP (RFC 7766): 2-byte framing, pipelined queries answered as they complete, half-close
 *       answered then closed, a connection with no complete query or answer for 10 s closed (the idle
 *       timer sits behind the frame decoder, so trickled bytes do not count), at most 4096
 *       connections, a frame announcing more than 4096 bytes or not holding a query closes that
 *       connection only; reading pauses while 128 queries of one connection are pending or while
 *       more than 64 KiB of its answers wait to be written.</li>
 *   <li>Stop: TCP listeners close, all sockets stop reading (anything read afterwards is dropped),
 *       queries already read are answered (up to the drain timeout), then everything closes.</li>
 * </ul>
 *
 * <h2>Counters</h2>
 * {@link io.nodedns.server.QueryCounters}, what has no zone or is not per query: drops (short,
 * QR=1), FORMERR, NOTIMP, BADVERS, REFUSED, unforwardable names, upstream failures, malformed
 * upstream answers, coalesced misses, truncations, rejected TCP connections. Per-query counts live
 * only in ZoneMetrics, so the hot path counts each thing once. {@link io.nodedns.server.ZoneMetrics}, one
 * per listener zone (plus {@code "dropped"} for names no zone takes): queries by proto, family and
 * {@link io.nodedns.server.QtypeBuckets type bucket}, responses by plugin and
 * {@link io.nodedns.server.RcodeBuckets RCODE}, cache hits by type and misses, request durations in
 * CoreDNS's buckets; LongAdder arrays indexed by those buckets, read by the metrics package.
 */
package io.nodedns.server;
