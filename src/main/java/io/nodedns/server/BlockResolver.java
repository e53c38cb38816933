package io.nodedns.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.nodedns.cache.CachedAnswer;
import io.nodedns.cache.PrefetchPolicy;
import io.nodedns.cache.ResponseCache;
import io.nodedns.cache.StalePolicy;
import io.nodedns.upstream.ConcurrencyLimitException;
import io.nodedns.wire.AnswerTemplate;
import io.nodedns.wire.DnsWire;
import io.nodedns.wire.ParsedQuery;
import io.nodedns.wire.QuestionKey;
import io.nodedns.wire.ResponseKind;
import io.nodedns.wire.ResponseScanner;
import io.nodedns.wire.UpstreamQuery;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Answers the queries routed to one server block: from its cache, else by one
 * upstream query per cache key no matter how many clients ask at once
 * (coalescing), whose answer is cached and then sent to every waiting client
 * with its own ID and name case.
 *
 * <p>With the cache's {@code prefetch} or {@code serve_stale}, some entries are refreshed in the
 * background: by a flight with no waiters, so there is still at most one upstream query per key,
 * and clients asking meanwhile are answered from the entry or join that flight. A refresh is
 * handed to {@link #backgroundExecutor} and never holds up the hit that caused it (CoreDNS starts a
 * goroutine). A refresh only replaces the entry with an answer that refreshes the data (NOERROR or
 * NXDOMAIN, RFC 8767 section 4); anything else leaves it as it was.
 */
public final class BlockResolver {
    private static final Logger LOG = Logger.getLogger(BlockResolver.class.getName());

    private final String name;
    private final ResponseCache cache;
    private final byte[][] cacheZones;
    private final byte[] forwardFrom;
    private final UpstreamClient upstream;
    private final QueryCounters counters;
    private final PendingQueries pending;
    private final ErrorLog errorLog;
    private final boolean logQueries;
    private final ConcurrentHashMap<QuestionKey, Flight> inflight = new ConcurrentHashMap<>();
    /** The cache's prefetch, {@link PrefetchPolicy#OFF} without a cache. */
    private final PrefetchPolicy prefetch;
    /** The cache's serve_stale, {@link StalePolicy#OFF} without a cache. */
    private final StalePolicy stale;
    /** Whether a hit may need more than counting: false keeps the plain hit path as it always was. */
    private final boolean refreshing;
    /** Where background refreshes are sent from, off the hit's thread (like CoreDNS's goroutine). */
    private final Executor backgroundExecutor;
    /** The block's {@code autopath}, or null. */
    private final AutopathRules autopath;
    /** The block's {@code filter_aaaa}, or null. */
    private final AaaaFilter aaaaFilter;

    /**
     * Someone inside nodedns waiting for the answer to a key: an autopath search. Told exactly once,
     * possibly on another thread; counts no response (the search answers and counts the client's).
     */
    interface StepListener {
        /** The answer, as a client would get it: {@code entry} lowered by {@code ageSeconds}. */
        void answered(CachedAnswer entry, long ageSeconds, boolean fromCache);

        /** No answer: a client would have got {@code rcode} made here (SERVFAIL, or REFUSED over max_concurrent). */
        void failed(int rcode);
    }

    /**
     * @param name the block's keys, for logs (e.g. {@code cluster.local.:53})
     * @param cache the block's cache, or null without a {@code cache} directive
     * @param cacheZones wire names of the zones the cache is for ({@code cache [TTL] ZONES...}), or
     *     null when it covers every name routed to this block
     * @param forwardFrom wire name of the forward directive's FROM zone, or null without {@code forward}
     * @param upstream where misses go, or null without {@code forward}
     * @param errorLog where failed queries are logged ({@code errors} directive), or null
     * @param logQueries log every query ({@code log} directive)
     */
    public BlockResolver(String name, ResponseCache cache, byte[][] cacheZones, byte[] forwardFrom,
                         UpstreamClient upstream, QueryCounters counters, PendingQueries pending, ErrorLog errorLog,
                         boolean logQueries) {
        this(name, cache, cacheZones, forwardFrom, upstream, counters, pending, errorLog, logQueries, null, null);
    }

