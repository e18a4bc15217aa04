package dev.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.engine.api.Buffer;
import dev.engine.api.DType;
import dev.engine.api.ShapeException;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Layer norm and batch norm, forward and backward. Forward against naive double loops (F32 1e-5,
 * F64 1e-12, relative to 1+|e|); backward in F64 against central finite differences of
 * L = sum(gy * y(x, gamma, beta)) (1e-6), and in F32 against the F64 kernel result (1e-4). Batch-norm
 * running statistics follow PyTorch: running = (1-momentum)*running + momentum*stat with the unbiased
 * batch variance; eval mode normalises with the running statistics.
 */
class NormTest extends CpuTestBase {
    static double[] layerNormRef(double[] x, double[] g, double[] b, int rows, int cols, double eps, double[] mean, double[] rstd) {
        double[] y = new double[x.length];
        for (int r = 0; r < rows; r++) {
            double mu = 0, var = 0;
            for (int j = 0; j < cols; j++) mu += x[r * cols + j];
            mu /= cols;
            for (int j = 0; j < cols; j++) var += (x[r * cols + j] - mu) * (x[r * cols + j] - mu);
            var /= cols;
            double rs = 1 / Math.sqrt(var + eps);
            if (mean != null) { mean[r] = mu; rstd[r] = rs; }
            for (int j = 0; j < cols; j++)
                y[r * cols + j] = (x[r * cols + j] - mu) * rs * (g == null ? 1 : g[j]) + (b == null ? 0 : b[j]);
        }
        return y;
    }

    static double dot(double[] a, double[] b) { double s = 0; for (int i = 0; i < a.length; i++) s += a[i] * b[i]; return s; }

