package io.nodedns.bench;

import io.nodedns.cache.CachedAnswer;
import io.nodedns.cache.ResponseCache;
import io.nodedns.wire.QuestionKey;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Step 2 of a cache hit: {@link ResponseCache#get} (Caffeine {@code getIfPresent}
 * on the success cache, then the denial cache on a miss) over the 10,000 cached
 * Services of {@link CachedCluster}, keys drawn Zipf (s = 1) from a precomputed
 * sequence. The keys are equal to but distinct from the stored ones, so each hit
 * compares the name bytes, as a lookup with the scratch key does.
 *
 * <p>The miss variant asks for AAAA of the same names (pods send A and AAAA in
 * parallel; a cluster with IPv4 Services has no AAAA answers cached in this
 * setup), so both caches are probed and both miss.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class CacheLookupBenchmark {
    private static final int DRAWS = 1 << 16;
    private static final int MASK = DRAWS - 1;

    private ResponseCache cache;
    private QuestionKey[] cachedKeys;
    private QuestionKey[] uncachedKeys;
    private int[] zipfOrder;
    private int next;

    @Setup
    public void fillCache() {
        cache = new CachedCluster().cache();
        cachedKeys = new QuestionKey[CachedCluster.SERVICES];
        uncachedKeys = new QuestionKey[CachedCluster.SERVICES];
        for (int i = 0; i < CachedCluster.SERVICES; i++) {
            cachedKeys[i] = CachedCluster.key(i, DnsFixtures.TYPE_A);
            uncachedKeys[i] = CachedCluster.key(i, DnsFixtures.TYPE_AAAA);
            DnsFixtures.check(cache.get(cachedKeys[i]) != null, "A of service " + i + " is cached");
            DnsFixtures.check(cache.get(uncachedKeys[i]) == null, "AAAA of service " + i + " is not cached");
        }
        zipfOrder = ZipfIndices.draw(CachedCluster.SERVICES, 1.0, DRAWS, 42);
    }

    @Benchmark
    public CachedAnswer lookupHit() {
        return cache.get(cachedKeys[zipfOrder[next++ & MASK]]);
    }

    @Benchmark
    public CachedAnswer lookupMiss() {
        return cache.get(uncachedKeys[zipfOrder[next++ & MASK]]);
    }
}
