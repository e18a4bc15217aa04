package dev.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.engine.api.Buffer;
import dev.engine.api.DType;
import dev.engine.api.IndexOutOfRangeException;
import org.junit.jupiter.api.Test;

/** gatherRows / scatterAddRows against naive loops; exact for gathers, F32 1e-6 / F64 1e-14 for sums. */
class IndexTest extends CpuTestBase {
    @Test
    void gatherRowsAllDtypes() {
        for (DType dt : new DType[]{DType.F32, DType.F64, DType.I32, DType.I64})
            for (int[] s : new int[][]{{5, 3, 4}, {1, 1, 1}, {7, 0, 3}, {4, 2, 0}, {50, 129, 1000}}) {
                int rows = s[0], len = s[1], count = s[2];
                double[] src = new double[rows * len];
                for (int i = 0; i < src.length; i++) src[i] = rnd.nextInt(2000) - 1000;
                long[] idx = new long[count];
                for (int i = 0; i < count; i++) idx[i] = rnd.nextInt(rows);
                double[] expected = new double[count * len];
                for (int i = 0; i < count; i++) System.arraycopy(src, (int) idx[i] * len, expected, i * len, len);
                Buffer dst = alloc(dt, expected.length);
                BE.gatherRows(buf(dt, src), rows, len, longs(idx), count, dst);
                assertArrayEquals(expected, read(dst), 0, "gatherRows " + dt + " " + java.util.Arrays.toString(s));
            }
    }

    @Test
    void scatterAddRowsAccumulatesDuplicates() {
        for (DType dt : FLOATS)
            for (int[] s : new int[][]{{5, 3, 4}, {1, 1, 6}, {3, 0, 2}, {4, 2, 0}, {20, 257, 3000}}) {
                int dstRows = s[0], len = s[1], count = s[2];
                double[] src = rounded(dt, randn(count * len)), dst0 = rounded(dt, randn(dstRows * len));
                long[] idx = new long[count];
                for (int i = 0; i < count; i++) idx[i] = rnd.nextInt(dstRows);
                if (count > 2) idx[2] = idx[0]; // duplicates
                double[] expected = dst0.clone();
                for (int i = 0; i < count; i++) for (int j = 0; j < len; j++) expected[(int) idx[i] * len + j] += src[i * len + j];
                Buffer dst = buf(dt, dst0);
                BE.scatterAddRows(buf(dt, src), longs(idx), count, len, dst, dstRows);
                assertClose(expected, read(dst), tol(dt, 1e-5, 1e-13), "scatterAddRows " + dt + " " + java.util.Arrays.toString(s));
            }
        Buffer dst = buf(DType.F64, new double[]{0, 0});
        BE.scatterAddRows(buf(DType.F64, new double[]{1, 2, 3, 4, 5}), longs(1, 1, 0, 1, 1), 5, 1, dst, 2);
        assertArrayEquals(new double[]{3, 12}, read(dst), 0);
    }

    @Test
    void outOfRangeIndicesThrowBeforeAnyWrite() {
        for (long bad : new long[]{-1, 4, Long.MIN_VALUE, Long.MAX_VALUE}) {
            Buffer src = buf(DType.F32, new double[]{1, 2, 3, 4, 5, 6, 7, 8});
            Buffer dst = buf(DType.F32, new double[]{9, 9, 9, 9, 9, 9, 9, 9});
            var e = assertThrows(IndexOutOfRangeException.class, () -> BE.gatherRows(src, 4, 2, longs(0, 1, bad), 3, dst));
            assertMessageNames(e, "gatherRows");
            assertMessageNames(e, String.valueOf(bad));
            e = assertThrows(IndexOutOfRangeException.class, () -> BE.scatterAddRows(src, longs(3, bad), 2, 2, dst, 4));
            assertMessageNames(e, "scatterAddRows");
            assertArrayEquals(new double[]{9, 9, 9, 9, 9, 9, 9, 9}, read(dst), 0, "nothing written");
        }
    }
}
