package io.nodedns.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** When an entry is due for a prefetch: CoreDNS's shouldPrefetch and plugin/pkg/freq. */
class PrefetchPolicyTest {
    private static final long SECOND = 1_000_000_000L;
    private static final long MINUTE = 60 * SECOND;
    private static final long T0 = 7 * SECOND;

    private static CachedAnswer entry(long lifetimeSeconds) throws Exception {
        return new CachedAnswer(ResponseCacheTest.answer("a.example.", lifetimeSeconds), lifetimeSeconds, T0,
                new HitFrequency(T0, 0));
    }

    @Test
    void dueAfterAmountHitsOnlyOnceThePercentageOfTheLifetimeIsLeft() throws Exception {
        PrefetchPolicy policy = new PrefetchPolicy(3, MINUTE, 10);
        CachedAnswer e = entry(100);

        assertFalse(policy.countHitAndCheckDue(e, T0 + 10 * SECOND), "hit 1, 90 s left");
        assertFalse(policy.countHitAndCheckDue(e, T0 + 50 * SECOND), "hit 2, 50 s left");
        assertFalse(policy.countHitAndCheckDue(e, T0 + 89 * SECOND), "hit 3, but 11 s left: over 10 %");
        assertTrue(policy.countHitAndCheckDue(e, T0 + 90 * SECOND), "hit 4, 10 s left: ceil(10 % of 100)");
        assertEquals(4, e.hits().hits());
    }

    @Test
    void notDueBeforeAmountHitsEvenNearExpiry() throws Exception {
        PrefetchPolicy policy = new PrefetchPolicy(3, MINUTE, 10);
        CachedAnswer e = entry(100);

        assertFalse(policy.countHitAndCheckDue(e, T0 + 95 * SECOND));
        assertFalse(policy.countHitAndCheckDue(e, T0 + 96 * SECOND));
        assertTrue(policy.countHitAndCheckDue(e, T0 + 97 * SECOND));
    }

    @Test
    void aGapLongerThanTheWindowStartsTheCountAgain() throws Exception {
        PrefetchPolicy policy = new PrefetchPolicy(2, 10 * SECOND, 90);
        CachedAnswer e = entry(100);

        assertFalse(policy.countHitAndCheckDue(e, T0 + 20 * SECOND));
        assertFalse(policy.countHitAndCheckDue(e, T0 + 31 * SECOND), "11 s after the previous hit: counted as 1");
        assertEquals(1, e.hits().hits());
        assertTrue(policy.countHitAndCheckDue(e, T0 + 41 * SECOND), "10 s later: 2 hits");
    }

    @Test
    void thresholdRoundsUpAsCoreDnsDoes() {
        PrefetchPolicy policy = new PrefetchPolicy(1, MINUTE, 10);
        assertEquals(1, policy.thresholdSeconds(5), "ceil(0.5)");
        assertEquals(3, policy.thresholdSeconds(30));
        assertEquals(4, policy.thresholdSeconds(31));
    }

    @Test
    void offOrWithoutAHitCountNothingIsEverDue() throws Exception {
        CachedAnswer e = entry(100);
        assertFalse(PrefetchPolicy.OFF.countHitAndCheckDue(e, T0 + 99 * SECOND));
        assertEquals(0, e.hits().hits(), "off: no counting");
        CachedAnswer uncounted = new CachedAnswer(e.template(), 100, T0);
        assertFalse(new PrefetchPolicy(1, MINUTE, 10).countHitAndCheckDue(uncounted, T0 + 99 * SECOND));
    }

    @Test
    void validatesItsValues() {
        assertThrows(IllegalArgumentException.class, () -> new PrefetchPolicy(-1, MINUTE, 10));
        assertThrows(IllegalArgumentException.class, () -> new PrefetchPolicy(1, 0, 10));
        assertThrows(IllegalArgumentException.class, () -> new PrefetchPolicy(1, MINUTE, 0));
        assertThrows(IllegalArgumentException.class, () -> new HitFrequency(T0, -1));
        assertThrows(IllegalArgumentException.class, () -> new StalePolicy(-1, StalePolicy.Refresh.VERIFY));
    }
}