    /**
     * As the shorter constructor, with the block's {@code autopath} and {@code filter_aaaa} (each
     * null when absent).
     */
    public BlockResolver(String name, ResponseCache cache, byte[][] cacheZones, byte[] forwardFrom,
                         UpstreamClient upstream, QueryCounters counters, PendingQueries pending, ErrorLog errorLog,
                         boolean logQueries, AutopathRules autopath, AaaaFilter aaaaFilter) {
        this(name, cache, cacheZones, forwardFrom, upstream, counters, pending, errorLog, logQueries,
                ForkJoinPool.commonPool(), autopath, aaaaFilter);
    }

    /**
     * As the public constructor, with background refreshes sent from {@code backgroundExecutor}
     * (tests pass a direct executor to make them deterministic).
     */
    BlockResolver(String name, ResponseCache cache, byte[][] cacheZones, byte[] forwardFrom,
                  UpstreamClient upstream, QueryCounters counters, PendingQueries pending, ErrorLog errorLog,
                  boolean logQueries, Executor backgroundExecutor) {
        this(name, cache, cacheZones, forwardFrom, upstream, counters, pending, errorLog, logQueries,
                backgroundExecutor, null, null);
    }

    private BlockResolver(String name, ResponseCache cache, byte[][] cacheZones, byte[] forwardFrom,
                          UpstreamClient upstream, QueryCounters counters, PendingQueries pending, ErrorLog errorLog,
                          boolean logQueries, Executor backgroundExecutor, AutopathRules autopath,
                          AaaaFilter aaaaFilter) {
        this.name = name;
        this.cache = cache;
        this.cacheZones = cacheZones == null ? null : cacheZones.clone();
        this.forwardFrom = forwardFrom;
        this.upstream = upstream;
        this.counters = counters;
        this.pending = pending;
        this.errorLog = errorLog;
        this.logQueries = logQueries;
        this.prefetch = cache == null ? PrefetchPolicy.OFF : cache.policy().prefetch();
        this.stale = cache == null ? StalePolicy.OFF : cache.policy().stale();
        this.refreshing = prefetch.enabled() || stale.enabled();
        this.backgroundExecutor = backgroundExecutor;
        this.autopath = autopath;
        this.aaaaFilter = aaaaFilter;
    }

    /** The block's {@code autopath}, or null. */
    AutopathRules autopath() {
        return autopath;
    }

    /** Client queries waiting for an answer, for the drain at stop. */
    PendingQueries pending() {
        return pending;
    }

    /** The block's {@code filter_aaaa}, or null. */
    AaaaFilter aaaaFilter() {
        return aaaaFilter;
    }

    /** Whether a miss for {@code key} goes upstream (else {@link #resolve} answers SERVFAIL). */
    boolean forwards(QuestionKey key) {
        return upstream != null && key.isInZone(forwardFrom);
    }

    boolean logQueries() {
        return logQueries;
    }

    public String name() {
        return name;
    }

    /** The block's cache, or null. */
    public ResponseCache cache() {
        return cache;
    }

    /**
     * The cache entry to answer {@code key} from (a scratch key is fine), or null when the query
     * must go to {@link #resolve}; counts the hit (by type) or miss in {@code zone} when the key
     * belongs in the cache. With {@code serve_stale immediate} the entry may be a
     * {@link CachedAnswer#staleView stale view}; an entry found stale counts as a hit, as in CoreDNS.
     */
    CachedAnswer lookup(QuestionKey key, ZoneMetrics zone) {
        if (!cached(key)) {
            return null;
        }
        CachedAnswer hit = cache.get(key);
        if (hit == null) {
            zone.countCacheMiss();
            return null;
        }
        zone.countCacheHit(hit.template().kind() == ResponseKind.SUCCESS);
        if (!refreshing) {
            return hit;
        }
        return refreshOrServeStale(key, hit, zone);
    }

