package io.nodedns.server;

import io.netty.buffer.ByteBufAllocator;
import io.nodedns.cache.CachedAnswer;
import io.nodedns.wire.AnswerTemplate;
import io.nodedns.wire.DnsWire;
import io.nodedns.wire.ParsedQuery;
import io.nodedns.wire.QuestionKey;
import io.nodedns.wire.ResponseKind;
import io.nodedns.wire.SynthesizedAnswers;
import java.util.function.Supplier;

/**
 * The search path of one client query, resolved here ({@code autopath}) in waves, each name
 * through the block that owns it (its cache, its flights, its forwarder):
 * <ol>
 *   <li>the asked name and the namespace check {@code NS.svc.ZONE} A, together;</li>
 *   <li>if the asked name is NXDOMAIN and the namespace exists, the search names under the cluster
 *       zone ({@code NAME.svc.ZONE}, {@code NAME.ZONE}) at once;</li>
 *   <li>only if each of those is NXDOMAIN (or passed over), the names that leave the cluster (the
 *       node's search domains, the root) at once.</li>
 * </ol>
 * The client gets a CNAME from the asked name to the first search name <em>in search order</em>
 * that is NOERROR, plus its records, as soon as every name before it is known to be NXDOMAIN (later
 * ones are not waited for); or, when none exists or one before the found name fails, the asked
 * name's own answer, so it searches on by itself exactly as without autopath. The choice is the one
 * a walk one name after the other would make; only the waiting is shorter: three upstream round
 * trips at most (two of them to kube-dns) instead of one per search name.
 *
 * <p>Why the waves: a name sent before the client would have sent it is a query it never made.
 * Inside the cluster that costs a kube-dns query; outside it, it tells the node's resolvers (and
 * whoever they forward to) a cluster name: a service of another namespace, {@code db.other}, would
 * send {@code db.other.<node domain>} and {@code db.other.} out on every cache miss. So nothing
 * leaves the cluster unless every cluster name before it is NXDOMAIN, exactly when the client's own
 * search would have got there. Within a wave the names go together: speculation there costs queries
 * only to the same upstream ({@code db.other.ZONE} after {@code db.other.svc.ZONE} was found, or
 * the root name after a node domain was). The search names are not sent along with the asked name:
 * names that exist under a namespace are common ({@code pod.headless} of a StatefulSet), and each
 * would then send its search names on every miss. The two cluster waves cost one kube-dns round
 * trip each, which in a cluster is short next to the external one.
 *
 * <p>Results arrive on whatever thread completes each flight, or at once from a cache on the thread
 * launching the name. Each result changes the state under this object's monitor and decides what
 * happens next (nothing yet, launching the next wave, the client's answer: sent once, as
 * {@link #finished} is set with the decision); that is done after the monitor is released. No lock
 * is held while a block is called: a block may deliver at once (a cache hit, a forwarder refusing a
 * query over {@code max_concurrent}) to any waiter of the flight, another search's among them, and
 * two searches holding their monitors while calling each other's could deadlock. Once the client is
 * answered, later results are ignored here; their blocks have cached them already (a later plain
 * query finds them), and they hold no buffers ({@link CachedAnswer}s are heap bytes), so nothing
 * is left to release.
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
    /** Per search name, in search order: PENDING, NXDOMAIN...; null until the search names start. */
    private byte[] results;
    /** Per search name, the answer a FOUND or NXDOMAIN result came with, and its age then. */
    private CachedAnswer[] answers;
    private long[] ages;
    /** The first search name whose result the choice has not read yet. */
    private int next;
    /** The search names before this one are launched (or being launched); the others wait their wave. */
    private int launched;
    /** How long every NXDOMAIN the answer rests on still holds: its TTLs may not promise more. */
    private long chainTtl = Long.MAX_VALUE;
    /** Set when the client's answer is decided: nothing is sent twice, nothing more is launched. */
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
     *
     * @return false, having started nothing, when {@link PendingQueries} is at its bound: the caller
     *         then answers the query as a block without autopath would, which applies the overload
     *         rule (stale or SERVFAIL at once) to a miss. A search must not be a way around that bound.
     */
    static boolean start(ParsedQuery query, CachedAnswer askedHit, long askedHitAge, BlockResolver block,
                         Responder responder, Object client, boolean tcp, ByteBufAllocator alloc, ZoneRouter router,
                         int zoneIndex, ZoneMetrics zone, int qtypeBucket, long startNanos, QueryCounters counters) {
        PendingQueries pending = block.pending();
        if (!pending.tryAdd()) {
            return false;
        }
        AutopathSearch search = new AutopathSearch(query, responder, client, tcp, alloc, router, block.autopath(),
                zoneIndex, zone, qtypeBucket, startNanos, counters, pending);
        search.firstWave(askedHit, askedHitAge, block);
        return true;
    }

    /** Wave 1: the asked name (unless its hit is given) and the namespace check, both in flight at once. */
    private void firstWave(CachedAnswer askedHit, long askedHitAge, BlockResolver block) {
        Step askedStep = new Step(Step.ASKED);
        if (askedHit != null) {
            askedStep.answered(askedHit, askedHitAge, true);
        } else {
            block.await(query.key(), zone, tcp, alloc, askedStep);
        }
        if (!finished()) {
            // Sent before the asked name's answer is known, so also when that name exists: one more query
            // per namespace and cache lifetime (the walk sent it only after an NXDOMAIN).
            launch(rules.namespaceKey(query.key(), zoneIndex), new Step(Step.NAMESPACE), false);
        }
    }

    /**
     * Launches search names {@code from} (inclusive) to {@code to} (exclusive) at once; stops as soon as
     * the choice is made (cache hits).
     */
    private void searchWave(int from, int to) {
        for (int i = from; i < to && !finished(); i++) {
            launch(rules.stepKey(query.key(), zoneIndex, i), new Step(i), true);
        }
    }

    private synchronized boolean finished() {
        return finished;
    }

    /**
     * Resolves {@code key} through the block that owns it, as a client's query for it would be;
     * the result goes to {@code step}, at once when nothing needs to be sent. Holds no lock.
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
            step.passedOver();
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

    // --- state changes: called under the monitor; each returns what to do once it is released, or null

    private Runnable onAnswer(int index, CachedAnswer entry, long ageSeconds, boolean fromCache) {
        ResponseKind kind = entry.template().kind();
        if (index == Step.ASKED) {
            if (kind != ResponseKind.NXDOMAIN) {
                // A name that exists (a real service, a pod's hostname) is answered as it is.
                return reply(entry, ageSeconds, fromCache,
                        fromCache ? ZoneMetrics.PLUGIN_CACHE : ZoneMetrics.PLUGIN_FORWARD);
            }
            asked = entry;
            askedAge = ageSeconds;
            askedFromCache = fromCache;
            chainTtl = remainingSeconds(entry, ageSeconds);
            return afterFirstWave();
        }
        if (index == Step.NAMESPACE) {
            namespaceExists = kind == ResponseKind.SUCCESS || kind == ResponseKind.NODATA;
            return afterFirstWave();
        }
        if (kind == ResponseKind.NXDOMAIN) {
            return record(index, NXDOMAIN, entry, ageSeconds);
        }
        if ((kind != ResponseKind.SUCCESS && kind != ResponseKind.NODATA) || entry.template().truncated()) {
            return record(index, FAILED, null, 0); // the client searches on by itself, as without autopath
        }
        return record(index, FOUND, entry, ageSeconds);
    }

    private Runnable onFailure(int index, int rcode) {
        if (index == Step.ASKED) {
            // The asked name itself failed: what the client would have got without autopath.
            if (rcode == DnsWire.RCODE_REFUSED) {
                counters.refused.increment();
            } else {
                counters.upstreamFailures.increment();
            }
            return replyError(rcode);
        }
        if (index == Step.NAMESPACE) {
            namespaceExists = false;
            return afterFirstWave();
        }
        return record(index, FAILED, null, 0);
    }

    /** Wave 1 is over once both are known: a namespace that does not exist means no first search name. */
    private Runnable afterFirstWave() {
        if (asked == null || namespaceExists == null) {
            return null;
        }
        if (!namespaceExists) {
            return replyAsked();
        }
        int count = rules.stepCount(zoneIndex);
        results = new byte[count];
        answers = new CachedAnswer[count];
        ages = new long[count];
        return choose();
    }

    private Runnable record(int index, byte result, CachedAnswer entry, long ageSeconds) {
        results[index] = result;
        answers[index] = entry;
        ages[index] = ageSeconds;
        return choose();
    }

    /**
     * Reads the results in search order as far as they are known: the first name found answers once
     * every name before it is NXDOMAIN (or passed over); a failure before it, or nothing found,
     * answers the asked name. Reaching a name not launched yet (every one before it NXDOMAIN or
     * passed over) launches its wave: the cluster names, or those that leave the cluster.
     */
    private Runnable choose() {
        for (; next < results.length; next++) {
            switch (results[next]) {
                case PENDING:
                    return next < launched ? null : nextWave();
                case NXDOMAIN:
                    chainTtl = Math.min(chainTtl, remainingSeconds(answers[next], ages[next]));
                    break;
                case PASSED_OVER:
                    break;
                case FOUND:
                    return replyFound(next);
                default:
                    return replyAsked();
            }
        }
        return replyAsked();
    }

    /** The wave that starts at {@link #next}: up to the last cluster name, or to the end of the search. */
    private Runnable nextWave() {
        int from = launched;
        int clusterSteps = rules.clusterStepCount(zoneIndex);
        int to = from < clusterSteps ? clusterSteps : results.length;
        launched = to;
        return () -> searchWave(from, to);
    }

    private Runnable replyFound(int index) {
        CachedAnswer entry = answers[index];
        long cnameTtl = Math.min(chainTtl, remainingSeconds(entry, ages[index]));
        AnswerTemplate cname = SynthesizedAnswers.cnameTo(query.key(), entry.template(), entry.lifetimeSeconds(),
                ages[index], cnameTtl, chainTtl);
        if (cname == null) {
            return replyAsked();
        }
        counters.autopathAnswers.increment();
        // The client would have sent every search name up to this one itself.
        counters.autopathQueriesSaved.add(index + 1);
        return reply(new CachedAnswer(cname, Long.MAX_VALUE, 0), 0, true, ZoneMetrics.PLUGIN_AUTOPATH);
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

    private Runnable replyAsked() {
        return reply(asked, askedAge, askedFromCache,
                askedFromCache ? ZoneMetrics.PLUGIN_CACHE : ZoneMetrics.PLUGIN_FORWARD);
    }

    /** Decides the client's answer (nothing else will be): the returned action sends and counts it. */
    private Runnable reply(CachedAnswer entry, long ageSeconds, boolean fromCache, int plugin) {
        finished = true;
        return () -> {
            try {
                responder.answer(query, client, entry, ageSeconds, fromCache);
                zone.countResponse(plugin, entry.template().rcode());
                zone.recordSince(qtypeBucket, startNanos);
            } finally {
                pending.done();
            }
        };
    }

    private Runnable replyError(int rcode) {
        finished = true;
        return () -> {
            try {
                responder.error(query, client, rcode);
                zone.countResponse(ZoneMetrics.PLUGIN_NONE, rcode);
                zone.recordSince(qtypeBucket, startNanos);
            } finally {
                pending.done();
            }
        };
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
            settle(() -> onAnswer(index, entry, ageSeconds, fromCache));
        }

        @Override
        public void failed(int rcode) {
            settle(() -> onFailure(index, rcode));
        }

        /** filter_aaaa's NODATA for this search name: no query, no result but this. */
        void passedOver() {
            settle(() -> record(index, PASSED_OVER, null, 0));
        }

        /**
         * Applies {@code change} under the monitor unless the client has its answer (then the result
         * is of no use here), and runs what it decided after releasing it.
         */
        private void settle(Supplier<Runnable> change) {
            try {
                Runnable then;
                synchronized (AutopathSearch.this) {
                    if (finished) {
                        return; // decided without it; its block has cached it
                    }
                    then = change.get();
                }
                if (then != null) {
                    then.run();
                }
            } catch (RuntimeException e) {
                answerDespite();
                throw e;
            }
        }

        /** The client gets an answer no matter what a step did (the caller logs the failure). */
        private void answerDespite() {
            Runnable then;
            synchronized (AutopathSearch.this) {
                if (finished) {
                    return;
                }
                then = asked != null ? replyAsked() : replyError(DnsWire.RCODE_SERVFAIL);
            }
            then.run();
        }
    }
}
