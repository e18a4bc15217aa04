package dev.engine.nn;

import static dev.engine.autograd.GradCheck.assertGradients;
import static dev.engine.autograd.GradCheck.random;
import static org.junit.jupiter.api.Assertions.*;

import dev.engine.api.DType;
import dev.engine.autograd.Functional;
import dev.engine.autograd.MemoryScope;
import dev.engine.autograd.Reduction;
import dev.engine.autograd.Tensor;
import org.junit.jupiter.api.Test;

/** Finite-difference gradient checks (F64) of every fused layer op and loss in {@link Functional}. */
class FunctionalGradTest {
    private static int n(long... s) { int p = 1; for (long v : s) p *= (int) v; return p; }

    private static void conv(long[] xs, long[] ws, boolean bias, int[] stride, int[] pad, int[] dil, int groups) {
        double[][] v = bias ? new double[][]{random(1, n(xs)), random(2, n(ws)), random(3, (int) ws[0])}
                : new double[][]{random(1, n(xs)), random(2, n(ws))};
        long[][] s = bias ? new long[][]{xs, ws, {ws[0]}} : new long[][]{xs, ws};
        assertGradients(in -> Functional.conv2d(in[0], in[1], bias ? in[2] : null, stride, pad, dil, groups), v, s);
    }

    @Test void conv2dGradients() {
        conv(new long[]{2, 3, 5, 5}, new long[]{4, 3, 3, 3}, true, new int[]{1, 1}, new int[]{0, 0}, new int[]{1, 1}, 1);
        conv(new long[]{1, 2, 6, 7}, new long[]{3, 2, 3, 2}, true, new int[]{2, 1}, new int[]{1, 2}, new int[]{1, 1}, 1);
        conv(new long[]{1, 2, 7, 7}, new long[]{2, 2, 3, 3}, false, new int[]{1, 1}, new int[]{2, 2}, new int[]{2, 2}, 1);
        conv(new long[]{2, 4, 5, 5}, new long[]{6, 2, 3, 3}, true, new int[]{1, 2}, new int[]{1, 1}, new int[]{1, 1}, 2);
        conv(new long[]{1, 3, 4, 4}, new long[]{3, 1, 2, 2}, true, new int[]{1, 1}, new int[]{0, 0}, new int[]{1, 1}, 3);  // depthwise
    }

