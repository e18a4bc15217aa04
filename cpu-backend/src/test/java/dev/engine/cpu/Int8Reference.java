package dev.engine.cpu;

import dev.engine.api.Activation;
import dev.engine.api.Backend;
import dev.engine.api.Buffer;
import dev.engine.api.DType;
import dev.engine.api.Epilogue;
import dev.engine.api.InputQuantization;
import dev.engine.api.MatrixRef;
import dev.engine.api.PackedMatrix;
import java.util.Random;

/**
 * The int8 GEMM against an independent reference: A quantised in Java with the documented formula, exact
 * int32 sums of uint8 x int8 products in a triple loop, then the F32 dequantisation, bias, residual and
 * ReLU, each one IEEE float operation as the kernel makes it. Every ISA variant must match it bit for bit
 * (the sums are exact and the epilogue is the same operations). Shared by {@link Int8GemmTest} and the
 * child JVMs of {@link Int8IsaTest}.
 */
final class Int8Reference {
    static final int[] ROWS = {1, 2, 3, 7, 8, 9, 17, 64, 130};
    static final int[][] KN = {{1, 1}, {3, 10}, {5, 31}, {33, 32}, {16, 33}, {70, 100}, {784, 10}, {100, 130}};

    private Int8Reference() {}

    /** Random symmetric int8 weights and positive scales, and the F32 activations (some negative). */
    record Case(int m, int k, int n, int lda, float[] a, int[] w, float[] scales, float[] bias, float[] res) {
        static Case random(Random r, int m, int k, int n, int extraLd) {
            int lda = k + extraLd;
            float[] a = new float[m * lda];
            for (int i = 0; i < a.length; i++) a[i] = (float) (r.nextGaussian() * 2 + 0.5);
            int[] w = new int[k * n];
            for (int i = 0; i < w.length; i++) w[i] = r.nextInt(255) - 127;
            float[] s = new float[n], bias = new float[n], res = new float[m * n];
            for (int j = 0; j < n; j++) { s[j] = (float) (0.001 + r.nextDouble() * 0.02); bias[j] = (float) r.nextGaussian(); }
            for (int i = 0; i < res.length; i++) res[i] = (float) r.nextGaussian();
            return new Case(m, k, n, lda, a, w, s, bias, res);
        }
    }

    static InputQuantization dynamicParams(Case c) {
        float lo = 0, hi = 0;
        for (int i = 0; i < c.m; i++)
            for (int q = 0; q < c.k; q++) { lo = Math.min(lo, c.a[i * c.lda + q]); hi = Math.max(hi, c.a[i * c.lda + q]); }
        if (!(hi > lo)) return InputQuantization.of(1f, 0);
        float s = (hi - lo) / 255f;
        return InputQuantization.of(s, (int) Math.max(0, Math.min(255, Math.rint(-lo / s))));
    }

    static float[] reference(Case c, InputQuantization aq, boolean bias, boolean residual, boolean relu) {
        InputQuantization p = aq.perCall() ? dynamicParams(c) : aq;
        float sa = p.scale();
        int za = p.zeroPoint();
        float[] out = new float[c.m * c.n];
        for (int i = 0; i < c.m; i++)
            for (int j = 0; j < c.n; j++) {
                int acc = 0, colsum = 0;
                for (int q = 0; q < c.k; q++) {
                    float v = (float) Math.rint(c.a[i * c.lda + q] / sa) + za;
                    int aq8 = (int) Math.max(0f, Math.min(255f, v));
                    acc += aq8 * c.w[q * c.n + j];
                    colsum += c.w[q * c.n + j];
                }
                float y = (float) (acc - za * colsum) * (sa * c.scales[j]);
                if (bias) y += c.bias[j];
                if (residual) y += c.res[i * c.n + j];
                out[i * c.n + j] = relu ? Math.max(0f, y) : y;
            }
        return out;
    }

