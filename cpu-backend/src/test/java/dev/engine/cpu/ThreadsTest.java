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

/**
 * One and two threads agree: our own kernels exactly (F32 convolution included: its forward pass and both
 * gradients run on our packed tiles and direct kernels, the weight gradient summed per fixed image chunk);
 * GEMM through OpenBLAS's own thread pool within float rounding (1e-4 relative, its blocking differs with
 * the thread count).
 * A thread count below 1 is rejected.
 */
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
        double[] one = runAll(1, x, y), two = runAll(2, x, y);
        int n = 700 * 600, g = 300 * 400;
        assertArrayEquals(java.util.Arrays.copyOfRange(one, 0, n), java.util.Arrays.copyOfRange(two, 0, n), 0.0, "elementwise");
        assertClose(java.util.Arrays.copyOfRange(one, n, n + g), java.util.Arrays.copyOfRange(two, n, n + g), "gemm");
        assertArrayEquals(java.util.Arrays.copyOfRange(one, n + g, one.length), java.util.Arrays.copyOfRange(two, n + g, two.length), 0.0, "reduce");
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
        assertClose(convAndNorms(1, x, w), convAndNorms(2, x, w), "conv and norms");
    }

    /** F32 convolution on the packed path (stride 1 and 2, groups, a large batch) and the wide and broadcast weight gradients. */
    double[] convPaths(int threads, Conv2dShape g, double[] x, double[] w, double[] gy) {
        int before = BE.threads();
        BE.setThreads(threads);
        try {
            Buffer bx = buf(DType.F32, x), bw = buf(DType.F32, w), bgy = buf(DType.F32, gy);
            Buffer y = alloc(DType.F32, gy.length), gx = alloc(DType.F32, x.length), gw = alloc(DType.F32, w.length), gb = alloc(DType.F32, g.k());
            BE.conv2dForward(g, bx, bw, null, Activation.RELU, y);
            BE.conv2dBackwardInput(g, bgy, bw, gx);
            BE.conv2dBackwardWeight(g, bx, bgy, gw, gb);
            return java.util.stream.Stream.of(read(y), read(gx), read(gw), read(gb)).flatMapToDouble(java.util.Arrays::stream).toArray();
        } finally {
            BE.setThreads(before);
        }
    }

    @Test
    void convolutionIsIdenticalForAnyThreadCount() {
        Conv2dShape[] shapes = {
                new Conv2dShape(64, 6, 12, 12, 16, 5, 5, 1, 1, 0, 0, 1, 1, 1),     // LeNet conv2 at batch 64
                new Conv2dShape(9, 16, 16, 16, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1),     // packed forward, broadcast weight gradient, 9 images
                new Conv2dShape(5, 12, 15, 15, 24, 3, 3, 2, 2, 1, 1, 1, 1, 2),     // strided, grouped: W^T gy + col2im, packed weight gradient
                new Conv2dShape(9, 8, 17, 17, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1),      // 16 channels on a large plane: wide weight gradient
                new Conv2dShape(11, 16, 16, 16, 32, 3, 3, 2, 2, 1, 1, 1, 1, 1),    // ResNet downsampling: broadcast weight gradient, 6 chunks
        };
        for (Conv2dShape g : shapes) {
            double[] x = randn((int) ConvTest.numel(g.inputShape())), w = randn((int) ConvTest.numel(g.weightShape()));
            double[] gy = randn((int) ConvTest.numel(g.outputShape()));
            assertArrayEquals(convPaths(1, g, x, w, gy), convPaths(2, g, x, w, gy), 0.0, "conv " + g);
            assertArrayEquals(convPaths(1, g, x, w, gy), convPaths(3, g, x, w, gy), 0.0, "conv " + g + " on 3 threads");
        }
    }

    @Test
    void nonPositiveThreadCountsThrow() {
        for (int t : new int[]{0, -1, Integer.MIN_VALUE}) {
            var e = assertThrows(EngineException.class, () -> BE.setThreads(t));
            assertMessageNames(e, "setThreads");
        }
        assertThrows(EngineException.class, () -> BE.setThreads(100_000), "absurd thread counts are rejected too");
    }

    private static void assertClose(double[] a, double[] b, String what) {
        assertEquals(a.length, b.length);
        for (int i = 0; i < a.length; i++)
            assertEquals(a[i], b[i], 1e-4 * (1 + Math.abs(a[i])), what + " element " + i);
    }
}
