package dev.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.engine.api.Buffer;
import dev.engine.api.DType;
import dev.engine.api.Pool2dShape;
import org.junit.jupiter.api.Test;

/**
 * Max/avg pooling (with padding, both countIncludePad settings) and adaptive average pooling, forward and
 * backward, against naive loops in double (PyTorch's window and divisor rules). Tolerance F32 1e-5,
 * F64 1e-12 relative to 1+|e|; max-pool indices exact (first maximum in the window wins).
 */
class PoolTest extends CpuTestBase {
    static Pool2dShape[] shapes(boolean include) {
        return new Pool2dShape[]{
                new Pool2dShape(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, include),
                new Pool2dShape(2, 3, 6, 6, 2, 2, 2, 2, 0, 0, include),
                new Pool2dShape(2, 2, 7, 5, 3, 3, 2, 2, 1, 1, include),
                new Pool2dShape(1, 3, 5, 8, 3, 2, 1, 3, 1, 1, include),
                new Pool2dShape(1, 1, 4, 4, 4, 4, 1, 1, 2, 2, include),
                new Pool2dShape(0, 2, 4, 4, 2, 2, 2, 2, 0, 0, include),
                new Pool2dShape(3, 4, 33, 17, 3, 3, 2, 2, 1, 1, include),
        };
    }

    static int n(Pool2dShape g) { return (int) (g.n() * g.c() * g.h() * g.w()); }
    static int on(Pool2dShape g) { return (int) (g.n() * g.c() * g.outH() * g.outW()); }

    @Test
    void maxPoolForwardBackward() {
        for (DType dt : FLOATS) for (Pool2dShape g : shapes(false)) for (boolean ties : new boolean[]{false, true}) {
            int planes = (int) (g.n() * g.c()), h = (int) g.h(), w = (int) g.w(), oh = (int) g.outH(), ow = (int) g.outW();
            double[] x = new double[n(g)];
            for (int i = 0; i < x.length; i++) x[i] = ties ? rnd.nextInt(2) : rnd.nextGaussian();
            x = rounded(dt, x);
            double[] y = new double[on(g)], idx = new double[on(g)], gy = rounded(dt, randn(on(g))), gx = new double[n(g)];
            for (int p = 0; p < planes; p++) for (int oy = 0; oy < oh; oy++) for (int ox = 0; ox < ow; ox++) {
                double best = Double.NEGATIVE_INFINITY; int bi = -1;
                for (int ky = 0; ky < g.kernelH(); ky++) for (int kx = 0; kx < g.kernelW(); kx++) {
                    int iy = oy * g.strideH() - g.padH() + ky, ix = ox * g.strideW() - g.padW() + kx;
                    if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                    double v = x[p * h * w + iy * w + ix];
                    if (bi < 0 || v > best) { best = v; bi = iy * w + ix; }
                }
                int o = (p * oh + oy) * ow + ox;
                y[o] = best; idx[o] = bi;
                gx[p * h * w + bi] += gy[o];
            }
            Buffer bx = buf(dt, x), by = alloc(dt, on(g)), bi = alloc(DType.I64, on(g)), bgx = alloc(dt, n(g));
            BE.maxPool2dForward(g, bx, by, bi);
            String what = "maxPool " + dt + " " + g;
            assertClose(y, read(by), 0, what);
            assertArrayEquals(idx, read(bi), 0, what + " indices");
            BE.maxPool2dBackward(g, buf(dt, gy), bi, bgx);
            assertClose(gx, read(bgx), tol(dt, 1e-6, 1e-14), what + " backward");
        }
    }