    /** d/dv sum(gy * f(v)) by central differences, for each element of v. */
    static double[] fd(double[] v, double[] gy, Function<double[], double[]> f) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            double h = 1e-6;
            double[] p = v.clone(), m = v.clone();
            p[i] += h; m[i] -= h;
            out[i] = (dot(gy, f.apply(p)) - dot(gy, f.apply(m))) / (2 * h);
        }
        return out;
    }

    @Test
    void layerNormForward() {
        for (DType dt : FLOATS) for (int[] s : new int[][]{{0, 4}, {3, 0}, {1, 1}, {1, 7}, {5, 3}, {64, 513}, {9, 128}, {6, 40}})
            for (boolean affine : new boolean[]{false, true}) {
                int rows = s[0], cols = s[1], n = rows * cols;
                double[] x = rounded(dt, randn(n)), g = affine ? rounded(dt, randn(cols)) : null, b = affine ? rounded(dt, randn(cols)) : null;
                for (int i = 0; i < n; i++) x[i] = rounded(dt, new double[]{x[i] * 3 + 5})[0]; // non-zero mean
                double[] mean = new double[rows], rstd = new double[rows];
                double[] y = layerNormRef(x, g, b, rows, cols, 1e-5, mean, rstd);
                Buffer by = alloc(dt, n), bm = alloc(dt, rows), br = alloc(dt, rows);
                BE.layerNormForward(buf(dt, x), affine ? buf(dt, g) : null, affine ? buf(dt, b) : null, rows, cols, 1e-5, by, bm, br);
                String what = "layerNorm " + dt + " " + rows + "x" + cols + " affine=" + affine;
                assertClose(y, read(by), tol(dt, 1e-5, 1e-12), what);
                if (n > 0) {
                    assertClose(mean, read(bm), tol(dt, 1e-6, 1e-12), what + " mean");
                    assertClose(rstd, read(br), tol(dt, 1e-5, 1e-12), what + " rstd");
                }
            }
    }

    @Test
    void layerNormBackwardMatchesFiniteDifferences() {
        for (int[] s : new int[][]{{1, 1}, {1, 5}, {4, 7}}) for (boolean affine : new boolean[]{false, true}) {
            int rows = s[0], cols = s[1], n = rows * cols;
            double eps = 1e-5;
            double[] x = randn(n), g = affine ? randn(cols) : null, b = affine ? randn(cols) : null, gy = randn(n);
            double[] mean = new double[rows], rstd = new double[rows];
            layerNormRef(x, g, b, rows, cols, eps, mean, rstd);
            Buffer gx = alloc(DType.F64, n), gg = alloc(DType.F64, cols), gb = alloc(DType.F64, cols);
            BE.layerNormBackward(buf(DType.F64, x), buf(DType.F64, gy), affine ? buf(DType.F64, g) : null, buf(DType.F64, mean),
                    buf(DType.F64, rstd), rows, cols, gx, gg, gb);
            String what = "layerNormBackward " + rows + "x" + cols + " affine=" + affine;
            assertClose(fd(x, gy, v -> layerNormRef(v, g, b, rows, cols, eps, null, null)), read(gx), 1e-6, what + " gx");
            double[] g1 = g == null ? filled(cols, 1) : g, b1 = b == null ? new double[cols] : b;
            assertClose(fd(g1, gy, v -> layerNormRef(x, v, b1, rows, cols, eps, null, null)), read(gg), 1e-6, what + " gGamma");
            assertClose(fd(b1, gy, v -> layerNormRef(x, g1, v, rows, cols, eps, null, null)), read(gb), 1e-6, what + " gBeta");
        }
    }

    @Test
    void layerNormBackwardF32MatchesF64() {
        int rows = 37, cols = 300, n = rows * cols;
        double[] x = rounded(DType.F32, randn(n)), g = rounded(DType.F32, randn(cols)), gy = rounded(DType.F32, randn(n));
        double[][] res = new double[2][];
        for (int k = 0; k < 2; k++) {
            DType dt = FLOATS[k];
            Buffer bx = buf(dt, x), bm = alloc(dt, rows), br = alloc(dt, rows), by = alloc(dt, n);
            BE.layerNormForward(bx, buf(dt, g), null, rows, cols, 1e-5, by, bm, br);
            Buffer gx = alloc(dt, n);
            BE.layerNormBackward(bx, buf(dt, gy), buf(dt, g), bm, br, rows, cols, gx, null, null);
            res[k] = read(gx);
        }
        assertClose(res[1], res[0], 1e-4, "layerNormBackward F32 vs F64");
    }

    static double[] filled(int n, double v) { double[] a = new double[n]; java.util.Arrays.fill(a, v); return a; }

    // ---- batch norm -------------------------------------------------------------------------------

    /** Training-mode batch norm of n x c x hw; fills batch mean/biased var when given. */
    static double[] batchNormRef(double[] x, double[] g, double[] b, int n, int c, int hw, double eps, double[] mean, double[] var) {
        double[] y = new double[x.length];
        for (int ch = 0; ch < c; ch++) {
            double mu = 0, v = 0;
            for (int i = 0; i < n; i++) for (int j = 0; j < hw; j++) mu += x[(i * c + ch) * hw + j];
            mu /= n * hw;
            for (int i = 0; i < n; i++) for (int j = 0; j < hw; j++) v += Math.pow(x[(i * c + ch) * hw + j] - mu, 2);
            v /= n * hw;
            if (mean != null) { mean[ch] = mu; var[ch] = v; }
            for (int i = 0; i < n; i++) for (int j = 0; j < hw; j++) {
                int k = (i * c + ch) * hw + j;
                y[k] = (x[k] - mu) / Math.sqrt(v + eps) * (g == null ? 1 : g[ch]) + (b == null ? 0 : b[ch]);
            }
        }
        return y;
    }

    @Test
    void batchNormTrainingForwardAndRunningStats() {
        for (DType dt : FLOATS) for (int[] s : new int[][]{{1, 1, 2}, {2, 3, 1}, {4, 5, 9}, {8, 16, 257}}) for (boolean affine : new boolean[]{false, true}) {
            int n = s[0], c = s[1], hw = s[2], total = n * c * hw;
            double eps = 1e-5, momentum = 0.1;
            double[] x = rounded(dt, randn(total)), g = affine ? rounded(dt, randn(c)) : null, b = affine ? rounded(dt, randn(c)) : null;
            double[] rm0 = rounded(dt, randn(c)), rv0 = rounded(dt, uniform(c, 0.5, 2));
            double[] mean = new double[c], var = new double[c];
            double[] y = batchNormRef(x, g, b, n, c, hw, eps, mean, var);
            Buffer rm = buf(dt, rm0), rv = buf(dt, rv0), by = alloc(dt, total), sm = alloc(dt, c), sr = alloc(dt, c);
            BE.batchNormForward(buf(dt, x), affine ? buf(dt, g) : null, affine ? buf(dt, b) : null, rm, rv, n, c, hw, true, momentum, eps, by, sm, sr);
            double[] erm = new double[c], erv = new double[c], ers = new double[c];
            int count = n * hw;
            for (int ch = 0; ch < c; ch++) {
                erm[ch] = (1 - momentum) * rm0[ch] + momentum * mean[ch];
                erv[ch] = (1 - momentum) * rv0[ch] + momentum * var[ch] * count / (count - 1); // unbiased
                ers[ch] = 1 / Math.sqrt(var[ch] + eps);
            }
            String what = "batchNorm " + dt + " " + n + "x" + c + "x" + hw;
            assertClose(y, read(by), tol(dt, 1e-5, 1e-12), what + " y");
            assertClose(erm, read(rm), tol(dt, 1e-6, 1e-12), what + " running mean");
            assertClose(erv, read(rv), tol(dt, 1e-6, 1e-12), what + " running var");
            assertClose(mean, read(sm), tol(dt, 1e-6, 1e-12), what + " saved mean");
            assertClose(ers, read(sr), tol(dt, 1e-5, 1e-12), what + " saved rstd");
        }
    }

    @Test
    void batchNormEvalUsesRunningStatsAndLeavesThemAlone() {
        for (DType dt : FLOATS) {
            int n = 3, c = 4, hw = 5, total = n * c * hw;
            double[] x = rounded(dt, randn(total)), g = rounded(dt, randn(c)), b = rounded(dt, randn(c));
            double[] rm0 = rounded(dt, randn(c)), rv0 = rounded(dt, uniform(c, 0.5, 2));
            Buffer rm = buf(dt, rm0), rv = buf(dt, rv0), by = alloc(dt, total);
            BE.batchNormForward(buf(dt, x), buf(dt, g), buf(dt, b), rm, rv, n, c, hw, false, 0.1, 1e-3, by, null, null);
            double[] y = new double[total];
            for (int i = 0; i < n; i++) for (int ch = 0; ch < c; ch++) for (int j = 0; j < hw; j++) {
                int k = (i * c + ch) * hw + j;
                y[k] = (x[k] - rm0[ch]) / Math.sqrt(rv0[ch] + 1e-3) * g[ch] + b[ch];
            }
            assertClose(y, read(by), tol(dt, 1e-5, 1e-12), "batchNorm eval " + dt);
            assertClose(rm0, read(rm), 0, "eval keeps running mean");
            assertClose(rv0, read(rv), 0, "eval keeps running var");
        }
    }

    @Test
    void batchNormBackwardMatchesFiniteDifferences() {
        for (int[] s : new int[][]{{1, 1, 3}, {2, 3, 1}, {3, 2, 4}}) for (boolean affine : new boolean[]{false, true}) {
            int n = s[0], c = s[1], hw = s[2], total = n * c * hw;
            double eps = 1e-5;
            double[] x = randn(total), g = affine ? randn(c) : null, b = affine ? randn(c) : null, gy = randn(total);
            Buffer bx = buf(DType.F64, x), sm = alloc(DType.F64, c), sr = alloc(DType.F64, c), by = alloc(DType.F64, total);
            BE.batchNormForward(bx, affine ? buf(DType.F64, g) : null, affine ? buf(DType.F64, b) : null, null, null, n, c, hw, true, 0.1, eps, by, sm, sr);
            Buffer gx = alloc(DType.F64, total), gg = alloc(DType.F64, c), gb = alloc(DType.F64, c);
            BE.batchNormBackward(bx, buf(DType.F64, gy), affine ? buf(DType.F64, g) : null, sm, sr, n, c, hw, gx, gg, gb);
            String what = "batchNormBackward " + n + "x" + c + "x" + hw + " affine=" + affine;
            assertClose(fd(x, gy, v -> batchNormRef(v, g, b, n, c, hw, eps, null, null)), read(gx), 1e-6, what + " gx");
            double[] g1 = g == null ? filled(c, 1) : g, b1 = b == null ? new double[c] : b;
            assertClose(fd(g1, gy, v -> batchNormRef(x, v, b1, n, c, hw, eps, null, null)), read(gg), 1e-6, what + " gGamma");
            assertClose(fd(b1, gy, v -> batchNormRef(x, g1, v, n, c, hw, eps, null, null)), read(gb), 1e-6, what + " gBeta");
        }
    }

    @Test
    void batchNormTrainingNeedsValues() {
        Buffer x = alloc(DType.F32, 4), y = alloc(DType.F32, 4);
        var e = assertThrows(ShapeException.class, () -> BE.batchNormForward(x, null, null, null, null, 0, 4, 1, true, 0.1, 1e-5, y, null, null));
        assertMessageNames(e, "batchNorm");
    }
}
