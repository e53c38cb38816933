package io.nodedns.bench;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A precomputed sequence of indices into {@code n} items drawn from a Zipf
 * distribution, P(rank k) proportional to 1/k^s, the skew DNS query streams and
 * Caffeine's own benchmarks use. With n = 10,000 and s = 1 the most popular item
 * gets about 10% of the draws and the top 100 about half.
 *
 * <p>Drawing is done once, up front, with a fixed seed, so that a benchmark
 * iteration pays only an array read ({@code indices[i & mask]}) and every run
 * sees the same sequence.
 */
final class ZipfIndices {
    private ZipfIndices() {}

    /**
     * @param items how many distinct items (ranks 0..items-1, rank 0 the most popular)
     * @param exponent the skew s; 1 is classic Zipf
     * @param count how many draws; a power of two, so callers can wrap with a mask
     * @param seed seed of the generator
     */
    static int[] draw(int items, double exponent, int count, long seed) {
        if (Integer.bitCount(count) != 1) {
            throw new IllegalArgumentException("count must be a power of two: " + count);
        }
        double[] cumulative = new double[items];
        double sum = 0;
        for (int k = 0; k < items; k++) {
            sum += 1.0 / Math.pow(k + 1, exponent);
            cumulative[k] = sum;
        }
        SplittableRandom random = new SplittableRandom(seed);
        int[] indices = new int[count];
        for (int i = 0; i < count; i++) {
            int found = Arrays.binarySearch(cumulative, random.nextDouble() * sum);
            // binarySearch returns (-(insertion point) - 1) for values between entries.
            indices[i] = Math.min(found >= 0 ? found : -found - 1, items - 1);
        }
        return indices;
    }
}
