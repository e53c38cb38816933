package io.nodedns.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.nodedns.cache.CachedAnswer;
import io.nodedns.wire.DnsTypes;
import io.nodedns.wire.DnsWire;
import io.nodedns.wire.ParsedQuery;
import io.nodedns.wire.QueryVerdict;
import io.nodedns.wire.ResponseKind;
import java.util.logging.Logger;

/**
 * The per-message pipeline shared by the UDP and TCP handlers of one listener:
 * parse header and question, answer protocol errors, route to a server block,
 * answer from its cache or hand the miss to it (RFC 1035 §4.1, RFC 6891 §6.1.3).
 * Thread-safe; its one piece of state is the router, which a reload swaps. The caller supplies
 * scratch space.
 */
final class QueryProcessor {
    private static final Logger QUERY_LOG = Logger.getLogger("io.nodedns.queries");

    /** Swapped by a reload; read once per message, so one message sees one configuration. */
    private volatile ZoneRouter router;
    private final QueryCounters counters;

    QueryProcessor(ZoneRouter router, QueryCounters counters) {
        this.router = router;
        this.counters = counters;
    }

    ZoneRouter router() {
        return router;
    }

    /** Routes the messages read from now on with {@code next}; those already routed finish with the old one. */
    void router(ZoneRouter next) {
        router = next;
    }

    QueryCounters counters() {
        return counters;
    }

    /**
     * Handles one received message. Does not release {@code msg}. Exactly one
     * call to {@code responder} follows (now or later) unless the message is dropped.
     *
     * @param scratch this event loop's parse space; a miss keeps a copy of it
     * @return false if the message was dropped (a TCP caller closes the connection)
     */
    boolean process(ByteBuf msg, ParsedQuery scratch, Responder responder, Object client, boolean tcp,
                    boolean ipv6, ByteBufAllocator alloc) {
        QueryVerdict verdict = scratch.parse(msg);
        switch (verdict) {
            case DROP_SHORT:
                counters.droppedShort.increment();
                return false;
            case DROP_RESPONSE:
                counters.droppedResponses.increment();
                return false;
            case FORMERR:
                counters.formerr.increment();
                responder.error(scratch, client, DnsWire.RCODE_FORMERR);
                return true;
            case NOTIMP:
                counters.notimp.increment();
                responder.error(scratch, client, DnsWire.RCODE_NOTIMP);
                return true;
            case BADVERS:
                counters.badvers.increment();
                responder.error(scratch, client, DnsWire.RCODE_BADVERS);
                return true;
            case ANSWER:
                break;
            default:
                throw new IllegalStateException("unknown verdict " + verdict);
        }
        ZoneRouter router = this.router;
        int route = router.routeIndex(scratch.key());
        if (route < 0) {
            // CoreDNS counts these under zone "dropped" (core/dnsserver errorAndMetricsFunc).
            ZoneMetrics dropped = router.dropped();
            long start = dropped.startNanos();
            int qtypeBucket = dropped.countRequest(tcp, ipv6, scratch.qtype());
            counters.refused.increment();
            responder.error(scratch, client, DnsWire.RCODE_REFUSED);
            dropped.countResponse(ZoneMetrics.PLUGIN_NONE, DnsWire.RCODE_REFUSED);
            dropped.recordSince(qtypeBucket, start);
            return true;
        }
        BlockResolver block = router.resolver(route);
        ZoneMetrics zone = router.metrics(route);
        long start = zone.startNanos();
        int qtypeBucket = zone.countRequest(tcp, ipv6, scratch.qtype());
        if (block.logQueries()) {
            logQuery(scratch, client, tcp, msg.readableBytes());
        }
        AaaaFilter filter = block.aaaaFilter();
        if (filter != null && filterAaaa(filter, scratch, responder, client, zone, qtypeBucket, start)) {
            return true;
        }
        CachedAnswer hit = block.lookup(scratch.key(), zone);
        AutopathRules autopath = block.autopath();
        if (hit != null) {
            // One null check for blocks without autopath; with it, only NXDOMAIN hits look at the name.
            if (autopath != null && hit.template().kind() == ResponseKind.NXDOMAIN) {
                int autopathZone = autopath.candidateZone(scratch.key());
                if (autopathZone >= 0 && AutopathSearch.start(scratch.copy(), hit, hit.ageSeconds(block.nowNanos()),
                        block, responder, client, tcp, alloc, router, autopathZone, zone, qtypeBucket, start,
                        counters)) {
                    return true;
                }
            }
            responder.answer(scratch, client, hit, hit.ageSeconds(block.nowNanos()), true);
            zone.countResponse(ZoneMetrics.PLUGIN_CACHE, hit.template().rcode());
            zone.recordSince(qtypeBucket, start);
        } else {
            int autopathZone = autopath == null || !block.forwards(scratch.key()) ? -1
                    : autopath.candidateZone(scratch.key());
            ParsedQuery query = scratch.copy();
            if (autopathZone < 0 || !AutopathSearch.start(query, null, 0, block, responder, client, tcp, alloc,
                    router, autopathZone, zone, qtypeBucket, start, counters)) {
                block.resolve(query, responder, client, alloc, zone, qtypeBucket, start);
            }
        }
        return true;
    }

    /**
     * {@code filter_aaaa}: answers a filtered AAAA query with NODATA and the zone's synthesized SOA,
     * never asking anyone; false if the query is not filtered.
     */
    private boolean filterAaaa(AaaaFilter filter, ParsedQuery query, Responder responder, Object client,
                               ZoneMetrics zone, int qtypeBucket, long start) {
        int filtered = filter.filteredZone(query.key());
        if (filtered < 0) {
            return false;
        }
        counters.filteredAaaa.increment();
        responder.answer(query, client, filter.answer(query.key(), filtered), 0, true);
        zone.countResponse(ZoneMetrics.PLUGIN_FILTER_AAAA, DnsWire.RCODE_NOERROR);
        zone.recordSince(qtypeBucket, start);
        return true;
    }

    /** The {@code log} directive: CoreDNS's common log format, less the answer fields. */
    private static void logQuery(ParsedQuery q, Object client, boolean tcp, int size) {
        QUERY_LOG.info(String.format("%s - %d \"%s %s %s %s %d %s %d\"", client == null ? "tcp" : client, q.id(),
                DnsTypes.name(q.qtype()), q.qclass() == DnsWire.CLASS_IN ? "IN" : "CLASS" + q.qclass(),
                q.key().nameText(), tcp ? "tcp" : "udp", size, q.dnssecOk(),
                q.ednsUdpSize()));
    }
}
