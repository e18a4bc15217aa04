package dev.engine.cuda;

import static dev.engine.cuda.Parity.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.engine.api.Backend;
import dev.engine.api.Buffer;
import dev.engine.api.DType;
import dev.engine.api.IndexOutOfRangeException;
import dev.engine.api.OptimizerHyperparams;
import dev.engine.api.ShapeException;
import org.junit.jupiter.api.Test;

/** Softmax, cross-entropy, layer/batch norm and the fused optimizers: CUDA against the CPU. */
class ParityNnTest {
    private static final long[][] ROWS_COLS = {{0, 5}, {1, 1}, {1, 7}, {13, 10}, {3, 1000}, {300, 3}};

    @Test
    void softmaxAndLogSoftmaxWithBackward() {
        for (DType dt : FLOATS) for (long[] rc : ROWS_COLS) for (boolean log : new boolean[]{false, true}) {
            long n = rc[0] * rc[1];
            try (Twin x = random(dt, Math.max(1, n), 1); Twin y = out(dt, Math.max(1, n)); Twin gy = random(dt, Math.max(1, n), 2); Twin gx = out(dt, Math.max(1, n))) {
                for (Backend be : both()) {
                    be.softmax(x.on(be), y.on(be), rc[0], rc[1], log);
                    be.softmaxBackward(y.on(be), gy.on(be), gx.on(be), rc[0], rc[1], log);
                }
                String what = (log ? "logSoftmax " : "softmax ") + rc[0] + "x" + rc[1] + " " + dt;
                assertClose(what, y);
                assertClose(what + " backward", gx);
            }
        }
    }

    @Test
    void crossEntropyWithWeightsSmoothingAndIgnoredRows() {
        for (DType dt : FLOATS) {
            long rows = 6, cols = 5;
            for (boolean weighted : new boolean[]{false, true}) for (double eps : new double[]{0, 0.1}) {
                try (Twin x = random(dt, rows * cols, 1); Twin t = of(DType.I64, 0, 4, -100, 2, 2, 1); Twin w = positive(dt, cols, 3);
                     Twin loss = out(dt, rows); Twin rw = out(dt, rows); Twin g = out(dt, rows * cols)) {
                    for (Backend be : both())
                        be.crossEntropy(x.on(be), t.on(be), weighted ? w.on(be) : null, rows, cols, eps, -100, loss.on(be), rw.on(be), g.on(be));
                    String what = "crossEntropy " + dt + " weighted=" + weighted + " eps=" + eps;
                    assertClose(what + " loss", loss);
                    assertClose(what + " row weight", rw);
                    assertClose(what + " grad", g);
                }
            }
            try (Twin x = random(dt, 10, 1); Twin t = of(DType.I64, 1, 5); Twin loss = out(dt, 2); Twin rw = out(dt, 2)) {
                for (Backend be : both()) {
                    var e = assertThrows(IndexOutOfRangeException.class,
                            () -> be.crossEntropy(x.on(be), t.on(be), null, 2, 5, 0, -100, loss.on(be), rw.on(be), null));
                    assertTrue(e.getMessage().contains("target 5 at row 1"), e.getMessage());
                }
            }
        }
    }

    @Test
    void layerNormForwardAndBackward() {
        for (DType dt : FLOATS) for (long[] rc : ROWS_COLS) for (boolean affine : new boolean[]{false, true}) {
            long r = rc[0], c = rc[1], n = Math.max(1, r * c), rr = Math.max(1, r);
            try (Twin x = random(dt, n, 1); Twin g = random(dt, c, 2); Twin b = random(dt, c, 3); Twin y = out(dt, n); Twin mean = out(dt, rr); Twin rstd = out(dt, rr);
                 Twin gy = random(dt, n, 4); Twin gx = out(dt, n); Twin gg = out(dt, c); Twin gb = out(dt, c)) {
                for (Backend be : both()) {
                    be.layerNormForward(x.on(be), affine ? g.on(be) : null, affine ? b.on(be) : null, r, c, 1e-5, y.on(be), mean.on(be), rstd.on(be));
                    be.layerNormBackward(x.on(be), gy.on(be), affine ? g.on(be) : null, mean.on(be), rstd.on(be), r, c, gx.on(be),
                            affine ? gg.on(be) : null, affine ? gb.on(be) : null);
                }
                String what = "layerNorm " + r + "x" + c + " affine=" + affine + " " + dt;
                assertClose(what, y);
                assertClose(what + " mean", mean);
                assertClose(what + " rstd", rstd);
                assertClose(what + " grad x", gx, tol(dt) * 10);
                assertClose(what + " grad gamma", gg, tol(dt) * 10);
                assertClose(what + " grad beta", gb, tol(dt) * 10);
            }
        }
    }

