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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * GEMM, conv2d and pooling: CUDA against the CPU. GEMM and conv run in both GEMM implementations: our
 * kernels (SIMT, skinny, TF32) and cuBLASLt (skipped with the loader's reason where it is not installed).
 */
class ParityGemmConvTest {

    /** One GEMM case, run on both backends and compared; fields default to a plain F32 product. */
    private static final class G {
        final DType dt;
        final int m, n, k;
        boolean ta, tb, bias, residual, shareA, shareB, shareRes;
        int batch = 1, pad, offset;
        double alpha = 1, beta, tol;
        Activation act = Activation.NONE;
        DType rounding;  // null: gemm; BF16 / F16: gemmRounded

        G(DType dt, int m, int n, int k) { this.dt = dt; this.m = m; this.n = n; this.k = k; this.tol = Parity.tol(dt) * 5; }

        G trans(boolean a, boolean b) { ta = a; tb = b; return this; }
        G batch(int b) { batch = b; return this; }
        G scalars(double a, double b) { alpha = a; beta = b; return this; }
        G epilogue(boolean withBias, boolean withResidual, Activation a) { bias = withBias; residual = withResidual; act = a; return this; }
        /** Leading dimensions {@code p} elements wider than the matrix; every matrix starts {@code off} elements in. */
        G layout(int p, int off) { pad = p; offset = off; return this; }
        /** Batch stride 0 (one matrix for the whole batch) for A, B, the residual. */
        G share(boolean a, boolean b, boolean res) { shareA = a; shareB = b; shareRes = res; return this; }
        G tol(double t) { tol = t; return this; }
        /** Through {@code gemmRounded(p, ...)} on both backends (operands rounded to p, F32 sums). */
        G rounded(DType p) { rounding = p; return this; }

        void run() {
            int ar = ta ? k : m, ac = ta ? m : k, br = tb ? n : k, bc = tb ? k : n;
            long lda = Math.max(1, ac + pad), ldb = Math.max(1, bc + pad), ldc = Math.max(1, n + pad);
            long sa = shareA ? 0 : ar * lda, sb = shareB ? 0 : br * ldb, sc = m * ldc, sr = shareRes ? 0 : sc;
            long na = offset + ar * lda * (shareA ? 1 : batch), nb = offset + br * ldb * (shareB ? 1 : batch);
            long nc = offset + sc * batch, nr = offset + m * ldc * (shareRes ? 1 : batch);
            try (Twin a = random(dt, Math.max(1, na), 1); Twin b = random(dt, Math.max(1, nb), 2); Twin c = random(dt, Math.max(1, nc), 3);
                 Twin bi = random(dt, Math.max(1, n), 4); Twin res = random(dt, Math.max(1, nr), 5)) {
                for (Backend be : both()) {
                    Epilogue e = new Epilogue(bias ? bi.on(be) : null, residual ? new MatrixRef(res.on(be), offset, ldc, sr) : null, act, 0.05);
                    MatrixRef ra = new MatrixRef(a.on(be), offset, lda, sa), rb = new MatrixRef(b.on(be), offset, ldb, sb);
                    MatrixRef rc = new MatrixRef(c.on(be), offset, ldc, sc);
                    if (rounding == null) be.gemm(ta, tb, m, n, k, alpha, ra, rb, beta, rc, batch, e);
                    else be.gemmRounded(rounding, ta, tb, m, n, k, alpha, ra, rb, beta, rc, batch, e);
                }
                assertClose((rounding == null ? "gemm " : "gemmRounded " + rounding + " ") + dt + " ta=" + ta + " tb=" + tb + " " + m + "x" + n + "x" + k + " batch=" + batch + " alpha=" + alpha
                        + " beta=" + beta + " bias=" + bias + " res=" + residual + " " + act + " pad=" + pad + " offset=" + offset
                        + " shared(a,b,res)=" + shareA + "," + shareB + "," + shareRes + " gemm=" + gpu().gemmImplementation(), c, tol);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = GemmImplementation.class, names = {"OWN", "CUBLASLT"})
    void gemmShapesTransposesBatchesAndEpilogues(GemmImplementation impl) throws Exception {
        try (AutoCloseable mode = gemmMode(impl)) {
            for (DType dt : FLOATS) {
                // m <= 8 takes our skinny kernel, larger m the tiled ones (small and big tiles)
                int[][] shapes = {{0, 3, 4}, {3, 0, 4}, {3, 4, 0}, {1, 1, 1}, {1, 513, 784}, {3, 70, 129}, {8, 33, 17}, {9, 33, 17},
                        {37, 53, 29}, {64, 64, 64}, {520, 513, 33}};
                for (int[] s : shapes)
                    for (boolean ta : new boolean[]{false, true})
                        for (boolean tb : new boolean[]{false, true})
                            new G(dt, s[0], s[1], s[2]).trans(ta, tb).run();
                new G(dt, 3, 4, 0).scalars(1, 0.5).epilogue(true, false, Activation.RELU).run();   // k = 0: beta*C + bias
                new G(dt, 17, 9, 31).trans(true, false).batch(4).scalars(0.7, 0.3).layout(3, 0).run();
                new G(dt, 17, 9, 31).trans(false, true).batch(3).epilogue(true, false, Activation.NONE).share(false, true, false).run();
                for (Activation act : Activation.values()) {
                    new G(dt, 33, 65, 47).trans(false, true).batch(2).scalars(0.9, 0.2).epilogue(true, true, act).layout(1, 0).run();
                    new G(dt, 2, 65, 47).trans(true, false).batch(3).scalars(0.9, 0.2).epilogue(true, true, act).layout(2, 0).run();
                }
            }
        }
    }

    /** Mixed precision: operands rounded to BF16 / F16 give the CPU's products (exact in F32) in both GEMM implementations. */
    @ParameterizedTest
    @EnumSource(value = GemmImplementation.class, names = {"OWN", "CUBLASLT"})
    void gemmRoundedOperands(GemmImplementation impl) throws Exception {
        try (AutoCloseable mode = gemmMode(impl)) {
            for (DType p : new DType[]{DType.BF16, DType.F16}) {
                int[][] shapes = {{1, 513, 784}, {9, 33, 17}, {64, 64, 64}, {520, 513, 33}, {256, 1024, 512}};
                for (int[] s : shapes)
                    for (boolean ta : new boolean[]{false, true})
                        for (boolean tb : new boolean[]{false, true})
                            new G(DType.F32, s[0], s[1], s[2]).trans(ta, tb).rounded(p).run();
                new G(DType.F32, 17, 9, 31).trans(false, true).batch(3).epilogue(true, true, Activation.RELU).share(false, true, false).rounded(p).run();
                new G(DType.F32, 33, 65, 47).batch(2).scalars(0.9, 0.2).epilogue(true, false, Activation.GELU).layout(1, 2).rounded(p).run();
            }
        }
    }

    /**
     * The bias-gradient epilogue (a linear layer's dW and db in one call): cuBLASLt's BGRADB where it takes the call,
     * else the product and the sums apart; both give the CPU's C and row sums. How many were fused is printed.
     */
    @ParameterizedTest
    @EnumSource(value = GemmImplementation.class, names = {"OWN", "CUBLASLT"})
    void gemmBiasGradient(GemmImplementation impl) throws Exception {
        try (AutoCloseable mode = gemmMode(impl)) {
            long fusedBefore = CudaNative.ecu_gemm_bias_grads_fused();
            // {m = out features, n = in features, k = rows}: linear layers of the GPU benchmarks, and odd sizes
            int[][] shapes = {{512, 784, 128}, {10, 512, 128}, {4096, 4096, 256}, {37, 53, 29}, {1, 9, 5}, {6, 5, 1}};
            for (DType dt : FLOATS)
                for (int[] s : shapes)
                    for (boolean tb : new boolean[]{false, true}) biasGradientCase(dt, null, s[0], s[1], s[2], true, tb, 0);
            biasGradientCase(DType.F32, null, 33, 17, 9, false, false, 0.5);
            biasGradientCase(DType.F32, DType.BF16, 512, 784, 128, true, false, 0);
            System.out.println("gemmBiasGradient " + impl + ": " + (CudaNative.ecu_gemm_bias_grads_fused() - fusedBefore) + " fused by cuBLASLt; "
                    + gpu().gemmDescription());
        }
    }

    private static void biasGradientCase(DType dt, DType rounding, int m, int n, int k, boolean ta, boolean tb, double beta) {
        int ar = ta ? k : m, ac = ta ? m : k, br = tb ? n : k, bc = tb ? k : n;
        try (Twin a = random(dt, (long) ar * ac, 1); Twin b = random(dt, (long) br * bc, 2); Twin c = random(dt, (long) m * n, 3);
             Twin sums = random(dt, m, 4)) {
            for (Backend be : both()) {
                MatrixRef ra = MatrixRef.of(a.on(be), ac), rb = MatrixRef.of(b.on(be), bc), rc = MatrixRef.of(c.on(be), n);
                if (rounding == null) be.gemm(ta, tb, m, n, k, 1, ra, rb, beta, rc, 1, Epilogue.biasGradient(sums.on(be)));
                else be.gemmRounded(rounding, ta, tb, m, n, k, 1, ra, rb, beta, rc, 1, Epilogue.biasGradient(sums.on(be)));
            }
            String what = "gemm bias gradient " + dt + (rounding == null ? "" : " " + rounding) + " ta=" + ta + " tb=" + tb + " " + m + "x" + n + "x" + k
                    + " beta=" + beta + " gemm=" + gpu().gemmImplementation();
            assertClose(what + " C", c, Parity.tol(dt) * 5);
            assertClose(what + " sums", sums, Parity.tol(dt) * 5);
        }
    }

    /** Every epilogue the cuBLASLt path splits differently: bias/activation fused or not, residual as its C (beta 0) or added after. */
    @ParameterizedTest
    @EnumSource(value = GemmImplementation.class, names = {"OWN", "CUBLASLT"})
    void gemmEveryEpilogueCombination(GemmImplementation impl) throws Exception {
        try (AutoCloseable mode = gemmMode(impl)) {
            int i = 0;
            for (DType dt : FLOATS)
                for (Activation act : Activation.values())
                    for (boolean bias : new boolean[]{false, true})
                        for (boolean res : new boolean[]{false, true})
                            for (double beta : new double[]{0, 0.5}) {
                                i++;
                                new G(dt, 37, 53, 29).trans((i & 1) != 0, (i & 2) != 0).batch(1 + i % 3).scalars(i % 2 == 0 ? 1 : 0.7, beta)
                                        .epilogue(bias, res, act).run();
                            }
        }
    }

    /** Batch stride 0 (one matrix for the whole batch) for A, B and the residual, with beta 0 and beta != 0. */
    @ParameterizedTest
    @EnumSource(value = GemmImplementation.class, names = {"OWN", "CUBLASLT"})
    void gemmBroadcastBatches(GemmImplementation impl) throws Exception {
        try (AutoCloseable mode = gemmMode(impl)) {
            for (DType dt : FLOATS)
                for (double beta : new double[]{0, 0.25}) {
                    new G(dt, 19, 23, 31).batch(3).scalars(1, beta).share(true, false, false).run();
                    new G(dt, 19, 23, 31).trans(false, true).batch(4).scalars(1, beta).epilogue(true, false, Activation.RELU).share(false, true, false).run();
                    new G(dt, 19, 23, 31).trans(true, true).batch(3).scalars(0.5, beta).epilogue(true, true, Activation.GELU_TANH)
                            .share(false, true, true).run();
                    new G(dt, 19, 23, 31).batch(2).scalars(1, beta).epilogue(false, true, Activation.NONE).share(true, false, true).run();
                }
        }
    }

    /** m = 1 and other skinny products, odd sizes, and operands whose rows and starts are not 16-byte aligned. */
    @ParameterizedTest
    @EnumSource(value = GemmImplementation.class, names = {"OWN", "CUBLASLT"})
    void gemmSkinnyOddSizesAndMisalignedOperands(GemmImplementation impl) throws Exception {
        try (AutoCloseable mode = gemmMode(impl)) {
            for (DType dt : FLOATS) {
                for (int m : new int[]{1, 2, 5, 8, 16})
                    for (boolean tb : new boolean[]{false, true}) {
                        new G(dt, m, 512, 784).trans(false, tb).epilogue(true, false, Activation.RELU).run();
                        new G(dt, m, 129, 257).trans(true, tb).batch(2).scalars(1, 0.5).epilogue(true, true, Activation.NONE).run();
                    }
                new G(dt, 129, 65, 257).epilogue(true, false, Activation.GELU).run();
                new G(dt, 127, 131, 67).trans(true, true).batch(3).run();
                for (int off : new int[]{1, 3})
                    for (boolean ta : new boolean[]{false, true}) {
                        new G(dt, 45, 37, 61).trans(ta, !ta).layout(1, off).epilogue(true, false, Activation.RELU).run();
                        new G(dt, 45, 37, 61).trans(ta, ta).batch(2).layout(3, off).scalars(1, 0).epilogue(true, true, Activation.TANH).run();
                        new G(dt, 1, 37, 61).trans(ta, ta).layout(1, off).scalars(1, 0.5).epilogue(false, true, Activation.NONE).run();
                    }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = GemmImplementation.class, names = {"OWN", "CUBLASLT"})
    void tf32TensorCoresStayCloseToFp32(GemmImplementation impl) throws Exception {
        CudaBackend cuda = gpu();
        try (AutoCloseable mode = gemmMode(impl)) {
            boolean on = cuda.setTf32(true);
            org.junit.jupiter.api.Assumptions.assumeTrue(on, "TF32 needs sm_80+, this GPU is sm_" + cuda.computeCapability());
            // TF32 keeps 10 mantissa bits: compare loosely, relative to the size of the result
            for (int[] s : new int[][]{{1, 1, 1}, {37, 53, 29}, {128, 64, 256}, {257, 129, 65}})
                for (boolean ta : new boolean[]{false, true})
                    for (boolean tb : new boolean[]{false, true})
                        new G(DType.F32, s[0], s[1], s[2]).trans(ta, tb).batch(2).scalars(1, 0.5).epilogue(true, true, Activation.GELU)
                                .layout(1, 0).tol(3e-2).run();
            for (Activation act : new Activation[]{Activation.RELU, Activation.GELU_TANH})
                new G(DType.F32, 96, 80, 300).trans(false, true).epilogue(true, false, act).tol(3e-2).run();
            new G(DType.F32, 96, 80, 300).epilogue(false, true, Activation.NONE).tol(3e-2).run();   // residual as C, beta 0
            // F64 ignores the switch
            new G(DType.F64, 37, 53, 29).tol(1e-9).run();
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

    @ParameterizedTest
    @EnumSource(value = GemmImplementation.class, names = {"OWN", "CUBLASLT"})
    void conv2dForwardAndBackward(GemmImplementation impl) throws Exception {
        try (AutoCloseable mode = gemmMode(impl)) {
            for (DType dt : FLOATS) {
                conv(dt, new Conv2dShape(2, 3, 9, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1), true, Activation.RELU);
                conv(dt, new Conv2dShape(3, 4, 7, 7, 6, 3, 2, 2, 2, 1, 0, 2, 1, 2), false, Activation.NONE);
                conv(dt, new Conv2dShape(1, 5, 4, 6, 3, 1, 1, 1, 1, 0, 0, 1, 1, 1), true, Activation.TANH);
                conv(dt, new Conv2dShape(2, 4, 5, 5, 4, 3, 3, 1, 1, 1, 1, 1, 1, 4), true, Activation.LEAKY_RELU);   // depthwise
                conv(dt, new Conv2dShape(0, 3, 5, 5, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1), true, Activation.NONE);          // empty batch
                conv(dt, new Conv2dShape(4, 6, 28, 28, 16, 5, 5, 1, 1, 0, 0, 1, 1, 1), true, Activation.RELU);       // LeNet's conv2 size
            }
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
