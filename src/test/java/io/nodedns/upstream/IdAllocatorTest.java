package io.nodedns.upstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.util.collection.IntObjectHashMap;
import java.security.SecureRandom;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class IdAllocatorTest {

    @Test
    void neverHandsOutAnIdThatIsInFlight() {
        IdAllocator ids = new IdAllocator(new SecureRandom());
        IntObjectHashMap<Object> inFlight = new IntObjectHashMap<>();
        for (int i = 0; i < 60_000; i++) {
            int id = ids.allocate(inFlight);
            assertTrue(id >= 0 && id <= 0xFFFF, "out of range: " + id);
            assertFalse(inFlight.containsKey(id), "collision on " + id);
            inFlight.put(id, Boolean.TRUE);
        }
        assertEquals(60_000, inFlight.size());
    }

    @Test
    void handsOutUnpredictableIdsNotASequence() {
        IdAllocator ids = new IdAllocator(new SecureRandom());
        IntObjectHashMap<Object> none = new IntObjectHashMap<>();
        Set<Integer> seen = new HashSet<>();
        int successors = 0;
        int previous = ids.allocate(none);
        for (int i = 0; i < 1000; i++) {
            int id = ids.allocate(none);
            if (id == ((previous + 1) & 0xFFFF)) {
                successors++;
            }
            seen.add(id);
            previous = id;
        }
        assertTrue(successors < 5, successors + " sequential IDs");
        // 1000 draws from 65536: expected ~992 distinct.
        assertTrue(seen.size() > 950, "only " + seen.size() + " distinct IDs");
    }
}
