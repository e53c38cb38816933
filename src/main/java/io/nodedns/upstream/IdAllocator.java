package io.nodedns.upstream;

import io.netty.util.collection.IntObjectMap;
import java.security.SecureRandom;

/**
 * Hands out DNS message IDs for one event loop's channels to one upstream: unpredictable
 * (RFC 5452 §4.3: an off-path attacker must guess ID and port together), never one that is
 * in flight on the same channel. Random bits come from a {@link SecureRandom}, drawn in
 * blocks so that a query costs no system call. Not thread-safe: confined to one event loop.
 */
final class IdAllocator {
    private static final int BLOCK_BYTES = 512;

    private final SecureRandom random;
    private final byte[] block = new byte[BLOCK_BYTES];
    private int position = BLOCK_BYTES;

    IdAllocator(SecureRandom random) {
        this.random = random;
    }

    /**
     * A random ID not used as a key of {@code inFlight}. The caller caps in-flight queries far
     * below 65536 (see {@link PoolTuning#maxInFlightPerChannel()}), so this takes one or two
     * draws on average.
     */
    int allocate(IntObjectMap<?> inFlight) {
        if (inFlight.size() >= 0x10000) {
            throw new IllegalStateException("all 65536 IDs in flight");
        }
        while (true) {
            int id = nextRandom16();
            if (!inFlight.containsKey(id)) {
                return id;
            }
        }
    }

    private int nextRandom16() {
        if (position == BLOCK_BYTES) {
            random.nextBytes(block);
            position = 0;
        }
        int id = ((block[position] & 0xFF) << 8) | (block[position + 1] & 0xFF);
        position += 2;
        return id;
    }
}
