package dev.engine.cuda;

import static dev.engine.cuda.Parity.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.engine.api.Activation;
import dev.engine.api.Backend;
import dev.engine.api.Conv2dShape;
import dev.engine.api.DType;
import dev.engine.api.Epilogue;
import dev.engine.api.MatrixRef;
import dev.engine.api.Pool2dShape;
import org.junit.jupiter.api.Test;

/** GEMM (SIMT and TF32), conv2d and pooling: CUDA against the CPU. */
class ParityGemmConvTest {

    /** One GEMM on both backends; A, B, C padded by {@code pad} extra columns, C starting from random values. */
    private static void gemm(DType dt, boolean ta, boolean tb, int m, int n, int k, int batch, double alpha, double beta,
                             boolean bias, boolean residual, Activation act, int pad, boolean shareB, double tol) {
        int ar = ta ? k : m, ac = ta ? m : k, br = tb ? n : k, bc = tb ? k : n;
        long lda = ac + pad, ldb = bc + pad, ldc = n + pad;
        long sa = ar * lda, sb = shareB ? 0 : br * ldb, sc = m * ldc;
        try (Twin a = random(dt, Math.max(1, sa * batch), 1); Twin b = random(dt, Math.max(1, br * ldb * (shareB ? 1 : batch)), 2);
             Twin c = random(dt, Math.max(1, sc * batch), 3); Twin bi = random(dt, Math.max(1, n), 4); Twin res = random(dt, Math.max(1, sc * batch), 5)) {
            for (Backend be : both()) {
                Epilogue e = new Epilogue(bias ? bi.on(be) : null, residual ? new MatrixRef(res.on(be), 0, ldc, sc) : null, act, 0.05);
                be.gemm(ta, tb, m, n, k, alpha, new MatrixRef(a.on(be), 0, lda, sa), new MatrixRef(b.on(be), 0, ldb, sb), beta,
                        new MatrixRef(c.on(be), 0, ldc, sc), batch, e);
            }
            assertClose("gemm " + dt + " ta=" + ta + " tb=" + tb + " " + m + "x" + n + "x" + k + " batch=" + batch + " beta=" + beta
                    + " bias=" + bias + " res=" + residual + " " + act, c, tol);
        }
    }

    @Test
    void gemmShapesTransposesBatchesAndEpilogues() {
        for (DType dt : FLOATS) {
            double tol = tol(dt) * 5;
            // m <= 8 takes the skinny kernel, larger m the tiled ones (small and big tiles)
            int[][] shapes = {{0, 3, 4}, {3, 0, 4}, {3, 4, 0}, {1, 1, 1}, {1, 513, 784}, {3, 70, 129}, {8, 33, 17}, {9, 33, 17},
                    {37, 53, 29}, {64, 64, 64}, {520, 513, 33}};
            for (int[] s : shapes)
                for (boolean ta : new boolean[]{false, true})
                    for (boolean tb : new boolean[]{false, true})
                        gemm(dt, ta, tb, s[0], s[1], s[2], 1, 1, 0, false, false, Activation.NONE, 0, false, tol);
            gemm(dt, false, false, 3, 4, 0, 1, 1, 0.5, true, false, Activation.RELU, 0, false, tol);   // k = 0: beta*C + bias
            gemm(dt, true, false, 17, 9, 31, 4, 0.7, 0.3, false, false, Activation.NONE, 3, false, tol);
            gemm(dt, false, true, 17, 9, 31, 3, 1, 0, true, false, Activation.NONE, 0, true, tol);   // shared weight, batch stride 0
            for (Activation act : Activation.values()) {
                gemm(dt, false, true, 33, 65, 47, 2, 0.9, 0.2, true, true, act, 1, false, tol);
                gemm(dt, true, false, 2, 65, 47, 3, 0.9, 0.2, true, true, act, 2, false, tol);
            }
        }
    }

    @Test
    void tf32TensorCoresStayCloseToFp32() {
        CudaBackend cuda = gpu();
        boolean on = cuda.setTf32(true);
        try {
            org.junit.jupiter.api.Assumptions.assumeTrue(on, "TF32 needs sm_80+, this GPU is sm_" + cuda.computeCapability());
            // TF32 keeps 10 mantissa bits: compare loosely, relative to the size of the result
            for (int[] s : new int[][]{{1, 1, 1}, {37, 53, 29}, {128, 64, 256}, {257, 129, 65}})
                for (boolean ta : new boolean[]{false, true})
                    for (boolean tb : new boolean[]{false, true})
                        gemm(DType.F32, ta, tb, s[0], s[1], s[2], 2, 1, 0.5, true, true, Activation.GELU, 1, false, 3e-2);
            // F64 ignores the switch
            gemm(DType.F64, false, false, 37, 53, 29, 1, 1, 0, false, false, Activation.NONE, 0, false, 1e-9);
        } finally {
            cuda.setTf32(false);
        }
    }

