package io.nodedns.server;

import io.netty.buffer.ByteBufAllocator;
import io.nodedns.cache.CachedAnswer;
import io.nodedns.wire.AnswerTemplate;
import io.nodedns.wire.DnsWire;
import io.nodedns.wire.ParsedQuery;
import io.nodedns.wire.QuestionKey;
import io.nodedns.wire.ResponseKind;
import io.nodedns.wire.SynthesizedAnswers;

/**
 * The search path of one client query, resolved here ({@code autopath}): the asked name first; if it
 * is NXDOMAIN, whether its namespace label names a namespace; then each search name in order, each
 * through the block that owns it (its cache, its flights, its forwarder), until one is NOERROR.
 * The client gets a CNAME from the asked name to that one plus its records, or, when none exists or
 * anything fails, the asked name's own answer, so it searches on by itself exactly as without
 * autopath. One step at a time; a step answered by a cache runs at once, one that waits for an
 * upstream continues on the thread that completes it (never two at once, so no locking).
 */
final class AutopathSearch implements BlockResolver.StepListener {
    private final ParsedQuery query;
    private final Responder responder;
    private final Object client;
    private final boolean tcp;
    private final ByteBufAllocator alloc;
    private final ZoneRouter router;
    private final AutopathRules rules;
    private final int zoneIndex;
    /** The asked name's zone: where the client's response and its duration are counted. */
    private final ZoneMetrics zone;
    private final int qtypeBucket;
    private final long startNanos;
    private final QueryCounters counters;
    private final PendingQueries pending;

    /** -2 the asked name, -1 the namespace check, then the search step. */
    private int step = -2;
    private CachedAnswer asked;
    private long askedAge;
    private boolean askedFromCache;
    /** How long every NXDOMAIN the answer rests on still holds: its TTLs may not promise more. */
    private long chainTtl = Long.MAX_VALUE;
    /** Set when the client has its answer: nothing is sent twice, even after a failing step. */
    private boolean finished;

    private AutopathSearch(ParsedQuery query, Responder responder, Object client, boolean tcp, ByteBufAllocator alloc,
                           ZoneRouter router, AutopathRules rules, int zoneIndex, ZoneMetrics zone, int qtypeBucket,
                           long startNanos, QueryCounters counters, PendingQueries pending) {
        this.query = query;
        this.responder = responder;
        this.client = client;
        this.tcp = tcp;
        this.alloc = alloc;
        this.router = router;
        this.rules = rules;
        this.zoneIndex = zoneIndex;
        this.zone = zone;
        this.qtypeBucket = qtypeBucket;
        this.startNanos = startNanos;
        this.counters = counters;
        this.pending = pending;
    }

    /**
     * Searches for {@code query} (a {@link ParsedQuery#copy()}), a candidate of {@code rules} in zone
     * {@code zoneIndex}, whose own name {@code block} either answered from its cache with
     * {@code askedHit} or missed (null; then {@link BlockResolver#forwards} must hold). The client's
     * request is already counted in {@code zone}; its response will be.
     */
    static void start(ParsedQuery query, CachedAnswer askedHit, long askedHitAge, BlockResolver block,
                      Responder responder, Object client, boolean tcp, ByteBufAllocator alloc, ZoneRouter router,
                      int zoneIndex, ZoneMetrics zone, int qtypeBucket, long startNanos, QueryCounters counters) {
        PendingQueries pending = block.pending();
        AutopathSearch search = new AutopathSearch(query, responder, client, tcp, alloc, router, block.autopath(),
                zoneIndex, zone, qtypeBucket, startNanos, counters, pending);
        pending.add();
        if (askedHit != null) {
            search.answered(askedHit, askedHitAge, true);
        } else {
            block.await(query.key(), zone, tcp, alloc, search);
        }
    }

    @Override
    public void answered(CachedAnswer entry, long ageSeconds, boolean fromCache) {
        try {
            onAnswer(entry, ageSeconds, fromCache);
        } catch (RuntimeException e) {
            // The client gets an answer no matter what a step did (the caller logs the failure).
            if (!finished) {
                if (asked != null) {
                    answerAsked();
                } else {
                    answerError(DnsWire.RCODE_SERVFAIL);
                }
            }
            throw e;
        }
    }

