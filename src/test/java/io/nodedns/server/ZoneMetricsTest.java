package io.nodedns.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The per-zone counters behind the {@code coredns_dns_*} series. */
class ZoneMetricsTest {

    @Test
    void durationBucketsAreCoreDnsTimeBucketsWithInclusiveUpperBounds() {
        assertEquals(0, ZoneMetrics.durationBucket(0));
        assertEquals(0, ZoneMetrics.durationBucket(250_000), "0.25 ms is in le=0.00025");
        assertEquals(1, ZoneMetrics.durationBucket(250_001));
        assertEquals(1, ZoneMetrics.durationBucket(500_000));
        assertEquals(2, ZoneMetrics.durationBucket(500_001));
        assertEquals(15, ZoneMetrics.durationBucket(8_192_000_000L), "8.192 s is the last bound");
        assertEquals(16, ZoneMetrics.durationBucket(8_192_000_001L), "beyond it: +Inf");
        assertEquals(0.00025, ZoneMetrics.durationBound(0));
        assertEquals(8.192, ZoneMetrics.durationBound(15), 1e-12);
    }

    @Test
    void countsByProtoFamilyTypeAndRecordsDurationsOnlyOnceMeasured() {
        ZoneMetrics zone = new ZoneMetrics("example.", null);
        AtomicLong now = new AtomicLong(1_000);
        assertEquals(0, zone.startNanos(), "no clock reads before metrics are served");
        zone.recordSince(0, 0);

        zone.measureDurations(now::get);
        long start = zone.startNanos();
        int a = zone.countRequest(false, false, 1);
        now.addAndGet(700_000);
        zone.recordSince(a, start);
        int other = zone.countRequest(true, true, 35);
        zone.countResponse(ZoneMetrics.PLUGIN_CACHE, 0);
        zone.countResponse(ZoneMetrics.PLUGIN_NONE, 5);

        assertEquals(1, zone.requests(false, false, QtypeBuckets.of(1)));
        assertEquals(QtypeBuckets.OTHER, other, "NAPTR counts as other");
        assertEquals(1, zone.requests(true, true, QtypeBuckets.OTHER));
        assertEquals(0, zone.requests(false, true, QtypeBuckets.of(1)));
        assertEquals(1, zone.responses(ZoneMetrics.PLUGIN_CACHE, RcodeBuckets.of(0)));
        assertEquals("REFUSED", RcodeBuckets.label(RcodeBuckets.of(5)));
        assertEquals(1, zone.responses(ZoneMetrics.PLUGIN_NONE, 5));
        assertEquals(1, zone.durations(a, 2), "0.7 ms lands in le=0.001");
        assertEquals(0.0007, zone.durationSumSeconds(a), 1e-12);
    }
}
