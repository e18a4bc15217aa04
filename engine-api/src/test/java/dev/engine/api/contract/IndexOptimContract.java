package dev.engine.api.contract;

import static dev.engine.api.contract.BackendContract.test;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.Backend;
import dev.engine.api.Buffer;
import dev.engine.api.DType;
import dev.engine.api.OptimizerHyperparams;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;

/** Row gather / scatter-add, dropout masks, and the fused multi-tensor optimizer steps. */
final class IndexOptimContract {
    private IndexOptimContract() {}

    private static void gatherScatter(Fx f, DType dt) {
        int rows = 5, len = 3;
        double[] src = f.random(dt, rows * len);
        long[] idx = {4, 0, 4, 2};
        Buffer dst = f.alloc(dt, idx.length * len);
        f.be.gatherRows(f.buf(dt, src), rows, len, f.longs(idx), idx.length, dst);
        double[] want = new double[idx.length * len];
        for (int i = 0; i < idx.length; i++) System.arraycopy(src, (int) idx[i] * len, want, i * len, len);
        assertArrayEquals(want, f.read(dst), 0, "gatherRows " + dt);
        if (!dt.isFloating()) return;
        double[] upd = f.random(dt, idx.length * len), acc = f.random(dt, rows * len);
        Buffer into = f.buf(dt, acc);
        f.be.scatterAddRows(f.buf(dt, upd), f.longs(idx), idx.length, len, into, rows);
        double[] wantAcc = acc.clone();
        for (int i = 0; i < idx.length; i++) for (int j = 0; j < len; j++) wantAcc[(int) idx[i] * len + j] += upd[i * len + j];
        Fx.close(wantAcc, f.read(into), dt, 4, "scatterAddRows (repeated index) " + dt);
    }

    private static Buffer[] bufs(Fx f, DType dt, double[][] values) {
        Buffer[] b = new Buffer[values.length];
        for (int i = 0; i < values.length; i++) b[i] = f.buf(dt, values[i]);
        return b;
    }

    private static double[][] random(Fx f, DType dt, int[] lengths, boolean positive) {
        double[][] v = new double[lengths.length][];
        for (int i = 0; i < lengths.length; i++) {
            v[i] = f.random(dt, lengths[i]);
            if (positive) for (int j = 0; j < lengths[i]; j++) v[i][j] = Fx.round(dt, Math.abs(v[i][j]));
        }
        return v;
    }

    /** Two steps of each optimizer over three tensors (one of a single element) against PyTorch's update rules. */
    private static void optimizers(Fx f, DType dt) {
        int[] lengths = {7, 1, 40};
        double[][] p = random(f, dt, lengths, false), g = random(f, dt, lengths, false), s1 = random(f, dt, lengths, false),
                s2 = random(f, dt, lengths, true);
        // SGD, momentum 0.9, dampening 0.1, weight decay 0.01, Nesterov
        var sgd = new OptimizerHyperparams.Sgd(0.1, 0.9, 0.1, 0.01, true);
        Buffer[] bp = bufs(f, dt, p), bg = bufs(f, dt, g), bm = bufs(f, dt, s1);
        f.be.sgdStep(bp, bg, bm, sgd);
        for (int t = 0; t < p.length; t++) for (int i = 0; i < p[t].length; i++) {
            double gi = g[t][i] + 0.01 * p[t][i], v = 0.9 * s1[t][i] + 0.9 * gi;
            double want = p[t][i] - 0.1 * (gi + 0.9 * v);
            Fx.close(new double[]{want, v}, new double[]{f.read(bp[t])[i], f.read(bm[t])[i]}, dt, 8, "sgd " + dt);
        }
        // Adam (decoupled: AdamW) at step 3
        var adam = new OptimizerHyperparams.Adam(0.01, 0.9, 0.999, 1e-8, 0.1, true, 3);
        bp = bufs(f, dt, p); bm = bufs(f, dt, s1);
        Buffer[] bv = bufs(f, dt, s2);
        f.be.adamStep(bp, bg, bm, bv, adam);
        double c1 = 1 - Math.pow(0.9, 3), c2 = 1 - Math.pow(0.999, 3);
        for (int t = 0; t < p.length; t++) for (int i = 0; i < p[t].length; i++) {
            double m = 0.9 * s1[t][i] + 0.1 * g[t][i], v = 0.999 * s2[t][i] + 0.001 * g[t][i] * g[t][i];
            double want = p[t][i] * (1 - 0.01 * 0.1) - 0.01 * (m / c1) / (Math.sqrt(v / c2) + 1e-8);
            Fx.close(new double[]{want, m, v}, new double[]{f.read(bp[t])[i], f.read(bm[t])[i], f.read(bv[t])[i]}, dt, 64, "adamW " + dt);
        }
        // RMSProp with momentum and weight decay
        var rms = new OptimizerHyperparams.RmsProp(0.01, 0.99, 1e-8, 0.01, 0.5);
        bp = bufs(f, dt, p); bv = bufs(f, dt, s2); bm = bufs(f, dt, s1);
        f.be.rmspropStep(bp, bg, bv, bm, rms);
        for (int t = 0; t < p.length; t++) for (int i = 0; i < p[t].length; i++) {
            double gi = g[t][i] + 0.01 * p[t][i], s = 0.99 * s2[t][i] + 0.01 * gi * gi, b = 0.5 * s1[t][i] + gi / (Math.sqrt(s) + 1e-8);
            Fx.close(new double[]{p[t][i] - 0.01 * b, s, b}, new double[]{f.read(bp[t])[i], f.read(bv[t])[i], f.read(bm[t])[i]}, dt, 256,
                    "rmsprop " + dt);
        }
    }

