package dev.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.Buffer;
import dev.engine.api.DType;
import dev.engine.api.EngineException;
import dev.engine.api.Epilogue;
import dev.engine.api.InputQuantization;
import dev.engine.api.MatrixRef;
import dev.engine.api.PackedMatrix;
import dev.engine.api.ShapeException;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The int8 GEMM of the frozen path (native/cpu/int8_gemm.h) at the CPU's widest ISA: bit for bit against
 * the integer reference, the same bits for one and two threads, within the quantisation error bound of
 * the exact F32 product, NaN rows for non-finite inputs, and bad calls refused with a clear message.
 */
class Int8GemmTest extends CpuTestBase {
    @Test
    void matchesTheIntegerReference() {
        String r = Int8Reference.checkAll(BE);
        assertTrue(r.startsWith("checked"), r);
    }

    @Test
    void convolutionMatchesTheIntegerReference() {
        String r = Int8Reference.checkConv(BE);
        assertTrue(r.startsWith("conv checked"), r);
    }

    /** The images of one call share one GEMM: an image with a NaN gives NaN outputs, its neighbours stay finite. */
    @Test
    void convolutionNaNImageStaysItsOwn() {
        dev.engine.api.Conv2dShape g = new dev.engine.api.Conv2dShape(3, 2, 6, 6, 4, 3, 3, 1, 1, 0, 0, 1, 1, 1);
        int img = 2 * 6 * 6, out = 4 * 4 * 4;
        float[] x = new float[3 * img];
        Random r = new Random(3);
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        x[img + 5] = Float.NaN;
        int[] w = new int[18 * 4];
        for (int i = 0; i < w.length; i++) w[i] = r.nextInt(255) - 127;
        float[] scales = {0.01f, 0.02f, 0.03f, 0.04f}, y = new float[3 * out];
        try (Buffer bx = BE.allocate(DType.F32, x.length); Buffer bw = BE.allocate(DType.I32, w.length); Buffer bs = BE.allocate(DType.F32, 4);
             Buffer by = BE.allocate(DType.F32, y.length)) {
            BE.copyIn(x, 0, bx, 0, x.length);
            BE.copyIn(w, 0, bw, 0, w.length);
            BE.copyIn(scales, 0, bs, 0, 4);
            try (PackedMatrix pm = BE.packMatrixInt8(bw, bs, 18, 4)) {
                BE.conv2dForwardInt8Packed(g, bx, InputQuantization.of(0.02f, 128), pm, null, dev.engine.api.Activation.NONE, by);
            }
            BE.copyOut(by, 0, y, 0, y.length);
        }
        for (int i = 0; i < y.length; i++) {
            boolean second = i >= out && i < 2 * out;
            assertEquals(second, Float.isNaN(y[i]), "output " + i + (second ? " of the image with a NaN" : " of a finite image"));
        }
    }

    @Test
    void identicalForAnyThreadCount() {
        Int8Reference.Case c = Int8Reference.Case.random(new Random(5), 130, 300, 200, 0);
        int before = BE.threads();
        try {
            for (InputQuantization aq : new InputQuantization[]{InputQuantization.dynamic(), InputQuantization.of(0.05f, 100)}) {
                BE.setThreads(1);
                float[] one = Int8Reference.run(BE, c, aq, true, false, true);
                BE.setThreads(2);
                float[] two = Int8Reference.run(BE, c, aq, true, false, true);
                assertArrayEquals(one, two);
                Int8Reference.Case row = new Int8Reference.Case(1, c.k(), c.n(), c.lda(), java.util.Arrays.copyOf(c.a(), c.k()), c.w(), c.scales(),
                        c.bias(), c.res());
                if (!aq.perCall()) {  // static parameters: a row's result does not depend on its batch
                    float[] alone = Int8Reference.run(BE, row, aq, true, false, true);
                    assertArrayEquals(java.util.Arrays.copyOf(two, c.n()), alone);
                }
            }
        } finally {
            BE.setThreads(before);
        }
    }

