package io.nodedns.bench;

import io.nodedns.cache.CachePolicy;
import io.nodedns.cache.ResponseCache;
import io.nodedns.wire.DnsWire;
import io.nodedns.wire.QuestionKey;
import io.nodedns.wire.WireNames;

/**
 * The response cache of a node that has answered the A query of every Service
 * of a 10,000-Service cluster ({@link DnsFixtures#serviceName}), each answer
 * stored {@link #AGE_SECONDS} seconds ago, so that every hit rewrites its TTLs.
 *
 * <p>The policy is that of node-local-dns's {@code cluster.local} block
 * ({@code cache { success 9984 30; denial 9984 5 }}) except for the capacity,
 * raised to {@link #SERVICES} so that no name is evicted and every lookup of a
 * cached name is a hit.
 */
final class CachedCluster {
    static final int SERVICES = 10_000;
    /** Age of every entry during the measurement; below the 30 s lifetime, so nothing expires. */
    static final long AGE_SECONDS = 7;
    static final CachePolicy POLICY = new CachePolicy(SERVICES, 30, 5, SERVICES, 5, 5, 5);

    private static final long STORED_AT_NANOS = 1_000_000_000_000L;

    private final ResponseCache cache;

    CachedCluster() {
        ManualTicker ticker = new ManualTicker(STORED_AT_NANOS);
        cache = new ResponseCache(POLICY, ticker);
        for (int i = 0; i < SERVICES; i++) {
            String name = DnsFixtures.serviceName(i);
            byte[] query = DnsFixtures.query(name, DnsFixtures.TYPE_A, i, false);
            byte[] response = DnsFixtures.response(query, DnsFixtures.serviceAddress(name, i),
                    DnsFixtures.NO_RECORDS);
            cache.put(key(i, DnsFixtures.TYPE_A), DnsFixtures.template(response));
        }
        cache.cleanUp();
        DnsFixtures.check(cache.successSize() == SERVICES, "all " + SERVICES + " answers cached, got "
                + cache.successSize());
        ticker.set(STORED_AT_NANOS + AGE_SECONDS * 1_000_000_000L);
    }

    ResponseCache cache() {
        return cache;
    }

    /**
     * A fresh stored key for Service {@code index} and {@code qtype}: equal to, but
     * not the same instance as, the key the answer was stored under, so a lookup
     * compares names as it does for a scratch key.
     */
    static QuestionKey key(int index, int qtype) {
        return QuestionKey.of(WireNames.toWire(DnsFixtures.serviceName(index)), qtype, DnsWire.CLASS_IN,
                false, false);
    }
}