    /**
     * CoreDNS cache's ServeDNS after the lookup: a fresh entry may be due for a prefetch; a stale
     * one is answered at once and refreshed ({@code immediate}) or left to {@link #resolve}, which
     * asks the upstream first ({@code verify}).
     */
    private CachedAnswer refreshOrServeStale(QuestionKey key, CachedAnswer hit, ZoneMetrics zone) {
        long now = cache.nowNanos();
        // Without serve_stale the cache holds nothing past its lifetime: an entry that expired since
        // the lookup read the clock is still the hit it was (answered with TTL 0), not stale.
        if (hit.isFresh(now) || !stale.enabled()) {
            if (prefetch.countHitAndCheckDue(hit, now)) {
                refreshInBackground(key, zone);
            }
            return hit;
        }
        if (stale.refresh() == StalePolicy.Refresh.VERIFY && cache.refreshBackoff().mayRefresh(key)) {
            return null;
        }
        // verify within the failure recheck backoff (RFC 8767 section 5): the last attempt to
        // refresh this entry failed moments ago, so the client gets the stale answer at once
        // instead of waiting for another failure.
        refreshInBackground(key, zone);
        zone.countServedStale();
        return hit.staleView(now, stale.answerTtlSeconds());
    }

    /**
     * Starts a flight with no waiters for {@code key} unless one is in flight already (one refresh
     * per key at a time) or the key's last refresh failed within its backoff
     * ({@link io.nodedns.cache.RefreshBackoff}), counted as a prefetch in {@code zone}: CoreDNS's
     * doPrefetch counts both prefetches and the background refreshes of stale entries. The flight
     * is sent from {@link #backgroundExecutor}, so the hit is answered without waiting for the send.
     */
    private void refreshInBackground(QuestionKey key, ZoneMetrics zone) {
        if (upstream == null || !key.isInZone(forwardFrom) || inflight.containsKey(key)
                || !cache.refreshBackoff().mayRefresh(key)) {
            return;
        }
        QuestionKey stored = key.copy();
        Flight flight = new Flight(stored);
        if (inflight.putIfAbsent(stored, flight) != null) {
            return;
        }
        zone.countPrefetch();
        try {
            // The channel's allocator is not at hand here; the query buffer lives only until it is sent.
            backgroundExecutor.execute(() -> send(flight, ByteBufAllocator.DEFAULT));
        } catch (RuntimeException rejected) {
            fail(flight, rejected);
        }
    }

    /** Whether answers for {@code key} belong in this block's cache. */
    private boolean cached(QuestionKey key) {
        return cache != null && (cacheZones == null || key.isInAnyZone(cacheZones));
    }

    /** The entry held for {@code key}, or null (also when answers for it are not cached here). */
    private CachedAnswer held(QuestionKey key) {
        return cached(key) ? cache.get(key) : null;
    }

    long nowNanos() {
        return cache.nowNanos();
    }

    /**
     * Resolves a cache miss. {@code query} must be a {@link ParsedQuery#copy()}:
     * it is kept until the answer arrives. The answer (or SERVFAIL/REFUSED) goes
     * to {@code responder}, possibly on another thread; the response and its duration are counted
     * in {@code zone}.
     *
     * @param qtypeBucket the query's {@link QtypeBuckets} bucket
     * @param startNanos {@link ZoneMetrics#startNanos()} when the query was read
     */
    void resolve(ParsedQuery query, Responder responder, Object client, ByteBufAllocator alloc, ZoneMetrics zone,
                 int qtypeBucket, long startNanos) {
        QuestionKey key = query.key();
        if (upstream == null || !key.isInZone(forwardFrom)) {
            // Nothing in this block serves the name: CoreDNS's plugin.NextOrFailure answers SERVFAIL.
            counters.unserved.increment();
            responder.error(query, client, DnsWire.RCODE_SERVFAIL);
            zone.countResponse(ZoneMetrics.PLUGIN_NONE, DnsWire.RCODE_SERVFAIL);
            zone.recordSince(qtypeBucket, startNanos);
            return;
        }
        if (!pending.tryAdd()) {
            answerOverloaded(query, responder, client, zone, qtypeBucket, startNanos);
            return;
        }
        Waiter waiter = new Waiter(query, responder, client, zone, qtypeBucket, startNanos,
                responder instanceof TcpQueryHandler, null);
        join(key, waiter, alloc);
    }

