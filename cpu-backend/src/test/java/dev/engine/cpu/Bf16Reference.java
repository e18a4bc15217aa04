package dev.engine.cpu;

import dev.engine.api.Activation;
import dev.engine.api.Backend;
import dev.engine.api.Buffer;
import dev.engine.api.DType;
import dev.engine.api.Epilogue;
import dev.engine.api.MatrixRef;
import dev.engine.api.PackedMatrix;
import java.util.Random;

/**
 * The BF16 GEMM's reference: both operands rounded to bfloat16 in Java (round to nearest even), the products
 * summed in double, then bias, residual and ReLU. The kernel sums in F32, so it agrees within a few F32 ulps
 * of the sum of absolute products. Shared by {@link Bf16GemmTest} and the per-ISA child JVMs of
 * {@link Bf16IsaTest}.
 */
final class Bf16Reference {
    /** Row counts and (k, n) shapes: m = 1 (batch 1), tiles and their tails, a large m; odd k, n not a multiple of 32. */
    static final int[] ROWS = {1, 2, 7, 8, 13, 130};
    static final int[][] KN = {{1, 1}, {33, 31}, {2, 65}, {70, 100}, {257, 16}, {784, 40}};

    private Bf16Reference() {}

    /** x rounded to the nearest bfloat16 (ties to even), as F32. */
    static float round(float x) {
        if (Float.isNaN(x)) return x;
        int u = Float.floatToRawIntBits(x);
        u = (u + 0x7fff + ((u >>> 16) & 1)) & 0xffff0000;
        return Float.intBitsToFloat(u);
    }

    /** Checks every ROWS x KN case with bias, residual and ReLU; "checked N" or the first mismatch. */
    static String checkAll(Backend be) {
        Random r = new Random(17);
        int checked = 0;
        for (int m : ROWS)
            for (int[] kn : KN) {
                int k = kn[0], n = kn[1];
                float[] a = gauss(r, m * k, 1), w = gauss(r, k * n, 0.1), bias = gauss(r, n, 1), res = gauss(r, m * n, 1);
                float[] got = run(be, m, k, n, a, w, bias, res);
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++) {
                        double s = 0, mag = 0;
                        for (int q = 0; q < k; q++) {
                            double p = (double) round(a[i * k + q]) * round(w[q * n + j]);
                            s += p;
                            mag += Math.abs(p);
                        }
                        double want = Math.max(0, s + bias[j] + res[i * n + j]);
                        double tol = 4 * Math.ulp(1f) * (mag + Math.abs(bias[j]) + Math.abs(res[i * n + j])) + 1e-6;
                        if (Math.abs(got[i * n + j] - want) > tol)
                            return "m=" + m + " k=" + k + " n=" + n + " element (" + i + ", " + j + "): " + got[i * n + j] + ", expected " + want;
                    }
                // the eager gemmRounded runs the same kernel on the same rounded values: the same bits, any transposes
                for (boolean ta : new boolean[]{false, true})
                    for (boolean tb : new boolean[]{false, true}) {
                        float[] eager = runRounded(be, m, k, n, ta ? transpose(a, m, k) : a, ta, tb ? transpose(w, k, n) : w, tb, bias, res);
                        for (int i = 0; i < eager.length; i++)
                            if (Float.floatToRawIntBits(eager[i]) != Float.floatToRawIntBits(got[i]))
                                return "gemmRounded" + (ta ? " A^T" : "") + (tb ? " B^T" : "") + " m=" + m + " k=" + k + " n=" + n
                                        + " element " + i + ": " + eager[i] + ", packed " + got[i];
                    }
                checked++;
            }
        return "checked " + checked;
    }

    /** The rows x cols matrix v transposed (cols x rows). */
    static float[] transpose(float[] v, int rows, int cols) {
        float[] t = new float[v.length];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) t[j * rows + i] = v[i * cols + j];
        return t;
    }

    /** relu(bf16(op(A)) bf16(op(W)) + bias + res) through the eager {@code gemmRounded(BF16, ...)}; a and w stored as transposed. */
    static float[] runRounded(Backend be, int m, int k, int n, float[] a, boolean ta, float[] w, boolean tb, float[] bias, float[] res) {
        try (Buffer ba = up(be, a); Buffer bw = up(be, w); Buffer bb = up(be, bias); Buffer br = up(be, res);
             Buffer c = be.allocate(DType.F32, Math.max(1, (long) m * n))) {
            Epilogue epi = new Epilogue(bb, MatrixRef.of(br, n), Activation.RELU, 0.01);
            be.gemmRounded(DType.BF16, ta, tb, m, n, k, 1, MatrixRef.of(ba, ta ? m : k), MatrixRef.of(bw, tb ? k : n), 0, MatrixRef.of(c, n), 1, epi);
            float[] out = new float[m * n];
            be.copyOut(c, 0, out, 0, out.length);
            return out;
        }
    }

    /** C = relu(bf16(A) bf16(W) + bias + res) through packMatrixBf16 / gemmBf16Packed (bias, res may be null). */
    static float[] run(Backend be, int m, int k, int n, float[] a, float[] w, float[] bias, float[] res) {
        try (Buffer ba = up(be, a); Buffer bw = up(be, w); Buffer bb = bias == null ? null : up(be, bias); Buffer br = res == null ? null : up(be, res);
             Buffer c = be.allocate(DType.F32, Math.max(1, (long) m * n)); PackedMatrix p = be.packMatrixBf16(bw, k, n)) {
            Epilogue epi = new Epilogue(bb, br == null ? null : MatrixRef.of(br, n), bias == null ? Activation.NONE : Activation.RELU, 0.01);
            be.gemmBf16Packed(m, MatrixRef.of(ba, k), p, MatrixRef.of(c, n), epi);
            float[] out = new float[m * n];
            be.copyOut(c, 0, out, 0, out.length);
            return out;
        }
    }

    static float[] gauss(Random r, int n, double sd) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) (r.nextGaussian() * sd);
        return f;
    }

    static Buffer up(Backend be, float[] v) {
        Buffer b = be.allocate(DType.F32, Math.max(1, v.length));
        be.copyIn(v, 0, b, 0, v.length);
        return b;
    }
}
