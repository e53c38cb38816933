package io.nodedns.bench;

import com.github.benmanes.caffeine.cache.Ticker;

/**
 * A Caffeine ticker that reads whatever time it was last set to. Benchmarks store
 * entries at one time and then move the clock forward once, so that every hit
 * during the measurement has the same non-zero age and the TTL rewrite does real work.
 * Set only during setup; a plain field, since the hot path reads it on every lookup.
 */
final class ManualTicker implements Ticker {
    private long nanos;

    ManualTicker(long nanos) {
        this.nanos = nanos;
    }

    void set(long nanos) {
        this.nanos = nanos;
    }

    @Override
    public long read() {
        return nanos;
    }
}