    /**
     * Without an indices buffer (inference) only the values are computed, by a separate vectorised path
     * for unpadded F32 windows: same values as the naive loop, NaN in a window gives NaN, -inf stays.
     */
    @Test
    void maxPoolValuesOnly() {
        Pool2dShape[] extra = {
                new Pool2dShape(1, 6, 24, 24, 2, 2, 2, 2, 0, 0, false),   // LeNet pool1
                new Pool2dShape(2, 16, 8, 8, 2, 2, 2, 2, 0, 0, false),    // LeNet pool2, batch 2
                new Pool2dShape(1, 3, 6, 8, 2, 2, 2, 2, 0, 0, false),     // rows of 8, an odd number of row pairs
                new Pool2dShape(5, 16, 8, 8, 2, 2, 2, 2, 0, 0, false),    // rows of 8 over several blocks and both threads
                new Pool2dShape(1, 2, 9, 11, 3, 3, 2, 2, 0, 0, false),    // overlapping windows, odd sizes
                new Pool2dShape(1, 3, 7, 9, 3, 2, 1, 3, 0, 0, false),     // kh != kw, sh != sw
                new Pool2dShape(1, 1, 5, 40, 2, 2, 1, 1, 0, 0, false),    // stride 1
                new Pool2dShape(1, 1, 3, 2101, 2, 2, 2, 2, 0, 0, false),  // a row wider than the stack buffer
                new Pool2dShape(3, 5, 64, 64, 2, 2, 2, 2, 0, 0, false),   // enough work for both threads
                new Pool2dShape(1, 2, 4, 2100, 2, 2, 2, 2, 0, 0, false),  // 2x2 flat path, one row pair per block
                new Pool2dShape(1, 2, 8, 9, 2, 2, 2, 2, 0, 0, false),     // odd width: not the 2x2 flat path
                new Pool2dShape(1, 2, 9, 8, 2, 2, 2, 2, 0, 0, false),     // odd height: not the 2x2 flat path
                new Pool2dShape(1, 6, 28, 28, 2, 2, 2, 2, 0, 0, false),   // LeNet with padding 2: AVX-512 rows of 28 (masked)
                new Pool2dShape(1, 16, 10, 10, 2, 2, 2, 2, 0, 0, false),  // ... and 10
                new Pool2dShape(2, 3, 4, 32, 2, 2, 2, 2, 0, 0, false),    // whole 32-wide vectors, no masked rest
                new Pool2dShape(1, 3, 6, 66, 2, 2, 2, 2, 0, 0, false),    // two whole vectors and a rest of 2
                // 3-wide, stride 2, padded (ResNet's stem pool): AVX-512 column pass, 16 outputs per block
                new Pool2dShape(1, 4, 112, 112, 3, 3, 2, 2, 1, 1, false), // 56 outputs: 3 whole blocks and a masked 8
                new Pool2dShape(2, 3, 9, 64, 3, 3, 2, 2, 1, 1, false),    // 32 outputs: whole blocks only
                new Pool2dShape(1, 2, 5, 3, 3, 3, 2, 2, 1, 1, false),     // 2 outputs per row
                new Pool2dShape(1, 2, 7, 35, 3, 3, 2, 2, 1, 1, false),    // 18: a block and a rest of 2
        };
        java.util.List<Pool2dShape> all = new java.util.ArrayList<>(java.util.List.of(extra));
        all.addAll(java.util.List.of(shapes(false)));
        for (DType dt : FLOATS) for (Pool2dShape g : all) for (boolean nans : new boolean[]{false, true}) {
            int planes = (int) (g.n() * g.c()), h = (int) g.h(), w = (int) g.w(), oh = (int) g.outH(), ow = (int) g.outW();
            double[] x = rounded(dt, randn(n(g)));
            if (nans) for (int i = 0; i < x.length; i += 7) x[i] = i % 3 == 0 ? Double.NaN : Double.NEGATIVE_INFINITY;
            double[] y = new double[on(g)];
            for (int p = 0; p < planes; p++) for (int oy = 0; oy < oh; oy++) for (int ox = 0; ox < ow; ox++) {
                double best = Double.NEGATIVE_INFINITY;
                for (int ky = 0; ky < g.kernelH(); ky++) for (int kx = 0; kx < g.kernelW(); kx++) {
                    int iy = oy * g.strideH() - g.padH() + ky, ix = ox * g.strideW() - g.padW() + kx;
                    if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                    double v = x[p * h * w + iy * w + ix];
                    if (Double.isNaN(v) || Double.isNaN(best)) best = Double.NaN;
                    else best = Math.max(best, v);
                }
                y[(p * oh + oy) * ow + ox] = best;
            }
            Buffer by = alloc(dt, on(g));
            BE.maxPool2dForward(g, buf(dt, x), by, null);
            double[] got = read(by);
            String what = "maxPool values only " + dt + " " + g + (nans ? " with NaN/-inf" : "");
            for (int o = 0; o < y.length; o++) {
                if (Double.isNaN(y[o])) org.junit.jupiter.api.Assertions.assertTrue(Double.isNaN(got[o]), what + " at " + o + ": want NaN, got " + got[o]);
                else org.junit.jupiter.api.Assertions.assertEquals(y[o], got[o], 0, what + " at " + o);
            }
        }
    }

