package io.nodedns.server;

import io.nodedns.cache.CachedAnswer;
import io.nodedns.wire.ParsedQuery;

/**
 * Sends answers back to clients of one transport endpoint (a UDP channel or a
 * TCP connection). May be called from any thread; implementations hop to their
 * channel's event loop as needed. Each call answers exactly one query.
 */
interface Responder {
    /**
     * Answers {@code query} from {@code answer}, lowering its TTLs by {@code ageSeconds}.
     *
     * @param client where the query came from (the UDP sender; ignored over TCP)
     */
    void answer(ParsedQuery query, Object client, CachedAnswer answer, long ageSeconds, boolean fromCache);

    /** Answers {@code query} with a locally made error {@code rcode}. */
    void error(ParsedQuery query, Object client, int rcode);
}