    /**
     * Resolves {@code key} (a stored key, which {@link #forwards} must accept) for {@code listener},
     * as {@link #resolve} does for a client: joins the flight in progress for it or starts one.
     * Call it after a {@link #lookup} missed.
     *
     * @param overTcp whether the client the search is for asked over TCP (the first attempt's transport)
     */
    void await(QuestionKey key, ZoneMetrics zone, boolean overTcp, ByteBufAllocator alloc, StepListener listener) {
        join(key, new Waiter(null, null, null, zone, 0, 0, overTcp, listener), alloc);
    }

    private void join(QuestionKey key, Waiter waiter, ByteBufAllocator alloc) {
        while (true) {
            Flight flight = inflight.get(key);
            if (flight == null) {
                Flight mine = new Flight(key, waiter);
                if (inflight.putIfAbsent(key, mine) == null) {
                    send(mine, alloc);
                    return;
                }
                continue;
            }
            int joined = flight.join(waiter);
            if (joined == Flight.JOINED) {
                counters.coalesced.increment();
                return;
            }
            if (joined == Flight.FULL) {
                if (waiter.listener() != null) {
                    // An autopath step: a failed step, as for an upstream failure (the client gets
                    // its own NXDOMAIN and searches on by itself).
                    counters.overloaded.increment();
                    waiter.listener().failed(DnsWire.RCODE_SERVFAIL);
                } else {
                    pending.done();
                    answerOverloaded(waiter.query(), waiter.responder(), waiter.client(), waiter.zone(),
                            waiter.qtypeBucket(), waiter.startNanos());
                }
                return;
            }
            // That flight just finished (and left the map); its answer is cached if it was cacheable.
            CachedAnswer hit = held(key); // counted as a miss already
            if (hit != null) {
                long now = cache.nowNanos();
                if (hit.isFresh(now)) {
                    deliver(waiter, hit, hit.ageSeconds(now), true);
                    return;
                }
                // Stale: the flight did not refresh it; the next round sends a new one.
            }
        }
    }

