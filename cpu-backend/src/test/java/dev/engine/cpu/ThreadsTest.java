package dev.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.engine.api.Activation;
import dev.engine.api.Buffer;
import dev.engine.api.Conv2dShape;
import dev.engine.api.BufferView;
import dev.engine.api.DType;
import dev.engine.api.ElementwiseOp;
import dev.engine.api.ElementwiseProgram;
import dev.engine.api.EngineException;
import dev.engine.api.Epilogue;
import dev.engine.api.Layout;
import dev.engine.api.MatrixRef;
import dev.engine.api.ReduceOp;
import org.junit.jupiter.api.Test;

/** One and two threads give bit-identical results; a thread count below 1 is rejected. */
class ThreadsTest extends CpuTestBase {
    double[] runAll(int threads, double[] x, double[] y) {
        int before = BE.threads();
        BE.setThreads(threads);
        try {
            assertEquals(threads, BE.threads());
            int rows = 700, cols = 600, n = rows * cols;
            Buffer bx = buf(DType.F32, x), by = buf(DType.F32, y), out = alloc(DType.F32, n);
            var b = ElementwiseProgram.builder(2);
            ElementwiseProgram p = b.build(b.op(ElementwiseOp.TANH, b.op(ElementwiseOp.MUL, 0, 1)));
            BE.elementwise(p, new BufferView[]{new BufferView(bx, Layout.contiguous(cols, rows).transpose(0, 1)), BufferView.of(by, rows, cols)},
                    BufferView.of(out, rows, cols));
            Buffer c = alloc(DType.F32, 300 * 400);
            BE.gemm(false, true, 300, 400, 500, 1, MatrixRef.of(bx, 500), MatrixRef.of(by, 500), 0, MatrixRef.of(c, 400), 1, Epilogue.NONE);
            Buffer r = alloc(DType.F32, rows);
            BE.reduce(ReduceOp.SUM, BufferView.of(bx, rows, cols), new int[]{1}, r);
            double[] all = new double[n + 300 * 400 + rows];
            System.arraycopy(read(out), 0, all, 0, n);
            System.arraycopy(read(c), 0, all, n, 300 * 400);
            System.arraycopy(read(r), 0, all, n + 300 * 400, rows);
            return all;
        } finally {
            BE.setThreads(before);
        }
    }

    @Test
    void oneAndTwoThreadsAgreeExactly() {
        double[] x = randn(700 * 600), y = randn(700 * 600);
        assertArrayEquals(runAll(1, x, y), runAll(2, x, y), 0.0);
    }

    double[] convAndNorms(int threads, double[] x, double[] w) {
        int before = BE.threads();
        BE.setThreads(threads);
        try {
            Conv2dShape g = new Conv2dShape(16, 8, 20, 20, 12, 3, 3, 1, 1, 1, 1, 1, 1, 2);
            int xn = 16 * 8 * 400, wn = 12 * 4 * 9, yn = 16 * 12 * 400;
            Buffer bx = buf(DType.F32, java.util.Arrays.copyOf(x, xn)), bw = buf(DType.F32, java.util.Arrays.copyOf(w, wn));
            Buffer y = alloc(DType.F32, yn), gx = alloc(DType.F32, xn), gw = alloc(DType.F32, wn), gb = alloc(DType.F32, 12);
            BE.conv2dForward(g, bx, bw, null, Activation.GELU, y);
            BE.conv2dBackwardInput(g, y, bw, gx);
            BE.conv2dBackwardWeight(g, bx, y, gw, gb);
            Buffer ln = alloc(DType.F32, xn), m = alloc(DType.F32, 16 * 8), r = alloc(DType.F32, 16 * 8);
            BE.layerNormForward(bx, null, null, 16 * 8, 400, 1e-5, ln, m, r);
            Buffer sm = alloc(DType.F32, xn);
            BE.softmax(bx, sm, 16 * 8, 400, true);
            Buffer bn = alloc(DType.F32, xn);
            BE.batchNormForward(bx, null, null, null, null, 16, 8, 400, true, 0.1, 1e-5, bn, null, null);
            java.util.List<double[]> parts = java.util.List.of(read(y), read(gx), read(gw), read(gb), read(ln), read(sm), read(bn));
            return parts.stream().flatMapToDouble(java.util.Arrays::stream).toArray();
        } finally {
            BE.setThreads(before);
        }
    }

    @Test
    void convolutionAndNormalisationAgreeAcrossThreadCounts() {
        double[] x = randn(16 * 8 * 400), w = randn(12 * 4 * 9);
        assertArrayEquals(convAndNorms(1, x, w), convAndNorms(2, x, w), 0.0);
    }

    @Test
    void nonPositiveThreadCountsThrow() {
        for (int t : new int[]{0, -1, Integer.MIN_VALUE}) {
            var e = assertThrows(EngineException.class, () -> BE.setThreads(t));
            assertMessageNames(e, "setThreads");
        }
        assertThrows(EngineException.class, () -> BE.setThreads(100_000), "absurd thread counts are rejected too");
    }
}
