package io.nodedns.testing;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.function.LongSupplier;

/** A UTC wall clock that reads its epoch milliseconds from the test, e.g. an AtomicLong it moves. */
public final class MillisClock extends Clock {
    private final LongSupplier epochMillis;

    public MillisClock(LongSupplier epochMillis) {
        this.epochMillis = epochMillis;
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(epochMillis.getAsLong());
    }
}