    /** Runs c on be; returns the output (m x n). */
    static float[] run(Backend be, Case c, InputQuantization aq, boolean bias, boolean residual, boolean relu) {
        try (Buffer a = be.allocate(DType.F32, Math.max(1, c.a.length)); Buffer w = be.allocate(DType.I32, Math.max(1, c.w.length));
             Buffer s = be.allocate(DType.F32, c.n); Buffer b = be.allocate(DType.F32, c.n); Buffer r = be.allocate(DType.F32, c.res.length);
             Buffer y = be.allocate(DType.F32, (long) c.m * c.n)) {
            be.copyIn(c.a, 0, a, 0, c.a.length);
            be.copyIn(c.w, 0, w, 0, c.w.length);
            be.copyIn(c.scales, 0, s, 0, c.n);
            be.copyIn(c.bias, 0, b, 0, c.n);
            be.copyIn(c.res, 0, r, 0, c.res.length);
            try (PackedMatrix p = be.packMatrixInt8(w, s, c.k, c.n)) {
                Epilogue epi = new Epilogue(bias ? b : null, residual ? MatrixRef.of(r, c.n) : null, relu ? Activation.RELU : Activation.NONE, 0);
                be.gemmInt8Packed(c.m, MatrixRef.of(a, c.lda), aq, p, MatrixRef.of(y, c.n), epi);
            }
            float[] out = new float[c.m * c.n];
            be.copyOut(y, 0, out, 0, out.length);
            return out;
        }
    }

    /** Convolution geometries: n, c, h, w, k, r, s, stride, pad, dilation. */
    static final int[][] CONVS = {{1, 1, 28, 28, 6, 5, 5, 1, 0, 1}, {2, 6, 12, 12, 16, 5, 5, 1, 2, 1}, {1, 3, 9, 7, 33, 3, 3, 2, 1, 1},
            {3, 2, 8, 8, 4, 3, 3, 1, 1, 2}, {9, 1, 28, 28, 6, 5, 5, 1, 0, 1},  // 9 images in one GEMM
            {2, 3, 16, 16, 8, 7, 7, 2, 3, 1}, {1, 4, 6, 5, 8, 1, 1, 1, 0, 1}, {1, 2, 5, 12, 3, 3, 9, 1, 4, 1},  // 7x7 s2, 1x1, 9 taps a row
            // stride 1 (the plane kernel on AVX-512 VNNI + VBMI): 4 taps a row and 33 filters, 64 filters in
            // four runs of 16, rows wider than 16 positions, a single filter
            {2, 5, 13, 7, 33, 3, 4, 1, 2, 1}, {1, 16, 12, 12, 64, 3, 3, 1, 1, 1}, {3, 2, 20, 40, 9, 7, 7, 1, 3, 1}, {2, 4, 6, 6, 1, 3, 3, 1, 0, 1}};