    static List<DynamicTest> tests(Backend be) {
        return List.of(
                test(be, "gather and scatter-add rows", f -> {
                    for (DType dt : new DType[]{DType.F32, DType.F64, DType.I64}) gatherScatter(f, dt);
                }),
                test(be, "gather and scatter of no rows write nothing", f -> {
                    Buffer dst = f.buf(DType.F32, 6);
                    f.be.gatherRows(f.buf(DType.F32, 1, 2), 2, 1, f.longs(0), 0, dst);
                    f.be.scatterAddRows(f.buf(DType.F32, 1), f.longs(0), 0, 1, dst, 1);
                    assertArrayEquals(new double[]{6}, f.read(dst), 0);
                }),
                test(be, "dropout masks: values, rate, determinism and offsets", f -> {
                    for (DType dt : Fx.FLOATS) {
                        int n = 20_000;
                        Buffer m = f.alloc(dt, n), again = f.alloc(dt, n), shifted = f.alloc(dt, n - 5);
                        f.be.dropoutMask(11, 0, 0.3, m, n);
                        f.be.dropoutMask(11, 0, 0.3, again, n);
                        f.be.dropoutMask(11, 5, 0.3, shifted, n - 5);
                        double[] v = f.read(m);
                        double keep = Fx.round(dt, 1 / 0.7);
                        long zeros = Arrays.stream(v).filter(x -> x == 0).count();
                        assertTrue(Arrays.stream(v).allMatch(x -> x == 0 || x == keep), "values are 0 or 1/(1-p)");
                        assertEquals(0.3 * n, zeros, 5 * Math.sqrt(n * 0.21), "zero fraction");
                        assertArrayEquals(v, f.read(again), 0, "same seed, same mask");
                        assertArrayEquals(Arrays.copyOfRange(v, 5, n), f.read(shifted), 0, "offset 5 continues the same stream");
                        Buffer none = f.alloc(dt, 10), all = f.alloc(dt, 10);
                        f.be.dropoutMask(1, 0, 0, none, 10);
                        f.be.dropoutMask(1, 0, 1, all, 10);
                        assertTrue(Arrays.stream(f.read(none)).allMatch(x -> x == 1), "p = 0 keeps everything");
                        assertTrue(Arrays.stream(f.read(all)).allMatch(x -> x == 0), "p = 1 drops everything");
                    }
                }),
                test(be, "sgd, adamW and rmsprop over several tensors", f -> {
                    for (DType dt : Fx.FLOATS) optimizers(f, dt);
                }),
                test(be, "an optimizer step over no tensors does nothing", f -> {
                    f.be.adamStep(new Buffer[0], new Buffer[0], new Buffer[0], new Buffer[0], new OptimizerHyperparams.Adam(0.1, 0.9, 0.99, 1e-8, 0, false, 1));
                }));
    }
}
