package io.nodedns.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.nodedns.cache.CachedAnswer;
import io.nodedns.cache.ResponseCache;
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
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Answers the queries routed to one server block: from its cache, else by one
 * upstream query per cache key no matter how many clients ask at once
 * (coalescing), whose answer is cached and then sent to every waiting client
 * with its own ID and name case.
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
        this.name = name;
        this.cache = cache;
        this.cacheZones = cacheZones == null ? null : cacheZones.clone();
        this.forwardFrom = forwardFrom;
        this.upstream = upstream;
        this.counters = counters;
        this.pending = pending;
        this.errorLog = errorLog;
        this.logQueries = logQueries;
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
     * The fresh cache entry for {@code key} (a scratch key is fine), or null; counts
     * the hit (by type) or miss in {@code zone} when the key belongs in the cache.
     */
    CachedAnswer lookup(QuestionKey key, ZoneMetrics zone) {
        if (!cached(key)) {
            return null;
        }
        CachedAnswer hit = cache.get(key);
        if (hit != null) {
            zone.countCacheHit(hit.template().kind() == ResponseKind.SUCCESS);
        } else {
            zone.countCacheMiss();
        }
        return hit;
    }

    /** Whether answers for {@code key} belong in this block's cache. */
    private boolean cached(QuestionKey key) {
        if (cache == null) {
            return false;
        }
        if (cacheZones == null) {
            return true;
        }
        for (byte[] zone : cacheZones) {
            if (key.isInZone(zone)) {
                return true;
            }
        }
        return false;
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
        Waiter waiter = new Waiter(query, responder, client, zone, qtypeBucket, startNanos);
        pending.add();
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
            if (flight.join(waiter)) {
                counters.coalesced.increment();
                return;
            }
            // That flight just finished (and left the map); its answer is cached if it was cacheable.
            CachedAnswer hit = cached(key) ? cache.get(key) : null; // counted as a miss already
            if (hit != null) {
                deliver(waiter, hit, hit.ageSeconds(cache.nowNanos()), true);
                return;
            }
        }
    }

    private void send(Flight flight, ByteBufAllocator alloc) {
        ByteBuf query = alloc.buffer(DnsWire.HEADER_LENGTH + flight.key.nameLength() + 4 + DnsWire.OPT_RECORD_LENGTH);
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
        CachedAnswer entry = cached(flight.key)
                ? cache.put(flight.key, template)
                : new CachedAnswer(template, Long.MAX_VALUE, 0);
        for (Waiter w : flight.finish(inflight)) {
            deliver(w, entry, 0, false);
        }
    }

    private void fail(Flight flight, Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        boolean overLimit = cause instanceof ConcurrencyLimitException;
        int rcode = overLimit ? DnsWire.RCODE_REFUSED : DnsWire.RCODE_SERVFAIL;
        List<Waiter> waiters = flight.finish(inflight);
        if (overLimit) {
            counters.refused.add(waiters.size());
        } else {
            counters.upstreamFailures.add(waiters.size());
        }
        for (Waiter w : waiters) {
            try {
                w.responder.error(w.query, w.client, rcode);
                w.zone.countResponse(ZoneMetrics.PLUGIN_NONE, rcode);
                w.zone.recordSince(w.qtypeBucket, w.startNanos);
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
        try {
            w.responder.answer(w.query, w.client, entry, age, fromCache);
            w.zone.countResponse(fromCache ? ZoneMetrics.PLUGIN_CACHE : ZoneMetrics.PLUGIN_FORWARD,
                    entry.template().rcode());
            w.zone.recordSince(w.qtypeBucket, w.startNanos);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "failed to send answer", e);
        } finally {
            pending.done();
        }
    }

    /** One client waiting for an upstream answer. */
    private static final class Waiter {
        final ParsedQuery query;
        final Responder responder;
        final Object client;
        final ZoneMetrics zone;
        final int qtypeBucket;
        final long startNanos;

        Waiter(ParsedQuery query, Responder responder, Object client, ZoneMetrics zone, int qtypeBucket,
               long startNanos) {
            this.query = query;
            this.responder = responder;
            this.client = client;
            this.zone = zone;
            this.qtypeBucket = qtypeBucket;
            this.startNanos = startNanos;
        }
    }

    /** One upstream query in flight and the clients waiting for it. */
    private static final class Flight {
        final QuestionKey key;
        final boolean firstOverTcp;
        private final List<Waiter> waiters = new ArrayList<>(2);
        private boolean finished;

        Flight(QuestionKey key, Waiter first) {
            this.key = key;
            this.firstOverTcp = first.responder instanceof TcpQueryHandler;
            waiters.add(first);
        }

        /** Adds a waiter; false if the flight already finished (the caller must look again). */
        synchronized boolean join(Waiter w) {
            if (finished) {
                return false;
            }
            waiters.add(w);
            return true;
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