    @Test
    void batchNormTrainEvalAndBackward() {
        // {1, 2, 2}: the smallest training batch (two values per channel); one value is rejected, see below
        long[][] shapes = {{4, 3, 5}, {1, 2, 2}, {2, 1, 300}, {7, 5, 9}};
        for (DType dt : FLOATS) for (long[] s : shapes) for (boolean training : new boolean[]{true, false}) {
            long n = s[0], c = s[1], hw = s[2], total = n * c * hw;
            try (Twin x = random(dt, total, 1); Twin g = random(dt, c, 2); Twin b = random(dt, c, 3); Twin rm = random(dt, c, 4); Twin rv = positive(dt, c, 5);
                 Twin y = out(dt, total); Twin sm = out(dt, c); Twin sr = out(dt, c); Twin gy = random(dt, total, 6); Twin gx = out(dt, total); Twin gg = out(dt, c); Twin gb = out(dt, c)) {
                for (Backend be : both()) {
                    be.batchNormForward(x.on(be), g.on(be), b.on(be), rm.on(be), rv.on(be), n, c, hw, training, 0.1, 1e-5, y.on(be), sm.on(be), sr.on(be));
                    be.batchNormBackward(x.on(be), gy.on(be), g.on(be), sm.on(be), sr.on(be), n, c, hw, gx.on(be), gg.on(be), gb.on(be));
                }
                String what = "batchNorm " + java.util.Arrays.toString(s) + " training=" + training + " " + dt;
                assertClose(what, y);
                assertClose(what + " running mean", rm);
                assertClose(what + " running var", rv);
                assertClose(what + " saved mean", sm);
                assertClose(what + " saved rstd", sr);
                assertClose(what + " grad x", gx, tol(dt) * 10);
                assertClose(what + " grad gamma", gg, tol(dt) * 10);
                assertClose(what + " grad beta", gb, tol(dt) * 10);
            }
        }
    }

    /** One value per channel has no unbiased variance: both backends refuse to train on it, and both accept it in eval. */
    @Test
    void batchNormTrainingNeedsTwoValuesPerChannel() {
        try (Twin x = random(DType.F32, 2, 1); Twin y = out(DType.F32, 2); Twin rm = random(DType.F32, 2, 2); Twin rv = positive(DType.F32, 2, 3)) {
            for (Backend be : both()) {
                ShapeException e = assertThrows(ShapeException.class, () -> be.batchNormForward(x.on(be), null, null, rm.on(be), rv.on(be), 1, 2, 1,
                        true, 0.1, 1e-5, y.on(be), null, null));
                assertTrue(e.getMessage().contains("more than one value per channel"), be.name() + ": " + e.getMessage());
                be.batchNormForward(x.on(be), null, null, rm.on(be), rv.on(be), 1, 2, 1, false, 0.1, 1e-5, y.on(be), null, null);
            }
            assertClose("batchNorm eval n=1 hw=1", y);
        }
    }

    /** Three tensors (one empty, one odd-sized) through several steps of each rule. */
    @Test
    void fusedOptimizersOverManyTensors() {
        long[] sizes = {0, 1, 1001, 64};
        for (DType dt : FLOATS) {
            for (int rule = 0; rule < 5; rule++) {
                Twin[] p = new Twin[sizes.length], g = new Twin[sizes.length], s1 = new Twin[sizes.length], s2 = new Twin[sizes.length];
                for (int i = 0; i < sizes.length; i++) {
                    long len = sizes[i];
                    p[i] = random(dt, len, 10 + i); g[i] = random(dt, len, 20 + i); s1[i] = out(dt, len); s2[i] = out(dt, len);
                    double[] zero = new double[(int) len];
                    s1[i].set(zero); s2[i].set(zero);
                }
                try {
                    for (int step = 1; step <= 3; step++) {
                        for (Backend be : both()) {
                            Buffer[] pb = on(be, p), gb = on(be, g), ab = on(be, s1), bb = on(be, s2);
                            switch (rule) {
                                case 0 -> be.sgdStep(pb, gb, ab, new OptimizerHyperparams.Sgd(0.1, 0.9, 0.1, 0.01, false));
                                case 1 -> be.sgdStep(pb, gb, ab, new OptimizerHyperparams.Sgd(0.1, 0.9, 0, 0, true));
                                case 2 -> be.adamStep(pb, gb, ab, bb, new OptimizerHyperparams.Adam(1e-2, 0.9, 0.999, 1e-8, 0.01, true, step));
                                case 3 -> be.adamStep(pb, gb, ab, bb, new OptimizerHyperparams.Adam(1e-2, 0.9, 0.999, 1e-8, 0.01, false, step));
                                default -> be.rmspropStep(pb, gb, ab, bb, new OptimizerHyperparams.RmsProp(1e-2, 0.99, 1e-8, 0.01, 0.9));
                            }
                        }
                    }
                    for (int i = 0; i < sizes.length; i++) {
                        assertClose("optimizer rule " + rule + " param " + i + " " + dt, p[i]);
                        assertClose("optimizer rule " + rule + " state " + i + " " + dt, s1[i]);
                        assertClose("optimizer rule " + rule + " second state " + i + " " + dt, s2[i]);
                    }
                } finally {
                    for (int i = 0; i < sizes.length; i++) { p[i].close(); g[i].close(); s1[i].close(); s2[i].close(); }
                }
            }
        }
    }

    private static Buffer[] on(Backend be, Twin[] t) {
        Buffer[] r = new Buffer[t.length];
        for (int i = 0; i < t.length; i++) r[i] = t[i].on(be);
        return r;
    }
}