    private static void conv(DType dt, Conv2dShape g, boolean bias, Activation act) {
        long xn = g.n() * g.c() * g.h() * g.w(), wn = g.k() * (g.c() / g.groups()) * g.r() * g.s();
        long yn = g.n() * g.k() * g.outH() * g.outW();
        String what = "conv " + dt + " " + g;
        try (Twin x = random(dt, Math.max(1, xn), 1); Twin w = random(dt, wn, 2); Twin b = random(dt, g.k(), 3); Twin y = out(dt, Math.max(1, yn));
             Twin gy = random(dt, Math.max(1, yn), 4); Twin gx = out(dt, Math.max(1, xn)); Twin gw = out(dt, wn); Twin gb = out(dt, g.k())) {
            for (Backend be : both()) {
                be.conv2dForward(g, x.on(be), w.on(be), bias ? b.on(be) : null, act, y.on(be));
                be.conv2dBackwardInput(g, gy.on(be), w.on(be), gx.on(be));
                be.conv2dBackwardWeight(g, x.on(be), gy.on(be), gw.on(be), bias ? gb.on(be) : null);
            }
            double tol = tol(dt) * 5;
            assertClose(what + " forward", y, tol);
            assertClose(what + " grad input", gx, tol);
            assertClose(what + " grad weight", gw, tol);
            assertClose(what + " grad bias", gb, tol);
        }
    }

    @Test
    void conv2dForwardAndBackward() {
        for (DType dt : FLOATS) {
            conv(dt, new Conv2dShape(2, 3, 9, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1), true, Activation.RELU);
            conv(dt, new Conv2dShape(3, 4, 7, 7, 6, 3, 2, 2, 2, 1, 0, 2, 1, 2), false, Activation.NONE);
            conv(dt, new Conv2dShape(1, 5, 4, 6, 3, 1, 1, 1, 1, 0, 0, 1, 1, 1), true, Activation.TANH);
            conv(dt, new Conv2dShape(2, 4, 5, 5, 4, 3, 3, 1, 1, 1, 1, 1, 1, 4), true, Activation.LEAKY_RELU);   // depthwise
            conv(dt, new Conv2dShape(0, 3, 5, 5, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1), true, Activation.NONE);          // empty batch
        }
    }

    @Test
    void poolingForwardAndBackward() {
        for (DType dt : FLOATS) {
            Pool2dShape[] shapes = {new Pool2dShape(2, 3, 8, 8, 2, 2, 2, 2, 0, 0, true), new Pool2dShape(1, 2, 7, 9, 3, 3, 2, 2, 1, 1, true),
                    new Pool2dShape(1, 2, 7, 9, 3, 3, 2, 2, 1, 1, false), new Pool2dShape(3, 1, 5, 5, 3, 2, 1, 1, 1, 0, false),
                    new Pool2dShape(0, 2, 4, 4, 2, 2, 2, 2, 0, 0, true)};
            for (Pool2dShape g : shapes) {
                long xn = Math.max(1, g.n() * g.c() * g.h() * g.w()), yn = Math.max(1, g.n() * g.c() * g.outH() * g.outW());
                try (Twin x = random(dt, xn, 1); Twin y = out(dt, yn); Twin idx = out(DType.I64, yn); Twin gy = random(dt, yn, 2); Twin gx = out(dt, xn)) {
                    for (Backend be : both()) {
                        be.maxPool2dForward(g, x.on(be), y.on(be), idx.on(be));
                        be.maxPool2dBackward(g, gy.on(be), idx.on(be), gx.on(be));
                    }
                    assertClose("maxPool " + g, y);
                    assertExact("maxPool indices " + g, idx);
                    assertClose("maxPool backward " + g, gx);
                    for (Backend be : both()) {
                        be.avgPool2dForward(g, x.on(be), y.on(be));
                        be.avgPool2dBackward(g, gy.on(be), gx.on(be));
                    }
                    assertClose("avgPool " + g, y);
                    assertClose("avgPool backward " + g, gx);
                }
            }
            long[][] adaptive = {{6, 7, 5, 3, 2}, {2, 4, 4, 4, 4}, {3, 5, 5, 1, 1}, {1, 3, 8, 5, 7}};
            for (long[] a : adaptive) {
                long nc = a[0], h = a[1], w = a[2], oh = a[3], ow = a[4];
                try (Twin x = random(dt, nc * h * w, 5); Twin y = out(dt, nc * oh * ow); Twin gy = random(dt, nc * oh * ow, 6); Twin gx = out(dt, nc * h * w)) {
                    for (Backend be : both()) {
                        be.adaptiveAvgPool2dForward(x.on(be), y.on(be), nc, h, w, oh, ow);
                        be.adaptiveAvgPool2dBackward(gy.on(be), gx.on(be), nc, h, w, oh, ow);
                    }
                    assertClose("adaptiveAvgPool " + java.util.Arrays.toString(a), y);
                    assertClose("adaptiveAvgPool backward " + java.util.Arrays.toString(a), gx);
                }
            }
        }
    }
}