    /**
     * A miss that may not wait (too many queries pending, or too many clients on its flight): the
     * entry held, if serve_stale lets it answer, else SERVFAIL, at once. A bounded wait is the
     * point: queueing it would only grow memory while the upstream is slow or dead.
     */
    private void answerOverloaded(ParsedQuery query, Responder responder, Object client, ZoneMetrics zone,
                                  int qtypeBucket, long startNanos) {
        counters.overloaded.increment();
        CachedAnswer held = held(query.key());
        try {
            if (held != null) {
                long now = cache.nowNanos();
                if (held.isFresh(now)) {
                    responder.answer(query, client, held, held.ageSeconds(now), true);
                    zone.countResponse(ZoneMetrics.PLUGIN_CACHE, held.template().rcode());
                    return;
                }
                if (stale.enabled()) {
                    responder.answer(query, client, held.staleView(now, stale.answerTtlSeconds()), 0, true);
                    zone.countServedStale();
                    zone.countResponse(ZoneMetrics.PLUGIN_CACHE, held.template().rcode());
                    return;
                }
            }
            responder.error(query, client, DnsWire.RCODE_SERVFAIL);
            zone.countResponse(ZoneMetrics.PLUGIN_NONE, DnsWire.RCODE_SERVFAIL);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "failed to send an overload answer", e);
        } finally {
            zone.recordSince(qtypeBucket, startNanos);
        }
    }

    private void send(Flight flight, ByteBufAllocator alloc) {
        ByteBuf query = alloc.buffer(UpstreamQuery.length(flight.key));
        try {
            UpstreamQuery.write(query, flight.key);
            upstream.forward(query, flight.firstOverTcp).whenComplete((response, failure) -> {
                try {
                    if (failure != null) {
                        fail(flight, failure);
                    } else {
                        complete(flight, response);
                    }
                } catch (Throwable e) {
                    // Never leave a flight in the map: every later query for the key would join it.
                    LOG.log(Level.WARNING, "failed to complete " + flight.key, e);
                    fail(flight, e);
                }
            });
        } catch (RuntimeException e) {
            fail(flight, e);
        } finally {
            query.release();
        }
    }

    /** Takes ownership of {@code response}. */
    private void complete(Flight flight, ByteBuf response) {
        AnswerTemplate template;
        try {
            template = ResponseScanner.scan(response);
        } finally {
            response.release();
        }
        if (template == null) {
            counters.upstreamMalformed.increment();
            fail(flight, new IllegalStateException("malformed upstream response"));
            return;
        }
        if (template.rcode() > DnsWire.RCODE_MASK) {
            // BADVERS, BADCOOKIE...: about our exchange with the upstream, not the client's question.
            fail(flight, new IllegalStateException("upstream answered extended RCODE " + template.rcode()));
            return;
        }
        if (!cached(flight.key)) {
            answerFromUpstream(flight, new CachedAnswer(template, Long.MAX_VALUE, 0));
            return;
        }
        if (!ResponseCache.refreshesData(template) || keepsPositiveOver(template, flight.key)) {
            // A refresh (prefetch, stale refresh, verify) that got SERVFAIL, REFUSED... (RFC 8767
            // section 4), or an NXDOMAIN for a name held positive (StalePolicy.Nxdomain): the
            // entry held stays, answers if it may, and is retried after the backoff.
            CachedAnswer held = cache.get(flight.key);
            if (held != null && answerFromHeld(flight, held)) {
                cache.refreshBackoff().failed(flight.key);
                return;
            }
        }
        cache.refreshBackoff().succeeded(flight.key);
        answerFromUpstream(flight, cache.put(flight.key, template));
    }

    /**
     * Whether {@code template} is an NXDOMAIN that must not replace the positive entry held for
     * {@code key}: serve_stale's {@link StalePolicy.Nxdomain#KEEP_POSITIVE}.
     */
    private boolean keepsPositiveOver(AnswerTemplate template, QuestionKey key) {
        if (template.kind() != ResponseKind.NXDOMAIN || !stale.keepsPositiveOnNxdomain()) {
            return false;
        }
        CachedAnswer held = cache.get(key);
        return held != null && held.template().kind() == ResponseKind.SUCCESS;
    }

    /** Answers the flight's waiters with the upstream's answer, as {@code entry} holds it. */
    private void answerFromUpstream(Flight flight, CachedAnswer entry) {
        for (Waiter w : flight.finish(inflight)) {
            deliver(w, entry, 0, false);
        }
    }

    /**
     * Answers the flight's waiters from {@code held}, the entry a failed refresh leaves in place:
     * as a hit while it is fresh, as a stale answer within serve_stale's duration.
     *
     * @return false if {@code held} may not answer (stale without serve_stale); nothing was sent
     */
    private boolean answerFromHeld(Flight flight, CachedAnswer held) {
        long now = cache.nowNanos();
        boolean fresh = held.isFresh(now);
        if (!fresh && !stale.enabled()) {
            return false;
        }
        CachedAnswer answer = fresh ? held : held.staleView(now, stale.answerTtlSeconds());
        long age = fresh ? held.ageSeconds(now) : 0;
        for (Waiter w : flight.finish(inflight)) {
            if (!fresh) {
                w.zone().countServedStale();
            }
            deliver(w, answer, age, true);
        }
        return true;
    }

    private void fail(Flight flight, Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        CachedAnswer held = held(flight.key);
        if (held != null && answerFromHeld(flight, held)) {
            // serve_stale's point (RFC 8767): the upstream failed, the clients got the old answer.
            cache.refreshBackoff().failed(flight.key);
            LOG.log(Level.FINE, "refresh of " + flight.key + " failed; answered from the cache", cause);
            return;
        }
        boolean overLimit = cause instanceof ConcurrencyLimitException;
        int rcode = overLimit ? DnsWire.RCODE_REFUSED : DnsWire.RCODE_SERVFAIL;
        List<Waiter> waiters = flight.finish(inflight);
        for (Waiter w : waiters) {
            if (w.listener() != null) {
                try {
                    w.listener().failed(rcode);
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "autopath step failed", e);
                }
                continue;
            }
            if (overLimit) {
                counters.refused.increment();
            } else {
                counters.upstreamFailures.increment();
            }
            try {
                w.responder().error(w.query(), w.client(), rcode);
                w.zone().countResponse(ZoneMetrics.PLUGIN_NONE, rcode);
                w.zone().recordSince(w.qtypeBucket(), w.startNanos());
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "failed to send error answer", e);
            } finally {
                pending.done();
            }
        }
        // Logged after everyone is answered: nothing the log does can cost a client its answer.
        if (errorLog != null && !waiters.isEmpty()) {
            errorLog.log(name, flight.key, rcode, cause);
        }
    }

    private void deliver(Waiter w, CachedAnswer entry, long age, boolean fromCache) {
        if (w.listener() != null) {
            try {
                w.listener().answered(entry, age, fromCache);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "autopath step failed", e);
            }
            return;
        }
        try {
            w.responder().answer(w.query(), w.client(), entry, age, fromCache);
            w.zone().countResponse(fromCache ? ZoneMetrics.PLUGIN_CACHE : ZoneMetrics.PLUGIN_FORWARD,
                    entry.template().rcode());
            w.zone().recordSince(w.qtypeBucket(), w.startNanos());
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "failed to send answer", e);
        } finally {
            pending.done();
        }
    }

    /**
     * One client waiting for an upstream answer, or (with a {@code listener}, and null query,
     * responder and client) an autopath step.
     */
    private record Waiter(ParsedQuery query, Responder responder, Object client, ZoneMetrics zone, int qtypeBucket,
                          long startNanos, boolean overTcp, StepListener listener) {}

    /** One upstream query in flight and the clients waiting for it. */
    private static final class Flight {
        /**
         * The most clients one flight holds: those asking one name within the forward deadline.
         * Past it a client is answered at once (stale or SERVFAIL) rather than queued.
         */
        static final int MAX_WAITERS = 1024;
        static final int JOINED = 0;
        static final int FINISHED = 1;
        static final int FULL = 2;
        final QuestionKey key;
        final boolean firstOverTcp;
        private final List<Waiter> waiters = new ArrayList<>(2);
        private boolean finished;

        Flight(QuestionKey key, Waiter first) {
            this.key = key;
            this.firstOverTcp = first.overTcp();
            waiters.add(first);
        }

        /**
         * A background refresh: nobody waits yet. Over UDP, as the hit's transport is not known
         * here; the forwarder retries a truncated answer over TCP.
         */
        Flight(QuestionKey key) {
            this.key = key;
            this.firstOverTcp = false;
        }

        /**
         * Adds a waiter: {@link #JOINED}; {@link #FINISHED} if the flight already finished (the
         * caller must look again); {@link #FULL} at {@link #MAX_WAITERS} (nothing added).
         */
        synchronized int join(Waiter w) {
            if (finished) {
                return FINISHED;
            }
            if (waiters.size() >= MAX_WAITERS) {
                return FULL;
            }
            waiters.add(w);
            return JOINED;
        }

        /**
         * Leaves the in-flight map and returns the waiters, once: no one can join
         * afterwards, and a second call returns nobody.
         */
        List<Waiter> finish(ConcurrentHashMap<QuestionKey, Flight> inflight) {
            inflight.remove(key, this);
            synchronized (this) {
                if (finished) {
                    return List.of();
                }
                finished = true;
                return waiters;
            }
        }
    }
}
