package io.nodedns.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.nodedns.cache.WarmCacheCounters;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;

/**
 * The warm restart series ({@code -cache-dir}): {@code nodedns_cache_warm_entries_total{operation=
 * load|save}} and {@code nodedns_cache_warm_failures_total{reason}}, reason one of foreign,
 * version, truncated, corrupt, too_large, io, block_changed. Read at scrape time from
 * {@link WarmCacheCounters}, which the caller keeps reachable (Micrometer holds it weakly).
 */
public final class WarmCacheMetrics {
    private WarmCacheMetrics() {
    }

    public static void bindTo(MeterRegistry registry, WarmCacheCounters counters) {
        String entriesHelp = "Cache entries written to the -cache-dir file at stop (save) and put back from it at "
                + "start (load), still fresh or within serve_stale.";
        FunctionCounter.builder("nodedns_cache_warm_entries", counters.entriesLoaded, LongAdder::sum)
                .description(entriesHelp).tag("operation", "load").register(registry);
        FunctionCounter.builder("nodedns_cache_warm_entries", counters.entriesSaved, LongAdder::sum)
                .description(entriesHelp).tag("operation", "save").register(registry);
        for (WarmCacheCounters.Failure failure : WarmCacheCounters.Failure.values()) {
            FunctionCounter.builder("nodedns_cache_warm_failures", counters.failures(failure), LongAdder::sum)
                    .description("Warm restart files ignored (foreign, version, truncated, corrupt, too_large, io: "
                            + "read or write failed, memory: out of heap while saving) and saved server blocks "
                            + "skipped (block_changed).")
                    .tag("reason", failure.name().toLowerCase(Locale.ROOT)).register(registry);
        }
    }
}
