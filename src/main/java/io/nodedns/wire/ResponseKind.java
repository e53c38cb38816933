package io.nodedns.wire;

/** How an upstream response is treated by the cache (CoreDNS response.Typify, RFC 2308 §2). */
public enum ResponseKind {
    /** NOERROR with at least one answer record. */
    SUCCESS,
    /** NOERROR with an empty answer section: the name exists, the type does not (RFC 2308 §2.2). */
    NODATA,
    /** NXDOMAIN: the name does not exist (RFC 2308 §2.1). */
    NXDOMAIN,
    /** SERVFAIL: cached only briefly (RFC 2308 §7.1, CoreDNS cache {@code servfail}). */
    SERVFAIL,
    /** REFUSED, NOTIMP, FORMERR or an extended RCODE: passed on, never cached. */
    OTHER
}
