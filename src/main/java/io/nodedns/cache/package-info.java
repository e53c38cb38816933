/**
 * The answer cache of a server block, with CoreDNS's {@code cache} semantics.
 *
 * <h2>Rules</h2>
 * <ul>
 *   <li>Two bounded Caffeine caches per block: success (NOERROR with records) and denial (NXDOMAIN,
 *       NODATA, SERVFAIL), each of its configured capacity (9984 by default, as in CoreDNS), and each
 *       also bounded by bytes ({@link io.nodedns.cache.CachePolicy#maxBytesFor}: 840 bytes per
 *       entry of its capacity, at least 8 MiB, of estimated entry bytes: message, name, 200 bytes of
 *       objects) through one Caffeine weigher
 *       (see {@link io.nodedns.cache.ResponseCache}): usual answers are capped by the entry count,
 *       answers of kilobytes by the bytes. Each cache's hash table is sized for its capacity (up to
 *       131,072 entries) at its first insert, so that it is not doubled and re-filled on the event
 *       loop as the cache fills (8-19 ms at 50,000-100,000 entries, measured alone).</li>
 *   <li>Lifetime: success, the smallest TTL of the answer and authority sections; denial, min(SOA TTL,
 *       SOA MINIMUM) (RFC 2308 §5), never cached without an SOA; each raised to its minimum and then
 *       lowered to its maximum (CoreDNS computeTTL). SERVFAIL lives {@code servfail} (5 s).
 *       Truncated, REFUSED, NOTIMP, FORMERR and extended-RCODE answers are not cached.</li>
 *   <li>Key: lower-cased name, type, class, DO and CD bits ({@link io.nodedns.wire.QuestionKey}).</li>
 *   <li>Time comes from an injected Caffeine {@code Ticker}; a hit's age in whole seconds lowers every
 *       TTL in the replayed answer.</li>
 *   <li>{@code disable success|denial [ZONES...]} ({@link io.nodedns.cache.DisabledZones}): answers of
 *       that kind for names in those zones (default: the cache's zones) are passed on, never cached;
 *       denial covers NXDOMAIN, NODATA and SERVFAIL, as CoreDNS's does.</li>
 *   <li>{@code prefetch AMOUNT [[DURATION] [PERCENTAGE%]]} ({@link io.nodedns.cache.PrefetchPolicy}):
 *       an entry hit AMOUNT times with no gap longer than DURATION (1m) between hits is refreshed in
 *       the background once at most PERCENTAGE (10%, rounded up to whole seconds) of its lifetime is
 *       left. Hits are counted per entry ({@link io.nodedns.cache.HitFrequency}, CoreDNS's
 *       plugin/pkg/freq) only when prefetch is on; a refreshed entry keeps the count.</li>
 *   <li>{@code serve_stale [DURATION] [immediate|verify]} ({@link io.nodedns.cache.StalePolicy},
 *       RFC 8767): entries are kept DURATION (1h) past their lifetime, within the same capacities.
 *       {@code immediate} answers a stale entry at once and refreshes it in the background;
 *       {@code verify} asks the upstream first and answers stale only if it fails, times out or
 *       answers anything but NOERROR/NXDOMAIN. Stale answers carry TTL
 *       {@code serve_stale_ttl} (default {@value io.nodedns.cache.StalePolicy#STALE_TTL_SECONDS} s,
 *       RFC 8767 §4; CoreDNS sends 0). Past DURATION an entry is gone.</li>
 *   <li>Background refreshes (prefetch, immediate stale) are flights with no waiters in the server
 *       block's coalescing map: one upstream query per key at a time. Only NOERROR and NXDOMAIN
 *       replace an entry (RFC 8767 §4); a SERVFAIL, REFUSED or failure leaves it as it was.</li>
 *   <li>{@code serve_stale_nxdomain keep|replace} ({@link io.nodedns.cache.StalePolicy.Nxdomain}):
 *       with {@code keep} (default) an NXDOMAIN does not replace a positive entry while that entry may
 *       still answer (fresh, or within DURATION); it counts as a failed refresh. {@code replace}
 *       follows RFC 8767 §4 to the letter.</li>
 *   <li>Failure recheck ({@link io.nodedns.cache.RefreshBackoff}, RFC 8767 §5): after a failed
 *       refresh a key is not refreshed again for 1 s, doubling per consecutive failure up to 30 s;
 *       {@code verify} answers stale at once meanwhile.</li>
 * </ul>
 *
 * <h2>Warm restart</h2>
 * With {@code -cache-dir}, {@link io.nodedns.cache.WarmCacheStore} streams every block's entries
 * ({@link io.nodedns.cache.ResponseCache#forEachEntry}) to a file at stop and puts back what is still
 * fresh or stale-servable ({@link io.nodedns.cache.ResponseCache#restore}) at start, each entry aged
 * by the file's age; the format is {@link io.nodedns.cache.WarmCacheFile} (magic, version 2, markers,
 * CRC32C, 64 MiB bound at which a save stops adding entries). In a surge rollout the predecessor
 * saves after this process started: {@link io.nodedns.cache.PredecessorMerge} polls for that file
 * for a bounded window and merges it once, filling only keys the running cache does not hold
 * ({@link io.nodedns.cache.ResponseCache#restoreIfAbsent}). Counted in
 * {@link io.nodedns.cache.WarmCacheCounters} (a merge with the loaded entries).
 *
 * <h2>Corefile</h2>
 * <pre>
 * cache [TTL] [ZONES...] {
 *     success CAPACITY [TTL [MINTTL]]
 *     denial CAPACITY [TTL [MINTTL]]
 *     servfail DURATION
 *     prefetch AMOUNT [[DURATION] [PERCENTAGE%]]
 *     serve_stale [DURATION] [REFRESH_MODE]
 *     serve_stale_ttl DURATION             # nodedns: TTL of stale answers, 0s..1h, default 30s
 *     serve_stale_nxdomain keep|replace    # nodedns: default keep
 *     disable success|denial [ZONES...]
 * }
 * </pre>
 * {@code keepttl} is refused (not implemented).
 *
 * <h2>Metrics</h2>
 * Labels {@code server, zones, view} (and {@code type} where noted), counted per listener and zone:
 * {@code coredns_cache_entries{type}}, {@code coredns_cache_requests_total},
 * {@code coredns_cache_hits_total{type}} (stale entries count as hits, as in CoreDNS),
 * {@code coredns_cache_misses_total}, {@code coredns_cache_evictions_total{type}},
 * {@code coredns_cache_prefetch_total} (background refreshes started: prefetches and, as CoreDNS's
 * doPrefetch counts them, refreshes of stale entries), {@code coredns_cache_served_stale_total}
 * (answers given from stale entries).
 *
 * <h2>Examples</h2>
 * <pre>
 * cache 30 {
 *     prefetch 10 1m 20%       # names asked 10 times a minute are renewed with 6 s left
 *     serve_stale 1h           # while kube-dns is down, answer from the cache for an hour
 * }
 * cache {
 *     serve_stale 10m verify   # prefer a fresh answer; stale only if the upstream fails
 *     disable denial svc.cluster.local   # never cache NXDOMAIN for services being created
 * }
 * </pre>
 */
package io.nodedns.cache;
