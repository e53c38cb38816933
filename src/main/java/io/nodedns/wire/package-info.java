/**
 * DNS messages as bytes: views over Netty {@code ByteBuf}s, no I/O, no record objects.
 *
 * <h2>What is here</h2>
 * <ul>
 *   <li>{@link io.nodedns.wire.ParsedQuery}: header, question and OPT of a received query, parsed in
 *       place into reusable scratch space, with the verdict ({@link io.nodedns.wire.QueryVerdict}):
 *       answer, drop (shorter than a header, or QR=1), FORMERR (QDCOUNT != 1, bad name, bad or
 *       duplicate OPT, qtype OPT), NOTIMP (opcode other than QUERY; AXFR, IXFR, MAILA, MAILB), BADVERS
 *       (EDNS version above 0).</li>
 *   <li>{@link io.nodedns.wire.QuestionKey}: the cache key (lower-cased wire name, QTYPE, QCLASS, DO,
 *       CD), in a scratch flavour for allocation-free lookups and an immutable stored flavour.</li>
 *   <li>{@link io.nodedns.wire.ResponseScanner}: validates an upstream response once and makes an
 *       {@link io.nodedns.wire.AnswerTemplate}: bytes without the OPT record, the offset of every TTL,
 *       the kind (success, NODATA, NXDOMAIN, SERVFAIL, other), the minimum TTL and the RFC 2308 negative
 *       TTL (min of SOA TTL and SOA MINIMUM).</li>
 *   <li>{@link io.nodedns.wire.ResponseWriter}: replays a template for a client (its ID, RD/CD bits,
 *       name case; TTLs lowered by age and capped by the cache lifetime; our OPT if it sent one;
 *       TC=1 with the question only if too large) and writes locally made errors.</li>
 *   <li>{@link io.nodedns.wire.UpstreamQuery}: the one query sent upstream for a cache key.</li>
 *   <li>{@link io.nodedns.wire.SynthesizedAnswers}: answers made here, built whole and scanned like an
 *       upstream's: filter_aaaa's NODATA with a synthesized SOA, and autopath's CNAME answer, which
 *       splices the found answer's records behind a CNAME and moves their compression pointers.</li>
 * </ul>
 *
 * <h2>Why bytes and not a codec</h2>
 * Netty's DNS codec re-encodes records and corrupts SOA/SRV RDATA whose names are compression
 * pointers into the original message; and building a record graph per query costs more than the
 * whole cache hit. A hit is a copy of stored bytes plus a handful of two- and four-byte patches at
 * offsets recorded once, when the answer arrived.
 *
 * <h2>Ownership</h2>
 * Nothing here retains or releases a buffer it is given; methods that write append at the
 * output's writer index and the caller owns the output.
 */
package io.nodedns.wire;
