package dev.engine.nn;

import static org.junit.jupiter.api.Assertions.*;

import dev.engine.autograd.Functional;
import dev.engine.autograd.GradCheck;
import dev.engine.autograd.MemoryScope;
import dev.engine.autograd.Tensor;
import org.junit.jupiter.api.Test;

/** Forward values of the fused ops against naive loops (gradient checks only prove backward matches forward). */
class ForwardReferenceTest {
    static double[] conv(double[] x, double[] w, double[] b, int n, int c, int h, int wd, int k, int r, int s,
                         int sh, int sw, int ph, int pw, int dh, int dw, int groups) {
        int oh = (h + 2 * ph - dh * (r - 1) - 1) / sh + 1, ow = (wd + 2 * pw - dw * (s - 1) - 1) / sw + 1;
        int cg = c / groups, kg = k / groups;
        double[] y = new double[n * k * oh * ow];
        for (int in = 0; in < n; in++) for (int ok = 0; ok < k; ok++) for (int oy = 0; oy < oh; oy++) for (int ox = 0; ox < ow; ox++) {
            double acc = b == null ? 0 : b[ok];
            int grp = ok / kg;
            for (int ic = 0; ic < cg; ic++) for (int ky = 0; ky < r; ky++) for (int kx = 0; kx < s; kx++) {
                int iy = oy * sh - ph + ky * dh, ix = ox * sw - pw + kx * dw;
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                acc += x[((in * c + grp * cg + ic) * h + iy) * wd + ix] * w[((ok * cg + ic) * r + ky) * s + kx];
            }
            y[((in * k + ok) * oh + oy) * ow + ox] = acc;
        }
        return y;
    }

    @Test void conv2dMatchesNaiveLoops() {
        int[][] cases = {   // n c h w k r s sh sw ph pw dh dw groups
                {2, 3, 5, 6, 4, 3, 3, 1, 1, 0, 0, 1, 1, 1},
                {1, 2, 7, 7, 3, 3, 2, 2, 1, 1, 2, 1, 1, 1},
                {1, 2, 8, 8, 2, 3, 3, 1, 2, 2, 2, 2, 2, 1},
                {2, 4, 5, 5, 6, 3, 3, 2, 2, 1, 1, 1, 1, 2},
                {1, 3, 4, 4, 3, 2, 2, 1, 1, 0, 0, 1, 1, 3}};
        for (int[] q : cases) {
            try (MemoryScope sc = MemoryScope.open()) {
                int cg = q[1] / q[13];
                double[] x = GradCheck.random(1, q[0] * q[1] * q[2] * q[3]), w = GradCheck.random(2, q[4] * cg * q[5] * q[6]), b = GradCheck.random(3, q[4]);
                double[] expected = conv(x, w, b, q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7], q[8], q[9], q[10], q[11], q[12], q[13]);
                Tensor y = Functional.conv2d(Tensor.of(x, q[0], q[1], q[2], q[3]), Tensor.of(w, q[4], cg, q[5], q[6]), Tensor.of(b, q[4]),
                        new int[]{q[7], q[8]}, new int[]{q[9], q[10]}, new int[]{q[11], q[12]}, q[13]);
                assertArrayEquals(expected, y.toDoubleArray(), 1e-12, java.util.Arrays.toString(q));
            }
        }
    }

    @Test void paddedPoolingMatchesPyTorchSemantics() {
        try (MemoryScope sc = MemoryScope.open()) {
            // 1x1x3x3 values 1..9, kernel 2, stride 2, padding 1 -> 2x2 windows {1}, {2,3}, {4,7}, {5,6,8,9}
            Tensor x = Tensor.of(new double[]{1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 1, 3, 3);
            int[] k = {2, 2}, s = {2, 2}, p = {1, 1};
            assertArrayEquals(new double[]{1, 3, 7, 9}, Functional.maxPool2d(x, k, s, p).toDoubleArray());
            assertArrayEquals(new double[]{0.25, 1.25, 2.75, 7}, Functional.avgPool2d(x, k, s, p, true).toDoubleArray(), 1e-12);
            assertArrayEquals(new double[]{1, 2.5, 5.5, 7}, Functional.avgPool2d(x, k, s, p, false).toDoubleArray(), 1e-12);
            // adaptive 3 -> 2: windows [0,2) and [1,3) in each direction
            assertArrayEquals(new double[]{3, 4, 6, 7}, Functional.adaptiveAvgPool2d(x, 2, 2).toDoubleArray(), 1e-12);
        }
    }

    @Test void normsMatchFormulas() {
        try (MemoryScope sc = MemoryScope.open()) {
            double[] v = {1, 2, 3, 6};
            double mean = 3, var = (4 + 1 + 0 + 9) / 4.0, rs = 1 / Math.sqrt(var + 1e-5);
            double[] y = Functional.layerNorm(Tensor.of(v, 1, 4), new long[]{4}, Tensor.of(new double[]{1, 2, 1, 1}, 4),
                    Tensor.of(new double[]{0, 0, 0.5, 0}, 4), 1e-5).toDoubleArray();
            assertArrayEquals(new double[]{(1 - mean) * rs, 2 * (2 - mean) * rs, 0.5, (6 - mean) * rs}, y, 1e-12);
            // batch norm over [N=2, C=1, 2]: the same four values in one channel, biased variance
            double[] b = Functional.batchNorm(Tensor.of(v, 2, 1, 2), null, null, Tensor.of(new double[]{3}, 1), Tensor.of(new double[]{1}, 1),
                    true, 0.1, 1e-5).toDoubleArray();
            for (int i = 0; i < 4; i++) assertEquals(3 * (v[i] - mean) * rs + 1, b[i], 1e-12);
        }
    }
}