    @Test void conv2dForwardMatchesDirectSum() {
        try (MemoryScope s = MemoryScope.open()) {
            // 1 image, 1 channel 3x3, 1 filter 2x2 of ones, padding 0: each output is a 2x2 window sum
            Tensor x = Tensor.of(new float[]{1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 1, 3, 3);
            Tensor w = Tensor.ones(1, 1, 2, 2);
            Tensor y = Functional.conv2d(x, w, Tensor.of(new float[]{0.5f}, 1), 1, 0);
            assertArrayEquals(new float[]{12.5f, 16.5f, 24.5f, 28.5f}, y.toFloatArray(), 1e-5f);
        }
    }

    @Test void poolingGradients() {
        double[] x = random(4, 2 * 2 * 6 * 6);
        long[][] s = {{2, 2, 6, 6}};
        assertGradients(in -> Functional.maxPool2d(in[0], 2), new double[][]{x}, s);
        assertGradients(in -> Functional.maxPool2d(in[0], new int[]{3, 3}, new int[]{2, 2}, new int[]{1, 1}), new double[][]{x}, s);
        assertGradients(in -> Functional.avgPool2d(in[0], 2), new double[][]{x}, s);
        assertGradients(in -> Functional.avgPool2d(in[0], new int[]{3, 3}, new int[]{2, 2}, new int[]{1, 1}, false), new double[][]{x}, s);
        assertGradients(in -> Functional.avgPool2d(in[0], new int[]{3, 2}, new int[]{1, 2}, new int[]{1, 1}, true), new double[][]{x}, s);
        assertGradients(in -> Functional.adaptiveAvgPool2d(in[0], 4, 3), new double[][]{x}, s);
        assertGradients(in -> Functional.adaptiveAvgPool2d(in[0], 1, 1), new double[][]{x}, s);
    }

    @Test void poolingValues() {
        try (MemoryScope s = MemoryScope.open()) {
            Tensor x = Tensor.arange(16).reshape(1, 1, 4, 4);
            assertArrayEquals(new float[]{5, 7, 13, 15}, Functional.maxPool2d(x, 2).toFloatArray());
            assertArrayEquals(new float[]{2.5f, 4.5f, 10.5f, 12.5f}, Functional.avgPool2d(x, 2).toFloatArray());
            assertArrayEquals(new float[]{7.5f}, Functional.adaptiveAvgPool2d(x, 1, 1).toFloatArray());
        }
    }

    @Test void normGradients() {
        long[] xs = {3, 2, 4};
        double[][] v = {random(5, 24), random(6, 4), random(7, 4)};
        assertGradients(in -> Functional.layerNorm(in[0], new long[]{4}, in[1], in[2], 1e-5), v, new long[][]{xs, {4}, {4}});
        assertGradients(in -> Functional.layerNorm(in[0], new long[]{2, 4}, null, null, 1e-5), new double[][]{random(8, 24)}, new long[][]{xs});
        double[][] b = {random(9, 2 * 3 * 2 * 2), random(10, 3), random(11, 3)};
        assertGradients(in -> Functional.batchNorm(in[0], null, null, in[1], in[2], true, 0.1, 1e-5), b,
                new long[][]{{2, 3, 2, 2}, {3}, {3}});
        assertGradients(in -> Functional.batchNorm(in[0], null, null, in[1], in[2], true, 0.1, 1e-5),
                new double[][]{random(12, 12), random(13, 3), random(14, 3)}, new long[][]{{4, 3}, {3}, {3}});
        // eval mode with fixed running statistics
        assertGradients(in -> Functional.batchNorm(in[0], Tensor.of(new double[]{0.1, -0.2, 0.3}, 3),
                Tensor.of(new double[]{0.5, 1.5, 2.0}, 3), in[1], in[2], false, 0.1, 1e-5), b, new long[][]{{2, 3, 2, 2}, {3}, {3}});
    }

    @Test void batchNormUpdatesRunningStats() {
        try (MemoryScope s = MemoryScope.open()) {
            Tensor x = Tensor.of(new float[]{1, 10, 3, 20}, 2, 2);   // channel 0: {1, 3}, channel 1: {10, 20}
            Tensor rm = Tensor.zeros(2), rv = Tensor.ones(2);
            Tensor y = Functional.batchNorm(x, rm, rv, null, null, true, 0.1, 0);
            assertArrayEquals(new float[]{-1, -1, 1, 1}, y.toFloatArray(), 1e-4f);
            assertArrayEquals(new float[]{0.2f, 1.5f}, rm.toFloatArray(), 1e-6f);
            // unbiased variance: ch0 2, ch1 50
            assertArrayEquals(new float[]{0.9f + 0.2f, 0.9f + 5f}, rv.toFloatArray(), 1e-5f);
        }
    }

    @Test void dropoutAndEmbeddingGradients() {
        assertGradients(in -> Functional.dropout(in[0], 0.4, 7, 0), new double[][]{random(15, 20)}, new long[][]{{4, 5}});
        Tensor idx = Tensor.ofLongs(new long[]{2, 0, 2, 3, 1, 2}, 2, 3);
        assertGradients(in -> Functional.embedding(idx, in[0]), new double[][]{random(16, 12)}, new long[][]{{4, 3}});
        try (MemoryScope s = MemoryScope.open()) {
            Tensor w = Tensor.of(random(17, 12), 4, 3).requiresGrad(true);
            Functional.embedding(idx, w, 2).sum().backward();
            double[] g = w.grad().toDoubleArray();
            assertArrayEquals(new double[]{1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1}, g);
        }
    }

    @Test void dropoutMaskIsReproducibleAndScaled() {
        try (MemoryScope s = MemoryScope.open()) {
            Tensor x = Tensor.ones(1000);
            float[] a = Functional.dropout(x, 0.3, 11, 0).toFloatArray(), b = Functional.dropout(x, 0.3, 11, 0).toFloatArray();
            float[] c = Functional.dropout(x, 0.3, 11, 1000).toFloatArray();
            assertArrayEquals(a, b);
            assertFalse(java.util.Arrays.equals(a, c));
            int zeros = 0;
            for (float v : a) { if (v == 0) zeros++; else assertEquals(1 / 0.7f, v, 1e-6f); }
            assertTrue(zeros > 240 && zeros < 360, "about 30% dropped, got " + zeros);
        }
    }

    @Test void crossEntropyGradientsAndValues() {
        Tensor t = Tensor.ofLongs(new long[]{1, 0, 3, 2}, 4);
        Tensor tIgn = Tensor.ofLongs(new long[]{1, -100, 3, 2}, 4);
        double[][] x = {random(18, 16)};
        long[][] s = {{4, 4}};
        for (Reduction r : Reduction.values()) {
            assertGradients(in -> Functional.crossEntropy(in[0], t, null, -100, 0, r), x, s);
            assertGradients(in -> Functional.crossEntropy(in[0], tIgn, Tensor.of(new double[]{1, 2, 0.5, 3}, 4), -100, 0.1, r), x, s);
            assertGradients(in -> Functional.nllLoss(in[0], tIgn, Tensor.of(new double[]{1, 2, 0.5, 3}, 4), -100, r), x, s);
        }
        // spatial targets [N, C, L]
        Tensor ts = Tensor.ofLongs(new long[]{0, 2, 1, 1, 0, 2}, 2, 3);
        assertGradients(in -> Functional.crossEntropy(in[0], ts, null, -100, 0.05, Reduction.MEAN), new double[][]{random(19, 18)}, new long[][]{{2, 3, 3}});
        try (MemoryScope sc = MemoryScope.open()) {
            // reference: weighted mean divides by the sum of the targets' weights
            double[] lv = random(20, 16);
            Tensor logits = Tensor.of(lv, 4, 4);
            Tensor w = Tensor.of(new double[]{1, 2, 0.5, 3}, 4);
            double expected = 0, wsum = 0;
            long[] tv = {1, -100, 3, 2};
            double[] cw = {1, 2, 0.5, 3};
            for (int r = 0; r < 4; r++) {
                if (tv[r] < 0) continue;
                double m = Double.NEGATIVE_INFINITY, se = 0;
                for (int j = 0; j < 4; j++) m = Math.max(m, lv[r * 4 + j]);
                for (int j = 0; j < 4; j++) se += Math.exp(lv[r * 4 + j] - m);
                double lse = m + Math.log(se);
                expected += cw[(int) tv[r]] * (lse - lv[r * 4 + (int) tv[r]]);
                wsum += cw[(int) tv[r]];
            }
            assertEquals(expected / wsum, Functional.crossEntropy(logits, tIgn, w, -100, 0, Reduction.MEAN).item(), 1e-9);
            assertEquals(expected / wsum, Functional.nllLoss(logits.logSoftmax(1), tIgn, w, -100, Reduction.MEAN).item(), 1e-9);
        }
    }

    @Test void nllIgnoresRowsWithInfiniteLogProbs() {
        try (MemoryScope sc = MemoryScope.open()) {
            Tensor lp = Tensor.of(new double[]{Double.NEGATIVE_INFINITY, Math.log(0.5), Math.log(0.5), Math.log(0.25), Math.log(0.75), Double.NEGATIVE_INFINITY}, 2, 3);
            Tensor t = Tensor.ofLongs(new long[]{-100, 1}, 2);
            assertEquals(-Math.log(0.75), Functional.nllLoss(lp, t, null, -100, Reduction.MEAN).item(), 1e-12);
            assertThrows(dev.engine.api.IndexOutOfRangeException.class,
                    () -> Functional.nllLoss(lp, Tensor.ofLongs(new long[]{3, 1}, 2), null, -100, Reduction.MEAN));
            assertThrows(dev.engine.api.IndexOutOfRangeException.class,
                    () -> Functional.crossEntropy(lp, Tensor.ofLongs(new long[]{0, 7}, 2)));
        }
    }

    @Test void pointwiseLossGradients() {
        double[] a = random(21, 12), b = random(22, 12);
        long[][] s = {{3, 4}, {3, 4}};
        for (Reduction r : Reduction.values()) {
            assertGradients(in -> Functional.mseLoss(in[0], in[1], r), new double[][]{a, b}, s);
            assertGradients(in -> Functional.l1Loss(in[0], in[1], r), new double[][]{a, b}, s);
            assertGradients(in -> Functional.smoothL1Loss(in[0], in[1], 0.5, r), new double[][]{a, b}, s);
            assertGradients(in -> Functional.huberLoss(in[0], in[1], 0.7, r), new double[][]{a, b}, s);
        }
        double[] p = new double[12], y = new double[12];
        for (int i = 0; i < 12; i++) { p[i] = 0.1 + 0.8 * (a[i] + 1) / 2; y[i] = (b[i] + 1) / 2; }
        Tensor yt = Tensor.of(y, 3, 4);
        Tensor w = Tensor.of(new double[]{1, 2, 0.5, 1.5}, 4);
        assertGradients(in -> Functional.binaryCrossEntropy(in[0], yt, w, Reduction.MEAN), new double[][]{p}, new long[][]{{3, 4}});
        assertGradients(in -> Functional.binaryCrossEntropyWithLogits(in[0], yt, null, null, Reduction.SUM), new double[][]{a}, new long[][]{{3, 4}});
        assertGradients(in -> Functional.binaryCrossEntropyWithLogits(in[0], yt, w, Tensor.of(new double[]{3, 1, 0.5, 2}, 4), Reduction.MEAN),
                new double[][]{a}, new long[][]{{3, 4}});
    }

    @Test void pointwiseLossValues() {
        try (MemoryScope s = MemoryScope.open()) {
            Tensor x = Tensor.of(new double[]{0, 2, -3}, 3), y = Tensor.of(new double[]{1, 2, 0}, 3);
            assertEquals((1 + 0 + 9) / 3.0, Functional.mseLoss(x, y, Reduction.MEAN).item(), 1e-12);
            assertEquals(4, Functional.l1Loss(x, y, Reduction.SUM).item(), 1e-12);
            // smooth L1 beta=1: 0.5, 0, 2.5
            assertArrayEquals(new double[]{0.5, 0, 2.5}, Functional.smoothL1Loss(x, y, 1, Reduction.NONE).toDoubleArray(), 1e-12);
            // huber delta=2: 0.5, 0, 2*(3-1)=4
            assertArrayEquals(new double[]{0.5, 0, 4}, Functional.huberLoss(x, y, 2, Reduction.NONE).toDoubleArray(), 1e-12);
            // BCE with logits is stable at extreme logits
            Tensor big = Tensor.of(new double[]{1000, -1000}, 2), tgt = Tensor.of(new double[]{0, 1}, 2);
            assertArrayEquals(new double[]{1000, 1000}, Functional.binaryCrossEntropyWithLogits(big, tgt, null, null, Reduction.NONE).toDoubleArray(), 1e-9);
            // BCE clamps log at -100
            assertEquals(100, Functional.binaryCrossEntropy(Tensor.of(new double[]{0}, 1), Tensor.of(new double[]{1}, 1), null, Reduction.SUM).item(), 1e-9);
            assertEquals(-Math.log(0.8), Functional.binaryCrossEntropy(Tensor.of(new double[]{0.8}, 1), Tensor.of(new double[]{1}, 1), null, Reduction.MEAN).item(), 1e-12);
            assertEquals(DType.F64, Functional.mseLoss(x, y, Reduction.MEAN).dtype());
        }
    }
}