    /** |int8 - exact| <= sum_k (|a| ws/2 + |w ws| sa/2 + sa ws / 4) per element (rounding of both operands). */
    @Test
    void errorWithinTheQuantisationBound() {
        Random r = new Random(11);
        int m = 9, k = 257, n = 70;
        float[] a = new float[m * k], wf = new float[k * n];
        for (int i = 0; i < a.length; i++) a[i] = (float) r.nextGaussian();
        for (int i = 0; i < wf.length; i++) wf[i] = (float) (r.nextGaussian() * 0.1);
        float[] scales = new float[n];
        int[] wq = new int[k * n];
        for (int j = 0; j < n; j++) {
            float max = 0;
            for (int q = 0; q < k; q++) max = Math.max(max, Math.abs(wf[q * n + j]));
            scales[j] = max / 127;
            for (int q = 0; q < k; q++) wq[q * n + j] = Math.round(wf[q * n + j] / scales[j]);
        }
        Int8Reference.Case c = new Int8Reference.Case(m, k, n, k, a, wq, scales, new float[n], new float[m * n]);
        float[] got = Int8Reference.run(BE, c, InputQuantization.dynamic(), false, false, false);
        float sa = Int8Reference.dynamicParams(c).scale();
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double exact = 0, bound = 0;
                for (int q = 0; q < k; q++) {
                    exact += (double) a[i * k + q] * wf[q * n + j];
                    bound += Math.abs(a[i * k + q]) * scales[j] / 2 + Math.abs(wf[q * n + j]) * sa / 2 + sa * scales[j] / 4;
                }
                double err = Math.abs(got[i * n + j] - exact);
                assertTrue(err <= bound * 1.001 + 1e-5, "element (" + i + ", " + j + "): error " + err + " above the bound " + bound);
            }
    }

    @Test
    void nonFiniteInputGivesANanRow() {
        Int8Reference.Case c = Int8Reference.Case.random(new Random(2), 3, 40, 20, 0);
        c.a()[40 + 7] = Float.NaN;
        c.a()[80 + 3] = Float.POSITIVE_INFINITY;
        for (InputQuantization aq : new InputQuantization[]{InputQuantization.dynamic(), InputQuantization.of(0.05f, 100)}) {
            float[] y = Int8Reference.run(BE, c, aq, true, false, false);
            for (int j = 0; j < 20; j++) {
                assertTrue(Float.isFinite(y[j]), "row 0 holds only finite inputs");
                assertTrue(Float.isNaN(y[20 + j]) && Float.isNaN(y[40 + j]), "rows with NaN or infinity give NaN");
            }
        }
    }

    @Test
    void badCallsThrow() {
        Buffer w = buf(DType.I32, new double[]{1, -127, 128, 5});
        Buffer s = buf(DType.F32, new double[]{0.1, 0.2});
        EngineException e = assertThrows(EngineException.class, () -> BE.packMatrixInt8(w, s, 2, 2));
        assertTrue(e.getMessage().contains("row 1, column 0") && e.getMessage().contains("[-127, 127]"), e.getMessage());
        Buffer w2 = buf(DType.I32, new double[]{1, 2, 3, 4});
        Buffer s0 = buf(DType.F32, new double[]{0.1, 0});
        e = assertThrows(EngineException.class, () -> BE.packMatrixInt8(w2, s0, 2, 2));
        assertTrue(e.getMessage().contains("scale of column 1"), e.getMessage());
        Buffer f = buf(DType.F32, new double[]{1, 2, 3, 4});
        assertThrows(EngineException.class, () -> BE.packMatrixInt8(f, s, 2, 2), "weights must be I32");
        assertThrows(ShapeException.class, () -> BE.packMatrixInt8(w2, s, 3, 2), "weights buffer too small");
        assertThrows(ShapeException.class, () -> BE.packMatrixInt8(w2, s, 70_000, 0), "k above the int32-sum limit");
        assertThrows(EngineException.class, () -> InputQuantization.of(0f, 3));
        assertThrows(EngineException.class, () -> InputQuantization.of(1f, 256));
        Buffer a = buf(DType.F32, new double[]{1, 2}), y = buf(DType.F32, new double[2]);
        try (PackedMatrix p = BE.packMatrixInt8(w2, s, 2, 2); PackedMatrix fp = BE.packMatrix(f, 2, 2)) {
            assertEquals("cpu-int8-panel32x4", p.format());
            EngineException wrong = assertThrows(EngineException.class,
                    () -> BE.gemmInt8Packed(1, MatrixRef.of(a, 2), InputQuantization.dynamic(), fp, MatrixRef.of(y, 2), Epilogue.NONE));
            assertTrue(wrong.getMessage().contains("format"), wrong.getMessage());
            assertThrows(EngineException.class, () -> BE.gemmInt8Packed(1, MatrixRef.of(a, 2), null, p, MatrixRef.of(y, 2), Epilogue.NONE));
            assertThrows(ShapeException.class, () -> BE.gemmInt8Packed(2, MatrixRef.of(a, 2), InputQuantization.dynamic(), p, MatrixRef.of(y, 2), Epilogue.NONE));
            BE.gemmInt8Packed(1, MatrixRef.of(a, 2), InputQuantization.dynamic(), p, MatrixRef.of(y, 2), Epilogue.NONE);
            double[] out = read(y);
            // A = [1, 2] quantised exactly (scale 2/255, zero point 0): [1 2] x [[1 2] [3 4]] scaled by 0.1, 0.2
            assertEquals(0.1 * 7, out[0], 1e-2);
            assertEquals(0.2 * 10, out[1], 2e-2);
        }
    }

    @Test
    void int8PeakIsPlausible() {
        CpuBackend cpu = (CpuBackend) BE;
        double peak = cpu.int8PeakGops(20);
        if (cpu.int8GemmIsa().equals("baseline")) assertEquals(0, peak);
        else assertTrue(peak > 1 && peak < 20_000, "int8 peak per core " + peak + " GOP/s");
    }
}
