package dev.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.Buffer;
import dev.engine.api.DType;
import dev.engine.api.EngineException;
import dev.engine.api.Epilogue;
import dev.engine.api.MatrixRef;
import dev.engine.api.PackedMatrix;
import dev.engine.api.ShapeException;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The BF16 GEMM of the frozen path (native/cpu/bf16_gemm.h) at the CPU's widest ISA: against the Java reference
 * on the same bf16-rounded inputs, the same bits for one and two threads and for a row alone or in a batch,
 * within the bf16 rounding bound of the exact F32 product, and bad calls refused with a clear message.
 */
class Bf16GemmTest extends CpuTestBase {
    @Test
    void matchesTheReferenceOnRoundedInputs() {
        String r = Bf16Reference.checkAll(BE);
        assertTrue(r.startsWith("checked " + Bf16Reference.ROWS.length * Bf16Reference.KN.length), r);
    }

    @Test
    void identicalForAnyThreadCountAndBatch() {
        Random r = new Random(5);
        int m = 130, k = 301, n = 200;
        float[] a = Bf16Reference.gauss(r, m * k, 1), w = Bf16Reference.gauss(r, k * n, 0.1), bias = Bf16Reference.gauss(r, n, 1);
        int before = BE.threads();
        try {
            BE.setThreads(1);
            float[] one = Bf16Reference.run(BE, m, k, n, a, w, bias, null);
            BE.setThreads(2);
            float[] two = Bf16Reference.run(BE, m, k, n, a, w, bias, null);
            assertArrayEquals(one, two);
            float[] alone = Bf16Reference.run(BE, 1, k, n, Arrays.copyOfRange(a, 5 * k, 6 * k), w, bias, null);
            assertArrayEquals(Arrays.copyOfRange(two, 5 * n, 6 * n), alone);
            // one panel (n <= 32): the threads split the rows instead, at 8-row boundaries
            int nn = 20;
            float[] w1 = Arrays.copyOf(w, k * nn), b1 = Arrays.copyOf(bias, nn);
            BE.setThreads(1);
            float[] rowsOne = Bf16Reference.run(BE, m, k, nn, a, w1, b1, null);
            BE.setThreads(2);
            assertArrayEquals(rowsOne, Bf16Reference.run(BE, m, k, nn, a, w1, b1, null));
            assertArrayEquals(Arrays.copyOfRange(rowsOne, 77 * nn, 78 * nn),
                    Bf16Reference.run(BE, 1, k, nn, Arrays.copyOfRange(a, 77 * k, 78 * k), w1, b1, null));
        } finally {
            BE.setThreads(before);
        }
    }