    @Test
    void avgPoolForwardBackward() {
        for (boolean include : new boolean[]{false, true}) for (DType dt : FLOATS) for (Pool2dShape g : shapes(include)) {
            int planes = (int) (g.n() * g.c()), h = (int) g.h(), w = (int) g.w(), oh = (int) g.outH(), ow = (int) g.outW();
            double[] x = rounded(dt, randn(n(g))), gy = rounded(dt, randn(on(g)));
            double[] y = new double[on(g)], gx = new double[n(g)];
            for (int p = 0; p < planes; p++) for (int oy = 0; oy < oh; oy++) for (int ox = 0; ox < ow; ox++) {
                double s = 0; int inside = 0, padded = 0;
                for (int ky = 0; ky < g.kernelH(); ky++) for (int kx = 0; kx < g.kernelW(); kx++) {
                    int iy = oy * g.strideH() - g.padH() + ky, ix = ox * g.strideW() - g.padW() + kx;
                    // PyTorch counts window cells inside the padded input (not beyond it)
                    if (iy < h + g.padH() && ix < w + g.padW()) padded++;
                    if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                    s += x[p * h * w + iy * w + ix];
                    inside++;
                }
                int o = (p * oh + oy) * ow + ox, div = include ? padded : inside;
                y[o] = s / div;
                for (int ky = 0; ky < g.kernelH(); ky++) for (int kx = 0; kx < g.kernelW(); kx++) {
                    int iy = oy * g.strideH() - g.padH() + ky, ix = ox * g.strideW() - g.padW() + kx;
                    if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                    gx[p * h * w + iy * w + ix] += gy[o] / div;
                }
            }
            Buffer by = alloc(dt, on(g)), bgx = alloc(dt, n(g));
            BE.avgPool2dForward(g, buf(dt, x), by);
            String what = "avgPool " + dt + " " + g;
            assertClose(y, read(by), tol(dt, 1e-6, 1e-13), what);
            BE.avgPool2dBackward(g, buf(dt, gy), bgx);
            assertClose(gx, read(bgx), tol(dt, 1e-6, 1e-13), what + " backward");
        }
    }

    @Test
    void adaptiveAvgPool() {
        int[][] cases = {{1, 1, 1, 1, 1}, {2, 7, 5, 3, 2}, {3, 4, 4, 4, 4}, {1, 5, 3, 7, 6}, {2, 10, 9, 1, 1}, {0, 3, 3, 2, 2}, {4, 13, 11, 5, 4}};
        for (DType dt : FLOATS) for (int[] c : cases) {
            int nc = c[0], h = c[1], w = c[2], oh = c[3], ow = c[4];
            double[] x = rounded(dt, randn(nc * h * w)), gy = rounded(dt, randn(nc * oh * ow));
            double[] y = new double[nc * oh * ow], gx = new double[nc * h * w];
            for (int p = 0; p < nc; p++) for (int oy = 0; oy < oh; oy++) for (int ox = 0; ox < ow; ox++) {
                int y0 = (int) Math.floor((double) oy * h / oh), y1 = (int) Math.ceil((double) (oy + 1) * h / oh);
                int x0 = (int) Math.floor((double) ox * w / ow), x1 = (int) Math.ceil((double) (ox + 1) * w / ow);
                double s = 0;
                int cnt = (y1 - y0) * (x1 - x0);
                for (int iy = y0; iy < y1; iy++) for (int ix = x0; ix < x1; ix++) s += x[p * h * w + iy * w + ix];
                int o = (p * oh + oy) * ow + ox;
                y[o] = s / cnt;
                for (int iy = y0; iy < y1; iy++) for (int ix = x0; ix < x1; ix++) gx[p * h * w + iy * w + ix] += gy[o] / cnt;
            }
            Buffer by = alloc(dt, y.length), bgx = alloc(dt, gx.length);
            BE.adaptiveAvgPool2dForward(buf(dt, x), by, nc, h, w, oh, ow);
            BE.adaptiveAvgPool2dBackward(buf(dt, gy), bgx, nc, h, w, oh, ow);
            String what = "adaptiveAvgPool " + dt + " " + java.util.Arrays.toString(c);
            assertClose(y, read(by), tol(dt, 1e-6, 1e-13), what);
            assertClose(gx, read(bgx), tol(dt, 1e-6, 1e-13), what + " backward");
        }
    }
}
