package dev.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.engine.api.Buffer;
import dev.engine.api.DType;
import dev.engine.api.Layout;
import org.junit.jupiter.api.Test;

/**
 * Strided copy with dtype conversion against a naive reference (index every element through both
 * layouts). Tolerance: exact, except F64 -> F32 which must equal Java's (float) rounding exactly too.
 */
class CopyTest extends CpuTestBase {
    static final DType[] ALL = {DType.F32, DType.F64, DType.I32, DType.I64};

    /** Java's conversion of a value to the destination dtype (truncation toward zero for ints). */
    static double convert(double v, DType to) {
        return switch (to) {
            case F32 -> (float) v;
            case F64 -> v;
            case I32 -> (int) v;
            case I64 -> (long) v;
            default -> throw new IllegalArgumentException();
        };
    }

    void check(DType from, DType to, Layout src, int srcLen, Layout dst, int dstLen) {
        double[] data = new double[srcLen];
        for (int i = 0; i < srcLen; i++) data[i] = convert(rnd.nextGaussian() * 1000, from);
        Buffer s = buf(from, data);
        double[] init = new double[dstLen];
        for (int i = 0; i < dstLen; i++) init[i] = -1 - i;
        Buffer d = buf(to, init);
        BE.copy(view(s, src), view(d, dst));
        double[] expected = init.clone();
        long[] shape = src.shape();
        for (long i = 0; i < src.numel(); i++) {
            long[] idx = unravel(i, shape);
            expected[(int) position(dst, idx)] = convert(data[(int) position(src, idx)], to);
        }
        assertArrayEquals(expected, read(d), 0.0, from + "->" + to + " " + src + " -> " + dst);
    }

    @Test
    void contiguousAllDtypePairs() {
        for (DType a : ALL) for (DType b : ALL) {
            for (long n : new long[]{0, 1, 7, 1000, 70001}) check(a, b, Layout.contiguous(n), (int) n, Layout.contiguous(n), (int) n);
        }
    }

    @Test
    void transposedSlicedBroadcastSourcesToContiguous() {
        for (DType a : ALL) for (DType b : new DType[]{DType.F32, DType.F64, DType.I64}) {
            Layout base = Layout.contiguous(5, 7, 3);
            check(a, b, base.permute(2, 0, 1), 105, Layout.contiguous(3, 5, 7), 105);
            check(a, b, base.transpose(0, 2), 105, Layout.contiguous(3, 7, 5), 105);
            check(a, b, base.narrow(1, 2, 4).slice(0, 1, 5, 2), 105, Layout.contiguous(2, 4, 3), 24);
            check(a, b, Layout.contiguous(1, 7).broadcastTo(new long[]{4, 3, 7}), 7, Layout.contiguous(4, 3, 7), 84);
            check(a, b, Layout.contiguous(3, 1).broadcastTo(new long[]{3, 9}).withOffset(2), 5, Layout.contiguous(3, 9), 27);
            check(a, b, Layout.contiguous(0, 4), 0, Layout.contiguous(0, 4), 0);
            check(a, b, Layout.contiguous(), 1, Layout.contiguous(), 1);               // rank 0
            check(a, b, Layout.contiguous(1, 1, 1).withOffset(3), 4, Layout.contiguous(1, 1, 1), 1);
        }
    }

    @Test
    void writesIntoStridedDestination() {
        for (DType dt : FLOATS) {
            // concat-like: write a 3x4 block into columns 2..5 of a 3x9 matrix, and into a transposed view
            check(dt, dt, Layout.contiguous(3, 4), 12, Layout.contiguous(3, 9).narrow(1, 2, 4), 27);
            check(dt, dt, Layout.contiguous(4, 3), 12, Layout.contiguous(3, 4).transpose(0, 1), 12);
            check(dt, dt, Layout.contiguous(6, 5).slice(1, 0, 5, 2), 30, Layout.contiguous(6, 9).slice(1, 1, 9, 3), 54);
            // large enough to run on several threads
            check(dt, DType.F32, Layout.contiguous(300, 257).transpose(0, 1), 300 * 257, Layout.contiguous(257, 300), 300 * 257);
        }
    }

    @Test
    void integerConversionTruncatesTowardZero() {
        Buffer s = buf(DType.F64, new double[]{2.9, -2.9, 0.5, -0.5, 123456.75});
        Buffer i32 = alloc(DType.I32, 5), i64 = alloc(DType.I64, 5), f32 = alloc(DType.F32, 5);
        BE.copy(view(s, Layout.contiguous(5)), view(i32, Layout.contiguous(5)));
        BE.copy(view(s, Layout.contiguous(5)), view(i64, Layout.contiguous(5)));
        BE.copy(view(i32, Layout.contiguous(5)), view(f32, Layout.contiguous(5)));
        assertArrayEquals(new double[]{2, -2, 0, 0, 123456}, read(i32), 0);
        assertArrayEquals(new double[]{2, -2, 0, 0, 123456}, read(i64), 0);
        assertArrayEquals(new double[]{2, -2, 0, 0, 123456}, read(f32), 0);
        // NaN, infinities and out-of-range values convert as Java casts do (no C++ undefined behaviour)
        double[] odd = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1e20, -1e20, 3e9, -3e9};
        for (DType from : FLOATS) {
            Buffer s2 = buf(from, odd);
            Buffer o32 = alloc(DType.I32, odd.length), o64 = alloc(DType.I64, odd.length);
            BE.copy(view(s2, Layout.contiguous(odd.length)), view(o32, Layout.contiguous(odd.length)));
            BE.copy(view(s2, Layout.contiguous(odd.length)), view(o64, Layout.contiguous(odd.length)));
            double[] e32 = new double[odd.length];
            long[] e64 = new long[odd.length];
            for (int i = 0; i < odd.length; i++) {
                double v = from == DType.F32 ? (float) odd[i] : odd[i];
                e32[i] = (int) v;
                e64[i] = (long) v;
            }
            assertArrayEquals(e32, read(o32), 0, from + " -> I32 saturates");
            assertArrayEquals(e64, readLongs(o64, odd.length), from + " -> I64 saturates");
        }
        Buffer big = buf(DType.I64, new double[]{1L << 40, -(1L << 40) - 3});
        Buffer d = alloc(DType.F64, 2);
        BE.copy(view(big, Layout.contiguous(2)), view(d, Layout.contiguous(2)));
        assertArrayEquals(new double[]{1L << 40, -(1L << 40) - 3}, read(d), 0);
    }
}
