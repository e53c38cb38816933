package io.nodedns.server;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the metrics add to one cache hit in {@code QueryProcessor}: count the request by
 * proto/family/type, the hit, the response by plugin/RCODE, and (when metrics are served) two clock
 * reads and a duration bucket. Here rather than in {@code io.nodedns.bench} because those calls are
 * package-private. Compare with {@code CacheHitPathBenchmark}, the rest of the hit.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class ZoneMetricsBenchmark {
    /** Whether durations are measured (a {@code prometheus} directive) or only counted. */
    @Param({"false", "true"})
    public boolean timed;

    private final ZoneMetrics zone = new ZoneMetrics("cluster.local.", null);
    private int next;

    @Setup
    public void prepare() {
        if (timed) {
            zone.measureDurations(System::nanoTime);
        }
    }

    @Benchmark
    public int countCacheHit() {
        int qtype = (next++ & 1) == 0 ? 1 : 28; // A and AAAA, as pods ask
        long start = zone.startNanos();
        int bucket = zone.countRequest(false, false, qtype);
        zone.countCacheHit(true);
        zone.countResponse(ZoneMetrics.PLUGIN_CACHE, 0);
        zone.recordSince(bucket, start);
        return bucket;
    }
}
