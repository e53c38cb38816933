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
 *          no block / no forward for the name: REFUSED; upstream failed: SERVFAIL;
 *          forward max_concurrent exceeded: REFUSED
 * </pre>
 *
 * <h2>Transport behaviour</h2>
 * <ul>
 *   <li>UDP: one channel per event loop per address with SO_REUSEPORT, recvmmsg batches of 32
 *       datagrams of up to 2048 bytes; answers over 512 bytes (no EDNS) or over min(client size, 1232)
 *       go out as TC=1 with the question only (RFC 6891 §7).</li>
 *   <li>TCP (RFC 7766): 2-byte framing, pipelined queries answered as they complete, half-close
 *       answered then closed, idle connections closed after 10 s, at most 4096 connections, a frame
 *       announcing more than 4096 bytes or not holding a query closes that connection only; reading
 *       pauses while 128 queries of one connection are pending.</li>
 *   <li>Stop: TCP listeners close, all sockets stop reading, queries already read are answered (up to
 *       the drain timeout), then everything closes.</li>
 * </ul>
 *
 * <h2>Counters</h2>
 * {@link io.nodedns.server.QueryCounters}: queries by transport, drops (short, QR=1), FORMERR,
 * NOTIMP, BADVERS, REFUSED, upstream failures, malformed upstream answers, cache hits and misses,
 * coalesced misses, truncations, rejected TCP connections.
 */
package io.nodedns.server;
