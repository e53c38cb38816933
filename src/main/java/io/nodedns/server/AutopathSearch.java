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
 * The search path of one client query, resolved here ({@code autopath}) in two waves, each name
 * through the block that owns it (its cache, its flights, its forwarder):
 * <ol>
 *   <li>the asked name and the namespace check {@code NS.svc.ZONE} A, together;</li>
 *   <li>if the asked name is NXDOMAIN and the namespace exists, every search name at once.</li>
 * </ol>
 * The client gets a CNAME from the asked name to the first search name <em>in search order</em>
 * that is NOERROR, plus its records, as soon as every name before it is known to be NXDOMAIN (later
 * ones are not waited for); or, when none exists or one before the found name fails, the asked
 * name's own answer, so it searches on by itself exactly as without autopath. The choice is the one
 * a walk one name after the other would make; only the waiting is shorter: about two upstream round
 * trips instead of one per search name.
 *
 * <p>Why two waves and not the search names along with the asked name: speculation would cost
 * queries only when the asked name exists or names no namespace, but names that exist under a
 * namespace are common ({@code pod.headless} of a StatefulSet), and each would then send
 * {@code pod.headless.} and {@code pod.headless.<node domain>} to the node's resolvers, outside the
 * cluster, on every miss. Wave 1 costs one kube-dns round trip, which in a cluster is short next
 * to the external ones the search names wait for.
 *
 * <p>Results arrive on whatever thread completes each flight (or at once from a cache, on the
 * thread launching it): every state change holds this object's monitor, re-entered when a launch
 * answers synchronously. Callouts under it (cache lookups, joining flights, the responder) take no
 * lock of ours and never wait for another search. Once the client is answered, later results are
 * ignored here; their blocks have cached them already (a later plain query finds them), and they
 * hold no buffers ({@link CachedAnswer}s are heap bytes), so nothing is left to release.
 */
final class AutopathSearch {
    /** Results of a search name, indexed by its position in the search order. */
    private static final byte PENDING = 0;
    private static final byte NXDOMAIN = 1;
    /** filter_aaaa's NODATA says nothing about whether the name exists: passed over, as if absent. */
    private static final byte PASSED_OVER = 2;
    private static final byte FOUND = 3;
    /** SERVFAIL, REFUSED, truncated, no block or forwarder for it: the search ends with the asked answer. */
    private static final byte FAILED = 4;

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