    /**
     * The int8 convolution of {@code x} by direct loops over the valid taps: int sums of (q(x) - za) * w (w as
     * [K][C*R*S]), times sa * scale, plus bias, then ReLU where {@code relu}; NCHW.
     */
    static float[] conv(dev.engine.api.Conv2dShape g, float[] x, int[] wt, float[] sc, float[] bias, float sa, int za, boolean relu) {
        int n = (int) g.n(), c = (int) g.c(), h = (int) g.h(), w = (int) g.w(), k = (int) g.k(), rr = (int) g.r(), ss = (int) g.s();
        int oh = (int) g.outH(), ow = (int) g.outW(), crs = c * rr * ss;
        float[] want = new float[n * k * oh * ow];
        for (int b = 0; b < n; b++)
            for (int f = 0; f < k; f++)
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++) {
                        int acc = 0;
                        for (int ci = 0; ci < c; ci++)
                            for (int ky = 0; ky < rr; ky++)
                                for (int kx = 0; kx < ss; kx++) {
                                    int iy = oy * g.strideH() - g.padH() + ky * g.dilationH(), ix = ox * g.strideW() - g.padW() + kx * g.dilationW();
                                    if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                                    float q = (float) Math.rint(x[((b * c + ci) * h + iy) * w + ix] / sa) + za;
                                    int qi = (int) Math.max(0f, Math.min(255f, q));
                                    acc += (qi - za) * wt[f * crs + (ci * rr + ky) * ss + kx];
                                }
                        float y = (float) acc * (sa * sc[f]);
                        if (bias != null) y += bias[f];
                        want[((b * k + f) * oh + oy) * ow + ox] = relu ? Math.max(0f, y) : y;
                    }
        return want;
    }

    /** The int8 convolution against a direct loop over valid taps of (q(x) - za) * w; returns "conv checked N" or the first mismatch. */
    static String checkConv(Backend be) {
        Random r = new Random(9);
        int checked = 0;
        for (int[] v : CONVS) {
            dev.engine.api.Conv2dShape g = new dev.engine.api.Conv2dShape(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[7], v[8], v[8], v[9], v[9], 1);
            int n = v[0], c = v[1], h = v[2], w = v[3], k = v[4], rr = v[5], ss = v[6];
            int crs = c * rr * ss;
            float[] x = new float[n * c * h * w];
            for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() + 0.3);
            int[] wt = new int[k * crs], cols = new int[crs * k];
            for (int i = 0; i < wt.length; i++) wt[i] = r.nextInt(255) - 127;
            for (int f = 0; f < k; f++) for (int t = 0; t < crs; t++) cols[t * k + f] = wt[f * crs + t];
            float[] sc = new float[k], bias = new float[k];
            for (int f = 0; f < k; f++) { sc[f] = (float) (0.001 + r.nextDouble() * 0.01); bias[f] = (float) r.nextGaussian(); }
            for (InputQuantization aq : new InputQuantization[]{InputQuantization.dynamic(), InputQuantization.of(0.02f, 60)}) {
                InputQuantization p = aq;
                if (aq.perCall()) p = dynamicParams(new Case(1, x.length, 1, x.length, x, null, null, null, null));
                float sa = p.scale();
                int za = p.zeroPoint();
                float[] want = conv(g, x, wt, sc, bias, sa, za, true);
                float[] got = new float[want.length];
                try (Buffer bx = be.allocate(DType.F32, x.length); Buffer bw = be.allocate(DType.I32, cols.length); Buffer bs = be.allocate(DType.F32, k);
                     Buffer bb = be.allocate(DType.F32, k); Buffer by = be.allocate(DType.F32, want.length)) {
                    be.copyIn(x, 0, bx, 0, x.length);
                    be.copyIn(cols, 0, bw, 0, cols.length);
                    be.copyIn(sc, 0, bs, 0, k);
                    be.copyIn(bias, 0, bb, 0, k);
                    try (PackedMatrix pm = be.packMatrixInt8(bw, bs, crs, k)) {
                        be.conv2dForwardInt8Packed(g, bx, aq, pm, bb, Activation.RELU, by);
                    }
                    be.copyOut(by, 0, got, 0, got.length);
                }
                for (int i = 0; i < want.length; i++)
                    if (Float.floatToIntBits(want[i]) != Float.floatToIntBits(got[i]))
                        return "conv mismatch " + g + " " + aq + " element " + i + ": " + got[i] + " expected " + want[i];
                checked++;
            }
        }
        return "conv checked " + checked;
    }

    /** Every shape, static and dynamic, with and without epilogue; returns the count checked, or the first mismatch. */
    static String checkAll(Backend be) {
        Random r = new Random(7);
        int checked = 0;
        for (int m : ROWS)
            for (int[] kn : KN) {
                Case c = Case.random(r, m, kn[0], kn[1], m % 2);
                for (InputQuantization aq : new InputQuantization[]{InputQuantization.dynamic(), InputQuantization.of(0.03f, 70)}) {
                    boolean epi = (m + kn[0]) % 2 == 0;
                    float[] want = reference(c, aq, epi, !epi, epi), got = run(be, c, aq, epi, !epi, epi);
                    for (int i = 0; i < want.length; i++)
                        if (Float.floatToIntBits(want[i]) != Float.floatToIntBits(got[i]))
                            return "mismatch m=" + m + " k=" + c.k + " n=" + c.n + " " + aq + " element " + i + ": " + got[i] + " expected " + want[i];
                    checked++;
                }
            }
        return "checked " + checked;
    }
}
