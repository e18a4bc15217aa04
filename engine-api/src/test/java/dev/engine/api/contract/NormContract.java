package dev.engine.api.contract;

import static dev.engine.api.contract.BackendContract.test;

import dev.engine.api.Backend;
import dev.engine.api.Buffer;
import dev.engine.api.DType;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;

/** Layer norm and batch norm, forward (train and eval, with and without affine/running buffers) and backward. */
final class NormContract {
    private NormContract() {}

    private static void layerNorm(Fx f, int rows, int cols, boolean affine) {
        for (DType dt : Fx.FLOATS) {
            double eps = 1e-5;
            double[] x = f.random(dt, rows * cols), gy = f.random(dt, rows * cols);
            double[] gamma = affine ? f.random(dt, cols) : null, beta = affine ? f.random(dt, cols) : null;
            Buffer bx = f.buf(dt, x), bg = affine ? f.buf(dt, gamma) : null;
            Buffer y = f.alloc(dt, rows * cols), mean = f.alloc(dt, rows), rstd = f.alloc(dt, rows);
            f.be.layerNormForward(bx, bg, affine ? f.buf(dt, beta) : null, rows, cols, eps, y, mean, rstd);
            double[][] nz = Ref.normalise(x, rows, i -> i / cols, eps);
            double[] want = new double[rows * cols];
            for (int i = 0; i < want.length; i++) want[i] = affine ? nz[0][i] * gamma[i % cols] + beta[i % cols] : nz[0][i];
            String what = "layerNorm " + dt + " " + rows + "x" + cols + (affine ? " affine" : "");
            Fx.close(want, f.read(y), dt, 16, what);
            Fx.close(nz[1], f.read(mean), dt, 8, what + " mean");
            Fx.close(nz[2], f.read(rstd), dt, 16, what + " rstd");
            Buffer gx = f.alloc(dt, rows * cols), gg = affine ? f.alloc(dt, cols) : null, gb = affine ? f.alloc(dt, cols) : null;
            f.be.layerNormBackward(bx, f.buf(dt, gy), bg, mean, rstd, rows, cols, gx, gg, gb);
            double[][] back = Ref.normaliseBackward(nz[0], gy, nz[2], rows, i -> i / cols, cols, i -> i % cols, gamma);
            Fx.close(back[0], f.read(gx), dt, 64, what + " gx");
            if (affine) {
                Fx.close(back[1], f.read(gg), dt, 64, what + " gGamma");
                Fx.close(back[2], f.read(gb), dt, 16, what + " gBeta");
            }
        }
    }

    private static void batchNorm(Fx f, int n, int c, int hw, boolean affine) {
        for (DType dt : Fx.FLOATS) {
            double eps = 1e-5, momentum = 0.1;
            double[] x = f.random(dt, n * c * hw), gy = f.random(dt, n * c * hw), rm = f.random(dt, c), rv = new double[c];
            for (int i = 0; i < c; i++) rv[i] = Fx.round(dt, 0.5 + i * 0.25);
            double[] gamma = affine ? f.random(dt, c) : null, beta = affine ? f.random(dt, c) : null;
            Buffer bx = f.buf(dt, x), bg = affine ? f.buf(dt, gamma) : null, bb = affine ? f.buf(dt, beta) : null;
            Buffer brm = f.buf(dt, rm), brv = f.buf(dt, rv), y = f.alloc(dt, n * c * hw), sm = f.alloc(dt, c), sr = f.alloc(dt, c);
            f.be.batchNormForward(bx, bg, bb, brm, brv, n, c, hw, true, momentum, eps, y, sm, sr);
            java.util.function.IntUnaryOperator ch = i -> (i / hw) % c;
            double[][] nz = Ref.normalise(x, c, ch, eps);
            double[] want = new double[x.length], wantRm = new double[c], wantRv = new double[c];
            for (int i = 0; i < x.length; i++) want[i] = affine ? nz[0][i] * gamma[ch.applyAsInt(i)] + beta[ch.applyAsInt(i)] : nz[0][i];
            for (int k = 0; k < c; k++) {
                wantRm[k] = (1 - momentum) * rm[k] + momentum * nz[1][k];
                wantRv[k] = (1 - momentum) * rv[k] + momentum * nz[3][k] / (nz[4][k] - 1);
            }
            String what = "batchNorm " + dt + " " + n + "x" + c + "x" + hw + (affine ? " affine" : "");
            Fx.close(want, f.read(y), dt, 16, what);
            Fx.close(nz[1], f.read(sm), dt, 8, what + " saved mean");
            Fx.close(nz[2], f.read(sr), dt, 16, what + " saved rstd");
            Fx.close(wantRm, f.read(brm), dt, 8, what + " running mean");
            Fx.close(wantRv, f.read(brv), dt, 8, what + " running var");
            Buffer gx = f.alloc(dt, x.length), gg = affine ? f.alloc(dt, c) : null, gb = affine ? f.alloc(dt, c) : null;
            f.be.batchNormBackward(bx, f.buf(dt, gy), bg, sm, sr, n, c, hw, gx, gg, gb);
            double[][] back = Ref.normaliseBackward(nz[0], gy, nz[2], c, ch, c, ch, gamma);
            Fx.close(back[0], f.read(gx), dt, 64, what + " gx");
            if (affine) {
                Fx.close(back[1], f.read(gg), dt, 64, what + " gGamma");
                Fx.close(back[2], f.read(gb), dt, 16, what + " gBeta");
            }
            // eval: the running statistics just written normalise
            Buffer ye = f.alloc(dt, x.length);
            double[] rmNow = f.read(brm), rvNow = f.read(brv);
            f.be.batchNormForward(bx, bg, bb, brm, brv, n, c, hw, false, momentum, eps, ye, null, null);
            double[] wantEval = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                int k = ch.applyAsInt(i);
                double v = (x[i] - rmNow[k]) / Math.sqrt(rvNow[k] + eps);
                wantEval[i] = affine ? v * gamma[k] + beta[k] : v;
            }
            Fx.close(wantEval, f.read(ye), dt, 16, what + " eval");
        }
    }

    static List<DynamicTest> tests(Backend be) {
        return List.of(
                test(be, "layer norm, affine and plain", f -> {
                    layerNorm(f, 5, 12, true);
                    layerNorm(f, 3, 7, false);
                    layerNorm(f, 2, 1000, true);
                }),
                test(be, "batch norm over NCHW and NC (hw = 1)", f -> {
                    batchNorm(f, 4, 3, 5, true);
                    batchNorm(f, 6, 2, 1, false);
                }),
                test(be, "empty norms write nothing", f -> {
                    Buffer y = f.buf(DType.F32, 2);
                    f.be.layerNormForward(f.buf(DType.F32, 1), null, null, 0, 4, 1e-5, y, y, y);
                    f.be.batchNormForward(f.buf(DType.F32, 1), null, null, null, null, 2, 0, 3, true, 0.1, 1e-5, y, null, null);
                    Fx.close(new double[]{2}, f.read(y), DType.F32, "untouched");
                }));
    }
}
