package dev.engine.api.contract;

import dev.engine.api.Activation;
import dev.engine.api.Conv2dShape;
import dev.engine.api.Layout;
import dev.engine.api.Pool2dShape;

/** Naive double-precision references for the contract suite: plain loops, no code shared with any kernel. */
final class Ref {
    private Ref() {}

    /** The elements a view reaches, in row-major order of its shape. */
    static double[] gather(double[] data, Layout l) {
        int n = (int) l.numel();
        double[] out = new double[n];
        long[] idx = new long[l.rank()];
        for (int i = 0; i < n; i++) {
            long off = l.offset();
            for (int d = 0; d < l.rank(); d++) off += idx[d] * l.stride(d);
            out[i] = data[(int) off];
            for (int d = l.rank() - 1; d >= 0; d--) {
                if (++idx[d] < l.shape(d)) break;
                idx[d] = 0;
            }
        }
        return out;
    }

    /** Writes {@code values} (row-major over l's shape) through layout l into a copy of {@code data}. */
    static double[] scatter(double[] data, Layout l, double[] values) {
        double[] out = data.clone();
        long[] idx = new long[l.rank()];
        for (int i = 0; i < values.length; i++) {
            long off = l.offset();
            for (int d = 0; d < l.rank(); d++) off += idx[d] * l.stride(d);
            out[(int) off] = values[i];
            for (int d = l.rank() - 1; d >= 0; d--) {
                if (++idx[d] < l.shape(d)) break;
                idx[d] = 0;
            }
        }
        return out;
    }

    static double erf(double x) { return ScalarRef.erf(x); }

    static double act(Activation a, double x, double param) {
        return switch (a) {
            case NONE -> x;
            case RELU -> Math.max(x, 0);
            case LEAKY_RELU -> x > 0 ? x : x * param;
            case GELU -> 0.5 * x * (1 + erf(x / Math.sqrt(2)));
            case GELU_TANH -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            case SIGMOID -> 1 / (1 + Math.exp(-x));
            case TANH -> Math.tanh(x);
            case RELU6 -> Math.min(Math.max(x, 0), 6);
            case HARD_SWISH -> x * Math.min(Math.max(x / 6 + 0.5, 0), 1);
            case SILU -> x / (1 + Math.exp(-x));
        };
    }