    /** |bf16 - exact| <= sum_k |a w| (2u + u^2) + F32 summation error, u = 2^-9 (bf16's unit roundoff). */
    @Test
    void errorWithinTheBf16Bound() {
        Random r = new Random(11);
        int m = 9, k = 257, n = 70;
        float[] a = Bf16Reference.gauss(r, m * k, 1), w = Bf16Reference.gauss(r, k * n, 0.1);
        float[] got = Bf16Reference.run(BE, m, k, n, a, w, null, null);
        double u = Math.pow(2, -9);
        double worst = 0;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double exact = 0, mag = 0;
                for (int q = 0; q < k; q++) {
                    exact += (double) a[i * k + q] * w[q * n + j];
                    mag += Math.abs((double) a[i * k + q] * w[q * n + j]);
                }
                double bound = mag * (2 * u + u * u) + k * Math.ulp(1f) * mag;
                double err = Math.abs(got[i * n + j] - exact);
                worst = Math.max(worst, err / bound);
                assertTrue(err <= bound, "element (" + i + ", " + j + "): error " + err + " above the bound " + bound);
            }
        assertTrue(worst > 0, "bf16 rounding should show at all");
    }

    @Test
    void roundsToNearestEven() {
        // 1 + 2^-8 lies halfway between bf16 neighbours 1 and 1 + 2^-7: ties to even give 1; 1 + 3 * 2^-8 gives 1 + 2^-6
        float[] w = {1f + 0x1p-8f, 1f + 3 * 0x1p-8f};
        float[] y = Bf16Reference.run(BE, 1, 1, 2, new float[]{1f}, w, null, null);
        assertEquals(1f, y[0]);
        assertEquals(1f + 0x1p-6f, y[1]);
        assertEquals(Bf16Reference.round(w[1]), y[1]);
        float[] nan = Bf16Reference.run(BE, 1, 2, 1, new float[]{Float.NaN, 1}, new float[]{1, 1}, null, null);
        assertTrue(Float.isNaN(nan[0]), "NaN input stays NaN");
    }

    @Test
    void badCallsThrow() {
        Buffer f = buf(DType.F32, new double[]{1, 2, 3, 4});
        Buffer i32 = buf(DType.I32, new double[]{1, 2, 3, 4});
        assertThrows(EngineException.class, () -> BE.packMatrixBf16(i32, 2, 2), "B must be F32");
        assertThrows(ShapeException.class, () -> BE.packMatrixBf16(f, 3, 2), "B buffer too small");
        assertThrows(ShapeException.class, () -> BE.packMatrixBf16(f, -1, 2), "negative size");
        Buffer a = buf(DType.F32, new double[]{1, 2}), y = buf(DType.F32, new double[2]);
        try (PackedMatrix p = BE.packMatrixBf16(f, 2, 2); PackedMatrix fp = BE.packMatrix(f, 2, 2)) {
            assertEquals("cpu-bf16-panel32x2", p.format());
            EngineException wrong = assertThrows(EngineException.class, () -> BE.gemmBf16Packed(1, MatrixRef.of(a, 2), fp, MatrixRef.of(y, 2), Epilogue.NONE));
            assertTrue(wrong.getMessage().contains("format"), wrong.getMessage());
            EngineException other = assertThrows(EngineException.class, () -> BE.gemmPacked(1, MatrixRef.of(a, 2), p, MatrixRef.of(y, 2), Epilogue.NONE));
            assertTrue(other.getMessage().contains("format"), other.getMessage());
            assertThrows(EngineException.class, () -> BE.gemmBf16Packed(1, MatrixRef.of(a, 2), null, MatrixRef.of(y, 2), Epilogue.NONE));
            assertThrows(ShapeException.class, () -> BE.gemmBf16Packed(2, MatrixRef.of(a, 2), p, MatrixRef.of(y, 2), Epilogue.NONE), "A too small for m = 2");
            assertThrows(EngineException.class, () -> BE.gemmBf16Packed(1, MatrixRef.of(a, 2), p, null, Epilogue.NONE));
            Buffer shortBias = buf(DType.F32, new double[]{1});
            assertThrows(ShapeException.class, () -> BE.gemmBf16Packed(1, MatrixRef.of(a, 2), p, MatrixRef.of(y, 2), Epilogue.of(shortBias, null)));
            BE.gemmBf16Packed(1, MatrixRef.of(a, 2), p, MatrixRef.of(y, 2), Epilogue.NONE);
            double[] out = read(y);
            assertEquals(7, out[0]);   // [1 2] x [[1 2] [3 4]], all exact in bf16
            assertEquals(10, out[1]);
        }
        PackedMatrix closed = BE.packMatrixBf16(f, 2, 2);
        closed.close();
        assertThrows(EngineException.class, () -> BE.gemmBf16Packed(1, MatrixRef.of(a, 2), closed, MatrixRef.of(y, 2), Epilogue.NONE));
    }

    @Test
    void emptyShapes() {
        Buffer f = buf(DType.F32, new double[]{1});
        try (PackedMatrix p = BE.packMatrixBf16(f, 0, 3)) {  // k = 0: C = bias only
            Buffer a = buf(DType.F32, new double[]{0}), y = buf(DType.F32, new double[]{9, 9, 9});
            BE.gemmBf16Packed(1, MatrixRef.of(a, 1), p, MatrixRef.of(y, 3), Epilogue.NONE);
            assertArrayEquals(new double[]{0, 0, 0}, read(y));
        }
    }
}
