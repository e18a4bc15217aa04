package dev.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.engine.api.Buffer;
import dev.engine.api.DType;
import dev.engine.api.IndexOutOfRangeException;
import org.junit.jupiter.api.Test;

/**
 * Softmax/log-softmax and their backward, and the fused cross-entropy. References are naive double loops;
 * backward passes are checked against central finite differences of the reference forward in F64
 * (tolerance 1e-7) and against the analytic reference in F32 (2e-5). Forward tolerance F32 2e-6
 * relative to (1+|e|), F64 1e-12.
 */
class SoftmaxTest extends CpuTestBase {
    static double[] softmaxRef(double[] x, int rows, int cols, boolean log) {
        double[] y = new double[x.length];
        for (int r = 0; r < rows; r++) {
            double mx = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < cols; j++) mx = Math.max(mx, x[r * cols + j]);
            double s = 0;
            for (int j = 0; j < cols; j++) s += Math.exp(x[r * cols + j] - mx);
            for (int j = 0; j < cols; j++)
                y[r * cols + j] = log ? x[r * cols + j] - mx - Math.log(s) : Math.exp(x[r * cols + j] - mx) / s;
        }
        return y;
    }

    @Test
    void forwardMatchesReference() {
        int[][] shapes = {{0, 5}, {3, 0}, {1, 1}, {1, 7}, {5, 3}, {17, 129}, {300, 200}};
        for (DType dt : FLOATS) for (boolean log : new boolean[]{false, true}) for (int[] s : shapes) {
            int n = s[0] * s[1];
            double[] x = rounded(dt, randn(n));
            for (int i = 0; i < n; i += 11) x[i] *= 30; // large logits stress the max-subtraction
            Buffer bx = buf(dt, x), by = alloc(dt, n);
            BE.softmax(bx, by, s[0], s[1], log);
            assertClose(softmaxRef(x, s[0], s[1], log), read(by), tol(dt, 2e-6, 1e-12), "softmax log=" + log + " " + dt);
        }
    }

    /** Backward checked against finite differences of L = sum(gy * softmax(x)). */
    @Test
    void backwardMatchesFiniteDifferences() {
        for (boolean log : new boolean[]{false, true}) for (int[] s : new int[][]{{1, 1}, {2, 5}, {4, 9}}) {
            int rows = s[0], cols = s[1], n = rows * cols;
            double[] x = randn(n), gy = randn(n);
            double[] y = softmaxRef(x, rows, cols, log);
            Buffer by = buf(DType.F64, y), bgy = buf(DType.F64, gy), bgx = alloc(DType.F64, n);
            BE.softmaxBackward(by, bgy, bgx, rows, cols, log);
            double[] fd = new double[n];
            for (int i = 0; i < n; i++) {
                double h = 1e-6;
                double[] xp = x.clone(), xm = x.clone();
                xp[i] += h; xm[i] -= h;
                double[] yp = softmaxRef(xp, rows, cols, log), ym = softmaxRef(xm, rows, cols, log);
                double lp = 0, lm = 0;
                for (int j = 0; j < n; j++) { lp += gy[j] * yp[j]; lm += gy[j] * ym[j]; }
                fd[i] = (lp - lm) / (2 * h);
            }
            assertClose(fd, read(bgx), 1e-7, "softmaxBackward FD log=" + log);
        }
    }

    /** Analytic backward: softmax gx = y*(gy - sum(gy*y)); log-softmax gx = gy - exp(y)*sum(gy). */
    @Test
    void backwardMatchesAnalyticFormulaBothDtypes() {
        for (DType dt : FLOATS) for (boolean log : new boolean[]{false, true}) for (int[] s : new int[][]{{0, 3}, {1, 1}, {7, 33}, {200, 300}}) {
            int rows = s[0], cols = s[1], n = rows * cols;
            double[] y = rounded(dt, softmaxRef(randn(n), rows, cols, log)), gy = rounded(dt, randn(n));
            double[] expected = new double[n];
            for (int r = 0; r < rows; r++) {
                double sum = 0;
                for (int j = 0; j < cols; j++) sum += log ? gy[r * cols + j] : gy[r * cols + j] * y[r * cols + j];
                for (int j = 0; j < cols; j++) {
                    int i = r * cols + j;
                    expected[i] = log ? gy[i] - Math.exp(y[i]) * sum : y[i] * (gy[i] - sum);
                }
            }
            Buffer gx = alloc(dt, n);
            BE.softmaxBackward(buf(dt, y), buf(dt, gy), gx, rows, cols, log);
            assertClose(expected, read(gx), tol(dt, 2e-5, 1e-12), "softmaxBackward analytic log=" + log + " " + dt);
        }
    }

    // ---- cross-entropy ----------------------------------------------------------------------------

    /** PyTorch's per-row loss: (1-eps)*w[t]*(-log p_t) + eps/C * sum_j w[j]*(-log p_j); 0 for ignored rows. */
    static double rowLoss(double[] x, int r, int cols, long t, double[] w, double eps, long ignore) {
        if (t == ignore) return 0;
        double[] row = new double[cols];
        System.arraycopy(x, r * cols, row, 0, cols);
        double[] lp = softmaxRef(row, 1, cols, true);
        double l = (1 - eps) * (w == null ? 1 : w[(int) t]) * -lp[(int) t];
        double s = 0;
        for (int j = 0; j < cols; j++) s += (w == null ? 1 : w[j]) * -lp[j];
        return l + eps / cols * s;
    }

    void crossEntropyCase(DType dt, int rows, int cols, boolean weighted, double eps, long ignore, boolean withGrad) {
        double[] x = rounded(dt, randn(rows * cols));
        long[] t = new long[rows];
        for (int r = 0; r < rows; r++) t[r] = rnd.nextInt(cols);
        if (rows > 2) t[1] = ignore; // at least one ignored row
        double[] w = weighted ? rounded(dt, uniform(cols, 0.2, 2)) : null;
        Buffer bx = buf(dt, x), bt = longs(t), bw = weighted ? buf(dt, w) : null;
        Buffer loss = alloc(dt, rows), rw = alloc(dt, rows), grad = withGrad ? alloc(dt, (long) rows * cols) : null;
        BE.crossEntropy(bx, bt, bw, rows, cols, eps, ignore, loss, rw, grad);
        double[] expLoss = new double[rows], expW = new double[rows];
        for (int r = 0; r < rows; r++) {
            expLoss[r] = rowLoss(x, r, cols, t[r], w, eps, ignore);
            expW[r] = t[r] == ignore ? 0 : (w == null ? 1 : w[(int) t[r]]);
        }
        String what = "crossEntropy " + dt + " " + rows + "x" + cols + " w=" + weighted + " eps=" + eps;
        assertClose(expLoss, read(loss), tol(dt, 1e-5, 1e-12), what + " loss");
        assertClose(expW, read(rw), tol(dt, 1e-7, 0), what + " rowWeight");
        if (!withGrad) return;
        double[] g = read(grad);
        double[] fd = new double[rows * cols];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < cols; j++) {
                double h = 1e-6;
                double[] xp = x.clone(), xm = x.clone();
                xp[r * cols + j] += h; xm[r * cols + j] -= h;
                fd[r * cols + j] = (rowLoss(xp, r, cols, t[r], w, eps, ignore) - rowLoss(xm, r, cols, t[r], w, eps, ignore)) / (2 * h);
            }
        // F64 and F32 (inputs already F32-rounded): finite differences of the double reference
        assertClose(fd, g, tol(dt, 1e-5, 1e-7), what + " grad vs finite differences");
    }

    @Test
    void crossEntropyLossAndGradient() {
        for (DType dt : FLOATS)
            for (boolean weighted : new boolean[]{false, true})
                for (double eps : new double[]{0, 0.1, 1})
                    for (int[] s : new int[][]{{1, 1}, {1, 5}, {4, 3}, {9, 17}})
                        for (long ignore : new long[]{-100, 2})
                            crossEntropyCase(dt, s[0], s[1], weighted, eps, ignore, true);
        crossEntropyCase(DType.F32, 500, 70, true, 0.05, -100, false);
        crossEntropyCase(DType.F64, 0, 4, false, 0, -100, true);
    }

    @Test
    void crossEntropyIgnoredRowHasZeroLossWeightAndGradient() {
        Buffer x = buf(DType.F64, new double[]{1, 2, 3, 4, 5, 6});
        Buffer t = longs(-100, 1);
        Buffer loss = alloc(DType.F64, 2), rw = alloc(DType.F64, 2), g = alloc(DType.F64, 6);
        BE.crossEntropy(x, t, null, 2, 3, 0, -100, loss, rw, g);
        double[] gr = read(g);
        assertEquals(0, read(loss)[0]);
        assertEquals(0, read(rw)[0]);
        assertEquals(1, read(rw)[1]);
        for (int j = 0; j < 3; j++) assertEquals(0, gr[j]);
        double lse = Math.log(Math.exp(4) + Math.exp(5) + Math.exp(6));
        assertEquals(lse - 5, read(loss)[1], 1e-12);
    }

    @Test
    void crossEntropyTargetOutOfRangeThrowsAndWritesNothingHarmful() {
        for (long bad : new long[]{3, -1, Long.MAX_VALUE, Long.MIN_VALUE}) {
            Buffer x = buf(DType.F32, new double[]{1, 2, 3, 4, 5, 6});
            Buffer t = longs(0, bad);
            Buffer loss = alloc(DType.F32, 2), rw = alloc(DType.F32, 2);
            var e = assertThrows(IndexOutOfRangeException.class, () -> BE.crossEntropy(x, t, null, 2, 3, 0, -100, loss, rw, null));
            assertMessageNames(e, "crossEntropy");
            assertMessageNames(e, String.valueOf(bad));
        }
    }
}