    /** The asked name's NXDOMAIN, once known (an answer of any other kind is sent at once). */
    private CachedAnswer asked;
    private long askedAge;
    private boolean askedFromCache;
    /** The namespace check's result: null while unknown, then whether NS.svc.ZONE exists. */
    private Boolean namespaceExists;
    /** Per search name, in search order: PENDING, NXDOMAIN...; null until wave 2 starts. */
    private byte[] results;
    /** Per search name, the answer a FOUND or NXDOMAIN result came with, and its age then. */
    private CachedAnswer[] answers;
    private long[] ages;
    /** The first search name whose result the choice has not read yet. */
    private int next;
    /** How long every NXDOMAIN the answer rests on still holds: its TTLs may not promise more. */
    private long chainTtl = Long.MAX_VALUE;
    /** Set when the client has its answer: nothing is sent twice, nothing more is launched. */
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
        search.firstWave(askedHit, askedHitAge, block);
    }

    /** Wave 1: the asked name (unless its hit is given) and the namespace check, both in flight at once. */
    private synchronized void firstWave(CachedAnswer askedHit, long askedHitAge, BlockResolver block) {
        Step askedStep = new Step(Step.ASKED);
        if (askedHit != null) {
            askedStep.answered(askedHit, askedHitAge, true);
        } else {
            block.await(query.key(), zone, tcp, alloc, askedStep);
        }
        if (!finished) {
            // Sent before the asked name's answer is known, so also when that name exists: one more query
            // per namespace and cache lifetime (the walk sent it only after an NXDOMAIN).
            launch(rules.namespaceKey(query.key(), zoneIndex), new Step(Step.NAMESPACE), false);
        }
    }

    /** Wave 2: every search name at once; stops launching as soon as the choice is made (cache hits). */
    private void secondWave() {
        int count = rules.stepCount(zoneIndex);
        results = new byte[count];
        answers = new CachedAnswer[count];
        ages = new long[count];
        for (int i = 0; i < count && !finished; i++) {
            launch(rules.stepKey(query.key(), zoneIndex, i), new Step(i), true);
        }
    }

    /**
     * Resolves {@code key} through the block that owns it, as a client's query for it would be;
     * the result goes to {@code step}, at once when nothing needs to be sent.
     *
     * @param searchName whether {@code key} is a search name (filter_aaaa passes those over)
     */
    private void launch(QuestionKey key, Step step, boolean searchName) {
        int route = router.routeIndex(key);
        if (route < 0) {
            step.failed(DnsWire.RCODE_REFUSED); // no block takes it: the client would have been REFUSED
            return;
        }
        BlockResolver block = router.resolver(route);
        ZoneMetrics owner = router.metrics(route);
        AaaaFilter filter = block.aaaaFilter();
        if (searchName && filter != null && filter.filteredZone(key) >= 0) {
            passedOver(step.index);
            return;
        }
        CachedAnswer hit = block.lookup(key, owner);
        if (hit != null) {
            step.answered(hit, hit.ageSeconds(block.nowNanos()), true);
        } else if (block.forwards(key)) {
            block.await(key, owner, tcp, alloc, step);
        } else {
            step.failed(DnsWire.RCODE_SERVFAIL); // the block would have answered SERVFAIL
        }
    }

    private void onAnswer(int index, CachedAnswer entry, long ageSeconds, boolean fromCache) {
        ResponseKind kind = entry.template().kind();
        if (index == Step.ASKED) {
            if (kind != ResponseKind.NXDOMAIN) {
                // A name that exists (a real service, a pod's hostname) is answered as it is.
                answer(entry, ageSeconds, fromCache, fromCache ? ZoneMetrics.PLUGIN_CACHE : ZoneMetrics.PLUGIN_FORWARD);
                return;
            }
            asked = entry;
            askedAge = ageSeconds;
            askedFromCache = fromCache;
            chainTtl = remainingSeconds(entry, ageSeconds);
            afterFirstWave();
            return;
        }
        if (index == Step.NAMESPACE) {
            namespaceExists = kind == ResponseKind.SUCCESS || kind == ResponseKind.NODATA;
            afterFirstWave();
            return;
        }
        if (kind == ResponseKind.NXDOMAIN) {
            record(index, NXDOMAIN, entry, ageSeconds);
        } else if ((kind != ResponseKind.SUCCESS && kind != ResponseKind.NODATA) || entry.template().truncated()) {
            record(index, FAILED, null, 0); // the client searches on by itself, as without autopath
        } else {
            record(index, FOUND, entry, ageSeconds);
        }
    }

    private void onFailure(int index, int rcode) {
        if (index == Step.ASKED) {
            // The asked name itself failed: what the client would have got without autopath.
            if (rcode == DnsWire.RCODE_REFUSED) {
                counters.refused.increment();
            } else {
                counters.upstreamFailures.increment();
            }
            answerError(rcode);
        } else if (index == Step.NAMESPACE) {
            namespaceExists = false;
            afterFirstWave();
        } else {
            record(index, FAILED, null, 0);
        }
    }

    /** Wave 1 is over once both are known: a namespace that does not exist means no first search name. */
    private void afterFirstWave() {
        if (asked == null || namespaceExists == null) {
            return;
        }
        if (namespaceExists) {
            secondWave();
        } else {
            answerAsked();
        }
    }

    private void passedOver(int index) {
        record(index, PASSED_OVER, null, 0);
    }

    private void record(int index, byte result, CachedAnswer entry, long ageSeconds) {
        results[index] = result;
        answers[index] = entry;
        ages[index] = ageSeconds;
        choose();
    }

    /**
     * Reads the results in search order as far as they are known: the first name found answers once
     * every name before it is NXDOMAIN (or passed over); a failure before it, or nothing found,
     * answers the asked name.
     */
    private void choose() {
        for (; next < results.length; next++) {
            switch (results[next]) {
                case PENDING:
                    return;
                case NXDOMAIN:
                    chainTtl = Math.min(chainTtl, remainingSeconds(answers[next], ages[next]));
                    break;
                case PASSED_OVER:
                    break;
                case FOUND:
                    answerFound(next);
                    return;
                default:
                    answerAsked();
                    return;
            }
        }
        answerAsked();
    }

    private void answerFound(int index) {
        CachedAnswer entry = answers[index];
        long cnameTtl = Math.min(chainTtl, remainingSeconds(entry, ages[index]));
        AnswerTemplate cname = SynthesizedAnswers.cnameTo(query.key(), entry.template(), entry.lifetimeSeconds(),
                ages[index], cnameTtl, chainTtl);
        if (cname == null) {
            answerAsked();
            return;
        }
        counters.autopathAnswers.increment();
        // The client would have sent every search name up to this one itself.
        counters.autopathQueriesSaved.add(index + 1);
        answer(new CachedAnswer(cname, Long.MAX_VALUE, 0), 0, true, ZoneMetrics.PLUGIN_AUTOPATH);
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

    /** One name of the search, told its result once (by a block, or by {@link #launch} directly). */
    private final class Step implements BlockResolver.StepListener {
        static final int ASKED = -2;
        static final int NAMESPACE = -1;

        /** {@link #ASKED}, {@link #NAMESPACE}, or the search name's position in the search order. */
        final int index;

        Step(int index) {
            this.index = index;
        }

        @Override
        public void answered(CachedAnswer entry, long ageSeconds, boolean fromCache) {
            synchronized (AutopathSearch.this) {
                if (finished) {
                    return; // decided without it; its block has cached it
                }
                try {
                    onAnswer(index, entry, ageSeconds, fromCache);
                } catch (RuntimeException e) {
                    answerDespite();
                    throw e;
                }
            }
        }

        @Override
        public void failed(int rcode) {
            synchronized (AutopathSearch.this) {
                if (finished) {
                    return;
                }
                try {
                    onFailure(index, rcode);
                } catch (RuntimeException e) {
                    answerDespite();
                    throw e;
                }
            }
        }

        /** The client gets an answer no matter what a step did (the block logs the failure). */
        private void answerDespite() {
            if (!finished) {
                if (asked != null) {
                    answerAsked();
                } else {
                    answerError(DnsWire.RCODE_SERVFAIL);
                }
            }
        }
    }
}
