package dev.engine.cpu;

import dev.engine.api.Buffer;
import dev.engine.api.DType;
import dev.engine.api.OptimizerHyperparams;
import org.junit.jupiter.api.Test;

/**
 * SGD (momentum, dampening, nesterov, weight decay), Adam/AdamW and RMSProp (with and without momentum)
 * over several tensors at once, for three steps, against hand-written references of the published
 * update rules (PyTorch's formulation, state starting at zero). Tolerance F32 1e-5, F64 1e-12 relative
 * to 1+|e|.
 */
class OptimizerTest extends CpuTestBase {
    static final int[] SIZES = {1, 7, 0, 50_000};

    Buffer[] bufs(DType dt, double[][] v) {
        Buffer[] b = new Buffer[v.length];
        for (int i = 0; i < v.length; i++) b[i] = buf(dt, v[i]);
        return b;
    }

    double[][] rand(DType dt) {
        double[][] v = new double[SIZES.length][];
        for (int i = 0; i < v.length; i++) v[i] = rounded(dt, randn(SIZES[i]));
        return v;
    }

    static double[][] zeros() {
        double[][] v = new double[SIZES.length][];
        for (int i = 0; i < v.length; i++) v[i] = new double[SIZES[i]];
        return v;
    }

    void compare(DType dt, double[][] expected, Buffer[] actual, String what) {
        for (int i = 0; i < expected.length; i++) assertClose(expected[i], read(actual[i]), tol(dt, 1e-5, 1e-12), what + " tensor " + i);
    }

    @Test
    void sgd() {
        for (DType dt : FLOATS)
            for (double[] h : new double[][]{{0.1, 0, 0, 0}, {0.1, 0.9, 0, 0}, {0.05, 0.9, 0.1, 0.01}, {0.1, 0.8, 0, 0.1}})
                for (boolean nesterov : new boolean[]{false, true}) {
                    if (nesterov && h[1] == 0) continue;
                    double lr = h[0], mom = h[1], damp = h[2], wd = h[3];
                    double[][] p = rand(dt), v = zeros();
                    Buffer[] bp = bufs(dt, p), bv = mom == 0 ? null : bufs(dt, v);
                    var hp = new OptimizerHyperparams.Sgd(lr, mom, damp, wd, nesterov);
                    for (int step = 0; step < 3; step++) {
                        double[][] g = rand(dt);
                        BE.sgdStep(bp, bufs(dt, g), bv, hp);
                        for (int t = 0; t < p.length; t++) for (int i = 0; i < p[t].length; i++) {
                            double d = g[t][i] + wd * p[t][i];
                            if (mom != 0) {
                                v[t][i] = mom * v[t][i] + (1 - damp) * d;
                                d = nesterov ? d + mom * v[t][i] : v[t][i];
                            }
                            p[t][i] -= lr * d;
                        }
                        String what = "sgd " + dt + " " + java.util.Arrays.toString(h) + " nesterov=" + nesterov + " step " + step;
                        compare(dt, p, bp, what);
                        if (bv != null) compare(dt, v, bv, what + " momentum");
                    }
                }
    }

    @Test
    void adamAndAdamW() {
        for (DType dt : FLOATS) for (boolean decoupled : new boolean[]{false, true}) for (double wd : new double[]{0, 0.1}) {
            double lr = 1e-2, b1 = 0.9, b2 = 0.999, eps = 1e-8;
            double[][] p = rand(dt), m = zeros(), v = zeros();
            Buffer[] bp = bufs(dt, p), bm = bufs(dt, m), bv = bufs(dt, v);
            for (int step = 1; step <= 3; step++) {
                double[][] g = rand(dt);
                BE.adamStep(bp, bufs(dt, g), bm, bv, new OptimizerHyperparams.Adam(lr, b1, b2, eps, wd, decoupled, step));
                for (int t = 0; t < p.length; t++) for (int i = 0; i < p[t].length; i++) {
                    double gi = g[t][i];
                    if (decoupled) p[t][i] -= lr * wd * p[t][i]; else gi += wd * p[t][i];
                    m[t][i] = b1 * m[t][i] + (1 - b1) * gi;
                    v[t][i] = b2 * v[t][i] + (1 - b2) * gi * gi;
                    double mHat = m[t][i] / (1 - Math.pow(b1, step)), vHat = v[t][i] / (1 - Math.pow(b2, step));
                    p[t][i] -= lr * mHat / (Math.sqrt(vHat) + eps);
                }
                String what = "adam " + dt + " decoupled=" + decoupled + " wd=" + wd + " step " + step;
                compare(dt, p, bp, what);
                compare(dt, m, bm, what + " m");
                compare(dt, v, bv, what + " v");
            }
        }
    }

    @Test
    void rmsprop() {
        for (DType dt : FLOATS) for (double mom : new double[]{0, 0.9}) for (double wd : new double[]{0, 0.05}) {
            double lr = 1e-2, alpha = 0.99, eps = 1e-8;
            double[][] p = rand(dt), s = zeros(), b = zeros();
            Buffer[] bp = bufs(dt, p), bs = bufs(dt, s), bb = mom == 0 ? null : bufs(dt, b);
            for (int step = 0; step < 3; step++) {
                double[][] g = rand(dt);
                BE.rmspropStep(bp, bufs(dt, g), bs, bb, new OptimizerHyperparams.RmsProp(lr, alpha, eps, wd, mom));
                for (int t = 0; t < p.length; t++) for (int i = 0; i < p[t].length; i++) {
                    double gi = g[t][i] + wd * p[t][i];
                    s[t][i] = alpha * s[t][i] + (1 - alpha) * gi * gi;
                    double upd = gi / (Math.sqrt(s[t][i]) + eps);
                    if (mom != 0) { b[t][i] = mom * b[t][i] + upd; upd = b[t][i]; }
                    p[t][i] -= lr * upd;
                }
                String what = "rmsprop " + dt + " mom=" + mom + " wd=" + wd + " step " + step;
                compare(dt, p, bp, what);
                compare(dt, s, bs, what + " square avg");
            }
        }
    }
}