    /**
     * C (a whole buffer's contents, updated in a copy) = act(alpha op(A) op(B) + beta C + bias + residual)
     * for batch matrices at the given offsets, lds and batch strides.
     */
    static double[] gemm(boolean ta, boolean tb, int m, int n, int k, double alpha, double[] a, int offA, int lda, int sA,
                         double[] b, int offB, int ldb, int sB, double beta, double[] c, int offC, int ldc, int sC, int batch,
                         double[] bias, double[] res, int ldr, Activation act, double param) {
        double[] out = c.clone();
        for (int p = 0; p < batch; p++)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int q = 0; q < k; q++) {
                        double av = ta ? a[offA + p * sA + q * lda + i] : a[offA + p * sA + i * lda + q];
                        double bv = tb ? b[offB + p * sB + j * ldb + q] : b[offB + p * sB + q * ldb + j];
                        s += av * bv;
                    }
                    int ci = offC + p * sC + i * ldc + j;
                    double v = alpha * s + (beta == 0 ? 0 : beta * c[ci]);
                    if (bias != null) v += bias[j];
                    if (res != null) v += res[p * m * ldr + i * ldr + j];
                    out[ci] = act(act, v, param);
                }
        return out;
    }

    static double[] softmax(double[] x, int rows, int cols, boolean log) {
        double[] y = new double[x.length];
        for (int r = 0; r < rows; r++) {
            double mx = Double.NEGATIVE_INFINITY, s = 0;
            for (int j = 0; j < cols; j++) mx = Math.max(mx, x[r * cols + j]);
            for (int j = 0; j < cols; j++) s += Math.exp(x[r * cols + j] - mx);
            for (int j = 0; j < cols; j++) y[r * cols + j] = log ? x[r * cols + j] - mx - Math.log(s) : Math.exp(x[r * cols + j] - mx) / s;
        }
        return y;
    }

    static double[] softmaxBackward(double[] y, double[] gy, int rows, int cols, boolean log) {
        double[] gx = new double[y.length];
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int j = 0; j < cols; j++) s += log ? gy[r * cols + j] : gy[r * cols + j] * y[r * cols + j];
            for (int j = 0; j < cols; j++) {
                int i = r * cols + j;
                gx[i] = log ? gy[i] - Math.exp(y[i]) * s : y[i] * (gy[i] - s);
            }
        }
        return gx;
    }

    /** Per-row loss (PyTorch's smoothed, weighted cross-entropy, before the reduction) and its gradient. */
    static double[][] crossEntropy(double[] x, long[] t, double[] w, int rows, int cols, double eps, long ignore) {
        double[] loss = new double[rows], rw = new double[rows], grad = new double[rows * cols];
        double[] logp = softmax(x, rows, cols, true);
        double wsum = 0;
        for (int j = 0; j < cols; j++) wsum += w == null ? 1 : w[j];
        for (int r = 0; r < rows; r++) {
            if (t[r] == ignore) continue;
            int tr = (int) t[r];
            double wt = w == null ? 1 : w[tr], l = -(1 - eps) * wt * logp[r * cols + tr], s = 0;
            for (int j = 0; j < cols; j++) s -= (w == null ? 1 : w[j]) * logp[r * cols + j];
            loss[r] = l + eps / cols * s;
            rw[r] = wt;
            for (int j = 0; j < cols; j++) {
                double p = Math.exp(logp[r * cols + j]);
                grad[r * cols + j] = (1 - eps) * wt * (p - (j == tr ? 1 : 0)) + eps / cols * (wsum * p - (w == null ? 1 : w[j]));
            }
        }
        return new double[][]{loss, rw, grad};
    }

    /** Normalises groups of values: {@code group(i)} names each element's group; returns {xhat, mean, rstd}. */
    static double[][] normalise(double[] x, int groups, java.util.function.IntUnaryOperator group, double eps) {
        double[] mean = new double[groups], var = new double[groups], cnt = new double[groups], xhat = new double[x.length];
        for (int i = 0; i < x.length; i++) { mean[group.applyAsInt(i)] += x[i]; cnt[group.applyAsInt(i)]++; }
        for (int g = 0; g < groups; g++) mean[g] /= cnt[g];
        for (int i = 0; i < x.length; i++) { double d = x[i] - mean[group.applyAsInt(i)]; var[group.applyAsInt(i)] += d * d; }
        double[] rstd = new double[groups];
        for (int g = 0; g < groups; g++) rstd[g] = 1 / Math.sqrt(var[g] / cnt[g] + eps);
        for (int i = 0; i < x.length; i++) xhat[i] = (x[i] - mean[group.applyAsInt(i)]) * rstd[group.applyAsInt(i)];
        return new double[][]{xhat, mean, rstd, var, cnt};
    }

    /**
     * The gradient of a normalisation with per-feature scale: gx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat))
     * over each group, with dxhat = gy * gamma(feature); returns {gx, gGamma, gBeta} (per feature).
     */
    static double[][] normaliseBackward(double[] xhat, double[] gy, double[] rstd, int groups, java.util.function.IntUnaryOperator group,
                                        int features, java.util.function.IntUnaryOperator feature, double[] gamma) {
        double[] sa = new double[groups], sb = new double[groups], cnt = new double[groups];
        double[] gx = new double[xhat.length], gg = new double[features], gbeta = new double[features];
        for (int i = 0; i < xhat.length; i++) {
            int g = group.applyAsInt(i), f = feature.applyAsInt(i);
            double d = gy[i] * (gamma == null ? 1 : gamma[f]);
            sa[g] += d; sb[g] += d * xhat[i]; cnt[g]++;
            gg[f] += gy[i] * xhat[i]; gbeta[f] += gy[i];
        }
        for (int i = 0; i < xhat.length; i++) {
            int g = group.applyAsInt(i), f = feature.applyAsInt(i);
            double d = gy[i] * (gamma == null ? 1 : gamma[f]);
            gx[i] = rstd[g] * (d - sa[g] / cnt[g] - xhat[i] * sb[g] / cnt[g]);
        }
        return new double[][]{gx, gg, gbeta};
    }

    /** NCHW x KCRS with stride, padding, dilation and groups, plus bias and activation. */
    static double[] conv2d(Conv2dShape g, double[] x, double[] w, double[] bias, Activation act) {
        int n = (int) g.n(), c = (int) g.c(), h = (int) g.h(), wd = (int) g.w(), k = (int) g.k(), r = (int) g.r(), s = (int) g.s();
        int oh = (int) g.outH(), ow = (int) g.outW(), cg = c / g.groups(), kg = k / g.groups();
        double[] y = new double[n * k * oh * ow];
        for (int b = 0; b < n; b++) for (int f = 0; f < k; f++) for (int oy = 0; oy < oh; oy++) for (int ox = 0; ox < ow; ox++) {
            double sum = bias == null ? 0 : bias[f];
            int grp = f / kg;
            for (int ci = 0; ci < cg; ci++) for (int ky = 0; ky < r; ky++) for (int kx = 0; kx < s; kx++) {
                int iy = oy * g.strideH() - g.padH() + ky * g.dilationH(), ix = ox * g.strideW() - g.padW() + kx * g.dilationW();
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                sum += x[((b * c + grp * cg + ci) * h + iy) * wd + ix] * w[((f * cg + ci) * r + ky) * s + kx];
            }
            y[((b * k + f) * oh + oy) * ow + ox] = act(act, sum, 0.01);
        }
        return y;
    }

    /** {gx, gw, gbias} of conv2d (no activation) for upstream gy, by the adjoint of the same loops. */
    static double[][] conv2dBackward(Conv2dShape g, double[] x, double[] w, double[] gy) {
        int n = (int) g.n(), c = (int) g.c(), h = (int) g.h(), wd = (int) g.w(), k = (int) g.k(), r = (int) g.r(), s = (int) g.s();
        int oh = (int) g.outH(), ow = (int) g.outW(), cg = c / g.groups(), kg = k / g.groups();
        double[] gx = new double[x.length], gw = new double[w.length], gb = new double[k];
        for (int b = 0; b < n; b++) for (int f = 0; f < k; f++) for (int oy = 0; oy < oh; oy++) for (int ox = 0; ox < ow; ox++) {
            double go = gy[((b * k + f) * oh + oy) * ow + ox];
            gb[f] += go;
            int grp = f / kg;
            for (int ci = 0; ci < cg; ci++) for (int ky = 0; ky < r; ky++) for (int kx = 0; kx < s; kx++) {
                int iy = oy * g.strideH() - g.padH() + ky * g.dilationH(), ix = ox * g.strideW() - g.padW() + kx * g.dilationW();
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                int xi = ((b * c + grp * cg + ci) * h + iy) * wd + ix, wi = ((f * cg + ci) * r + ky) * s + kx;
                gx[xi] += go * w[wi];
                gw[wi] += go * x[xi];
            }
        }
        return new double[][]{gx, gw, gb};
    }

    /** Max pooling: {values, flat in-plane argmax}; padding never wins. */
    static double[][] maxPool(Pool2dShape g, double[] x) {
        int planes = (int) (g.n() * g.c()), h = (int) g.h(), w = (int) g.w(), oh = (int) g.outH(), ow = (int) g.outW();
        double[] y = new double[planes * oh * ow], idx = new double[y.length];
        for (int p = 0; p < planes; p++) for (int oy = 0; oy < oh; oy++) for (int ox = 0; ox < ow; ox++) {
            double best = Double.NEGATIVE_INFINITY;
            int bi = -1;
            for (int ky = 0; ky < g.kernelH(); ky++) for (int kx = 0; kx < g.kernelW(); kx++) {
                int iy = oy * g.strideH() - g.padH() + ky, ix = ox * g.strideW() - g.padW() + kx;
                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                double v = x[p * h * w + iy * w + ix];
                if (bi < 0 || v > best) { best = v; bi = iy * w + ix; }
            }
            y[(p * oh + oy) * ow + ox] = best;
            idx[(p * oh + oy) * ow + ox] = bi;
        }
        return new double[][]{y, idx};
    }

    /** Average pooling (PyTorch's windows: clipped to the padded input; padding counted when asked). */
    static double[] avgPool(Pool2dShape g, double[] x) {
        int planes = (int) (g.n() * g.c()), h = (int) g.h(), w = (int) g.w(), oh = (int) g.outH(), ow = (int) g.outW();
        double[] y = new double[planes * oh * ow];
        for (int p = 0; p < planes; p++) for (int oy = 0; oy < oh; oy++) for (int ox = 0; ox < ow; ox++) {
            int y0 = oy * g.strideH() - g.padH(), x0 = ox * g.strideW() - g.padW();
            int y1 = Math.min(y0 + g.kernelH(), h + g.padH()), x1 = Math.min(x0 + g.kernelW(), w + g.padW());
            double s = 0;
            int inside = 0;
            for (int iy = y0; iy < y1; iy++) for (int ix = x0; ix < x1; ix++)
                if (iy >= 0 && iy < h && ix >= 0 && ix < w) { s += x[p * h * w + iy * w + ix]; inside++; }
            int cnt = g.countIncludePad() ? (y1 - y0) * (x1 - x0) : inside;
            y[(p * oh + oy) * ow + ox] = s / cnt;
        }
        return y;
    }

    /** Adaptive average pooling of nc planes h x w -> oh x ow (PyTorch's floor/ceil windows). */
    static double[] adaptiveAvg(double[] x, int nc, int h, int w, int oh, int ow) {
        double[] y = new double[nc * oh * ow];
        for (int p = 0; p < nc; p++) for (int oy = 0; oy < oh; oy++) for (int ox = 0; ox < ow; ox++) {
            int y0 = oy * h / oh, y1 = ((oy + 1) * h + oh - 1) / oh, x0 = ox * w / ow, x1 = ((ox + 1) * w + ow - 1) / ow;
            double s = 0;
            for (int iy = y0; iy < y1; iy++) for (int ix = x0; ix < x1; ix++) s += x[p * h * w + iy * w + ix];
            y[(p * oh + oy) * ow + ox] = s / ((y1 - y0) * (x1 - x0));
        }
        return y;
    }
}