    private void onAnswer(CachedAnswer entry, long ageSeconds, boolean fromCache) {
        ResponseKind kind = entry.template().kind();
        if (step == -2) {
            if (kind != ResponseKind.NXDOMAIN) {
                // A name that exists (a real service, a pod's hostname) is answered as it is.
                answer(entry, ageSeconds, fromCache, fromCache ? ZoneMetrics.PLUGIN_CACHE : ZoneMetrics.PLUGIN_FORWARD);
                return;
            }
            asked = entry;
            askedAge = ageSeconds;
            askedFromCache = fromCache;
            chainTtl = remainingSeconds(entry, ageSeconds);
            step = -1;
            resolve(rules.namespaceKey(query.key(), zoneIndex));
            return;
        }
        if (step == -1) {
            if (kind != ResponseKind.SUCCESS && kind != ResponseKind.NODATA) {
                answerAsked(); // not a namespace: the asked name is not a first search name
                return;
            }
            next();
            return;
        }
        if (kind == ResponseKind.NXDOMAIN) {
            chainTtl = Math.min(chainTtl, remainingSeconds(entry, ageSeconds));
            next();
            return;
        }
        if ((kind != ResponseKind.SUCCESS && kind != ResponseKind.NODATA) || entry.template().truncated()) {
            answerAsked(); // SERVFAIL, REFUSED...: the client searches on by itself, as without autopath
            return;
        }
        long cnameTtl = Math.min(chainTtl, remainingSeconds(entry, ageSeconds));
        AnswerTemplate cname = SynthesizedAnswers.cnameTo(query.key(), entry.template(), entry.lifetimeSeconds(),
                ageSeconds, cnameTtl, chainTtl);
        if (cname == null) {
            answerAsked();
            return;
        }
        counters.autopathAnswers.increment();
        // The client would have sent every search name up to this one itself.
        counters.autopathQueriesSaved.add(step + 1);
        answer(new CachedAnswer(cname, Long.MAX_VALUE, 0), 0, true, ZoneMetrics.PLUGIN_AUTOPATH);
    }

    @Override
    public void failed(int rcode) {
        if (asked == null) {
            // The asked name itself failed: what the client would have got without autopath.
            if (rcode == DnsWire.RCODE_REFUSED) {
                counters.refused.increment();
            } else {
                counters.upstreamFailures.increment();
            }
            answerError(rcode);
            return;
        }
        answerAsked();
    }

    /** The next search name, or the asked name's own answer when none is left. */
    private void next() {
        step++;
        if (step >= rules.stepCount(zoneIndex)) {
            answerAsked();
            return;
        }
        resolve(rules.stepKey(query.key(), zoneIndex, step));
    }

    /** Resolves {@code key} through the block that owns it, as a client's query for it would be. */
    private void resolve(QuestionKey key) {
        int route = router.routeIndex(key);
        if (route < 0) {
            answerAsked(); // no block takes it: the client would have been REFUSED
            return;
        }
        BlockResolver block = router.resolver(route);
        ZoneMetrics owner = router.metrics(route);
        AaaaFilter filter = block.aaaaFilter();
        if (step >= 0 && filter != null && filter.filteredZone(key) >= 0) {
            // filter_aaaa's NODATA says nothing about whether the name exists: look further.
            next();
            return;
        }
        CachedAnswer hit = block.lookup(key, owner);
        if (hit != null) {
            answered(hit, hit.ageSeconds(block.nowNanos()), true);
        } else if (block.forwards(key)) {
            block.await(key, owner, tcp, alloc, this);
        } else {
            answerAsked();
        }
    }

    /**
     * Seconds {@code entry} still holds as an answer: its TTLs lowered by age and capped by its cache
     * lifetime; for a denial, RFC 2308's negative TTL (0 without an SOA: nothing may cache it).
     */
    private static long remainingSeconds(CachedAnswer entry, long ageSeconds) {
        AnswerTemplate t = entry.template();
        long ttl = t.kind() == ResponseKind.SUCCESS ? t.minTtl() : t.negativeTtl();
        if (ttl < 0) {
            ttl = 0;
        }
        return Math.max(0, Math.min(ttl, entry.lifetimeSeconds()) - ageSeconds);
    }

    private void answerAsked() {
        answer(asked, askedAge, askedFromCache, askedFromCache ? ZoneMetrics.PLUGIN_CACHE : ZoneMetrics.PLUGIN_FORWARD);
    }

    private void answer(CachedAnswer entry, long ageSeconds, boolean fromCache, int plugin) {
        finished = true;
        try {
            responder.answer(query, client, entry, ageSeconds, fromCache);
            zone.countResponse(plugin, entry.template().rcode());
            zone.recordSince(qtypeBucket, startNanos);
        } finally {
            pending.done();
        }
    }

    private void answerError(int rcode) {
        finished = true;
        try {
            responder.error(query, client, rcode);
            zone.countResponse(ZoneMetrics.PLUGIN_NONE, rcode);
            zone.recordSince(qtypeBucket, startNanos);
        } finally {
            pending.done();
        }
    }
}
