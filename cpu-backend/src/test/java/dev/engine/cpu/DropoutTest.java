package dev.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.Buffer;
import dev.engine.api.DType;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Dropout masks from Philox4x32-10: values are exactly 0 or 1/(1-p), the fraction of zeros is near p
 * (within 5 standard deviations of a binomial), masks are a pure function of (seed, offset + i), and
 * the generator matches the published Philox4x32-10 known-answer vector.
 */
class DropoutTest extends CpuTestBase {
    double[] mask(DType dt, long seed, long offset, double p, int n) {
        Buffer m = alloc(dt, n);
        BE.dropoutMask(seed, offset, p, m, n);
        return read(m);
    }

    @Test
    void valuesAndFractionOfZeros() {
        int n = 200_000;
        for (DType dt : FLOATS) for (double p : new double[]{0, 0.1, 0.5, 0.9, 1}) {
            double[] m = mask(dt, 42, 0, p, n);
            double keep = p >= 1 ? 0 : (dt == DType.F32 ? (float) (1 / (1 - p)) : 1 / (1 - p));
            int zeros = 0;
            for (double v : m) {
                if (v == 0) zeros++;
                else assertEquals(keep, v, 0, "kept value for p=" + p);
            }
            double sd = Math.sqrt(n * p * (1 - p));
            assertEquals(n * p, zeros, 5 * sd + 1e-9, "zeros for p=" + p + " " + dt);
        }
    }

    @Test
    void f64MaskScaleIsExactInDouble() {
        double[] m = mask(DType.F64, 1, 0, 0.3, 1000);
        for (double v : m) assertTrue(v == 0 || v == 1 / 0.7, "F64 mask value " + v + " should be exactly 1/(1-p)");
    }

    @Test
    void deterministicAndOffsetShifts() {
        for (DType dt : FLOATS) {
            double[] a = mask(dt, 7, 0, 0.5, 1000), b = mask(dt, 7, 0, 0.5, 1000);
            assertArrayEquals(a, b, 0, "same seed and offset");
            double[] shifted = mask(dt, 7, 5, 0.5, 995);
            assertArrayEquals(Arrays.copyOfRange(a, 5, 1000), shifted, 0, "offset 5 equals elements 5.. of offset 0");
            double[] odd = mask(dt, 7, 3, 0.5, 13);
            assertArrayEquals(Arrays.copyOfRange(a, 3, 16), odd, 0, "offset 3");
            double[] other = mask(dt, 8, 0, 0.5, 1000);
            assertFalse(Arrays.equals(a, other), "another seed gives another mask");
            // large offsets (counter high word in use) stay consistent too
            long big = (1L << 34) + 1;
            double[] m1 = mask(dt, 3, big, 0.5, 64), m2 = mask(dt, 3, big + 7, 0.5, 57);
            assertArrayEquals(Arrays.copyOfRange(m1, 7, 64), m2, 0, "large offset");
        }
    }

    /**
     * Random123's known-answer test: philox4x32_10(counter 0, key 0) = {6627e8d5, e169c58d, bc57ac4c,
     * 9b00dbd8}. Element i of seed 0 uses word i and keeps its top 24 bits, so with p exactly that
     * uniform the element is kept, and with p one step above it is dropped.
     */
    @Test
    void matchesPhiloxKnownAnswer() {
        long[] words = {0x6627e8d5L, 0xe169c58dL, 0xbc57ac4cL, 0x9b00dbd8L};
        for (int i = 0; i < 4; i++) {
            double u = (words[i] >>> 8) / 16777216.0;
            assertTrue(mask(DType.F64, 0, i, u, 1)[0] != 0, "element " + i + " kept at p = u");
            assertEquals(0, mask(DType.F64, 0, i, u + 1.0 / 16777216, 1)[0], "element " + i + " dropped at p = u + 2^-24");
        }
    }
}
