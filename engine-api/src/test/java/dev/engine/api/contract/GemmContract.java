package dev.engine.api.contract;

import static dev.engine.api.contract.BackendContract.test;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.engine.api.Activation;
import dev.engine.api.Backend;
import dev.engine.api.Buffer;
import dev.engine.api.DType;
import dev.engine.api.Epilogue;
import dev.engine.api.MatrixRef;
import dev.engine.api.PackedMatrix;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;

/** GEMM: transposes, alpha/beta, offsets and leading dimensions, batches (broadcast B), epilogues, packed B, edge sizes. */
final class GemmContract {
    private GemmContract() {}

    /** One product with A and B at offset 1 and padded leading dimensions; C starts as random values. */
    private static void check(Fx f, DType dt, boolean ta, boolean tb, int m, int n, int k, double alpha, double beta, int batch,
                              boolean broadcastB, boolean bias, boolean residual, Activation act) {
        check(f, null, dt, ta, tb, m, n, k, alpha, beta, batch, broadcastB, bias, residual, act);
    }

    /**
     * As above; with a precision (BF16, F16) through {@code gemmRounded}, against the reference on the rounded
     * operands. Returns how many elements differ from the unrounded product by more than the tolerance.
     */
    private static int check(Fx f, DType precision, DType dt, boolean ta, boolean tb, int m, int n, int k, double alpha, double beta,
                             int batch, boolean broadcastB, boolean bias, boolean residual, Activation act) {
        int ar = ta ? k : m, ac = ta ? m : k, br = tb ? n : k, bc = tb ? k : n;
        int lda = ac + 2, ldb = bc + 1, ldc = n + 3;
        int sA = ar * lda, sB = broadcastB ? 0 : br * ldb, sC = m * ldc;
        double[] a = f.random(dt, 1 + Math.max(1, batch * sA)), b = f.random(dt, 1 + Math.max(1, broadcastB ? br * ldb : batch * sB));
        double[] c = f.random(dt, Math.max(1, batch * sC));
        double[] bs = bias ? f.random(dt, Math.max(1, n)) : null, res = residual ? f.random(dt, Math.max(1, batch * m * n)) : null;
        Buffer ba = f.buf(dt, a), bb = f.buf(dt, b), bcb = f.buf(dt, c);
        Epilogue epi = new Epilogue(bias ? f.buf(dt, bs) : null, residual ? new MatrixRef(f.buf(dt, res), 0, Math.max(1, n), (long) m * n) : null, act, 0.01);
        MatrixRef ra = new MatrixRef(ba, 1, lda, sA), rb = new MatrixRef(bb, 1, ldb, sB), rc = new MatrixRef(bcb, 0, ldc, sC);
        if (precision == null) f.be.gemm(ta, tb, m, n, k, alpha, ra, rb, beta, rc, batch, epi);
        else f.be.gemmRounded(precision, ta, tb, m, n, k, alpha, ra, rb, beta, rc, batch, epi);
        boolean empty = m == 0 || n == 0 || batch == 0;
        double[] want = empty ? c
                : Ref.gemm(ta, tb, m, n, k, alpha, rounded(a, precision), 1, lda, sA, rounded(b, precision), 1, ldb, sB, beta, c, 0, ldc, sC,
                           batch, bs, res, n, act, 0.01);
        double[] got = f.read(bcb);
        Fx.close(want, got, dt, Math.max(4, k), (precision == null ? "gemm " : "gemmRounded " + precision + " ") + dt + (ta ? " A^T" : "")
                + (tb ? " B^T" : "") + " " + m + "x" + n + "x" + k + " batch " + batch + " " + act);
        if (precision == null || empty) return 0;
        double[] unrounded = Ref.gemm(ta, tb, m, n, k, alpha, a, 1, lda, sA, b, 1, ldb, sB, beta, c, 0, ldc, sC, batch, bs, res, n, act, 0.01);
        double t = Math.max(4, k) * 1e-5;
        int differ = 0;
        for (int i = 0; i < got.length; i++) if (Math.abs(got[i] - unrounded[i]) > t * Math.max(1, Math.abs(unrounded[i]))) differ++;
        return differ;
    }

    /**
     * The bias-gradient epilogue: C as the plain product (rounded operands with a precision) and out[i] the sum of
     * op(A)'s row i, unrounded and unscaled by alpha; out starts as NaN so a missed row shows.
     */
    private static void checkBiasGradient(Fx f, DType precision, DType dt, boolean ta, boolean tb, int m, int n, int k, double alpha,
                                          double beta) {
        int ar = ta ? k : m, ac = ta ? m : k, br = tb ? n : k, bc = tb ? k : n;
        int lda = ac + 2, ldb = bc + 1, ldc = n + 3;
        double[] a = f.random(dt, 1 + Math.max(1, ar * lda)), b = f.random(dt, 1 + Math.max(1, br * ldb)), c = f.random(dt, Math.max(1, m * ldc));
        Buffer bc0 = f.buf(dt, c), out = f.alloc(dt, Math.max(1, m));
        MatrixRef ra = new MatrixRef(f.buf(dt, a), 1, lda, 0), rb = new MatrixRef(f.buf(dt, b), 1, ldb, 0), rc = new MatrixRef(bc0, 0, ldc, 0);
        if (precision == null) f.be.gemm(ta, tb, m, n, k, alpha, ra, rb, beta, rc, 1, Epilogue.biasGradient(out));
        else f.be.gemmRounded(precision, ta, tb, m, n, k, alpha, ra, rb, beta, rc, 1, Epilogue.biasGradient(out));
        String what = "bias gradient " + (precision == null ? "" : precision + " ") + dt + (ta ? " A^T" : "") + (tb ? " B^T" : "") + " " + m + "x"
                + n + "x" + k;
        double[] want = m == 0 || n == 0 ? c
                : Ref.gemm(ta, tb, m, n, k, alpha, rounded(a, precision), 1, lda, 0, rounded(b, precision), 1, ldb, 0, beta, c, 0, ldc, 0, 1, null,
                           null, n, Activation.NONE, 0);
        Fx.close(want, f.read(bc0), dt, Math.max(4, k), what + " C");
        if (m == 0) {
            assertArrayEquals(new double[]{Double.NaN}, f.read(out), 0, what + ": out written for m = 0");
            return;
        }
        double[] sums = new double[m];
        for (int i = 0; i < m; i++) for (int j = 0; j < k; j++) sums[i] += a[1 + (ta ? j * lda + i : i * lda + j)];
        Fx.close(sums, f.read(out), dt, Math.max(4, k), what + " sums");
    }

    private static double[] rounded(double[] v, DType precision) {
        if (precision == null) return v;
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; i++) r[i] = precision == DType.BF16 ? ScalarRef.roundBf16((float) v[i]) : ScalarRef.roundF16((float) v[i]);
        return r;
    }

    static List<DynamicTest> tests(Backend be) {
        return List.of(
                test(be, "every transpose, alpha and beta, offsets and leading dimensions", f -> {
                    for (DType dt : Fx.FLOATS) for (boolean ta : new boolean[]{false, true}) for (boolean tb : new boolean[]{false, true})
                        check(f, dt, ta, tb, 5, 7, 3, 1.5, 0.5, 1, false, false, false, Activation.NONE);
                }),
                test(be, "large enough for the blocked kernels", f -> {
                    for (DType dt : Fx.FLOATS) {
                        check(f, dt, false, false, 67, 45, 33, 1, 0, 1, false, false, false, Activation.NONE);
                        check(f, dt, true, true, 40, 70, 20, 1, 1, 1, false, false, false, Activation.NONE);
                    }
                }),
                test(be, "batches with a broadcast B", f -> {
                    for (DType dt : Fx.FLOATS) {
                        check(f, dt, false, true, 4, 5, 6, 1, 0, 3, false, false, false, Activation.NONE);
                        check(f, dt, false, false, 20, 3, 8, 1, 0, 4, true, false, false, Activation.NONE);
                    }
                }),
                test(be, "epilogues: bias, residual, activations", f -> {
                    for (DType dt : Fx.FLOATS) for (Activation act : Activation.values())
                        check(f, dt, false, false, 18, 9, 5, 1, 0, 1, false, true, act == Activation.RELU, act);
                    check(f, DType.F32, false, true, 6, 40, 7, 1, 0, 2, false, true, true, Activation.GELU);
                }),
                test(be, "1 x 1 x 1, k = 0 (C = beta C) and empty products", f -> {
                    for (DType dt : Fx.FLOATS) {
                        check(f, dt, false, false, 1, 1, 1, 2, 0, 1, false, false, false, Activation.NONE);
                        check(f, dt, false, false, 3, 4, 0, 1, 0.5, 1, false, false, false, Activation.NONE);
                        check(f, dt, false, false, 0, 4, 3, 1, 0, 1, false, false, false, Activation.NONE);
                        check(f, dt, true, false, 3, 0, 3, 1, 0, 2, false, false, false, Activation.NONE);
                        check(f, dt, false, false, 3, 4, 2, 1, 0, 0, false, false, false, Activation.NONE);
                    }
                }),
                test(be, "rounded operands (BF16, F16): transposes, batches, epilogues, alpha and beta", f -> {
                    for (DType p : new DType[]{DType.BF16, DType.F16}) {
                        int differ = 0;
                        for (boolean ta : new boolean[]{false, true}) for (boolean tb : new boolean[]{false, true}) {
                            differ += check(f, p, DType.F32, ta, tb, 37, 45, 70, 1, 0, 1, false, false, false, Activation.NONE);
                            differ += check(f, p, DType.F32, ta, tb, 5, 7, 3, 1.5, 0.5, 1, false, false, false, Activation.NONE);
                        }
                        differ += check(f, p, DType.F32, false, true, 1, 33, 17, 1, 0, 1, false, true, false, Activation.RELU);
                        differ += check(f, p, DType.F32, false, false, 20, 3, 8, 1, 0, 4, true, false, false, Activation.NONE);
                        differ += check(f, p, DType.F32, true, false, 9, 40, 12, 1, 0, 3, false, true, true, Activation.GELU);
                        check(f, p, DType.F32, false, false, 3, 4, 0, 1, 0.5, 1, false, false, false, Activation.NONE);
                        check(f, p, DType.F32, false, false, 0, 4, 3, 1, 0, 1, false, false, false, Activation.NONE);
                        if (differ == 0) throw new AssertionError("gemmRounded " + p + ": no result differs from the unrounded product");
                    }
                }),
                test(be, "bias-gradient epilogue: row sums of op(A) beside the product, every transpose, rounded too", f -> {
                    for (DType dt : Fx.FLOATS) {
                        for (boolean ta : new boolean[]{false, true}) for (boolean tb : new boolean[]{false, true})
                            checkBiasGradient(f, null, dt, ta, tb, 5, 7, 3, 1.5, 0.5);
                        checkBiasGradient(f, null, dt, true, false, 64, 48, 200, 1, 0);   // a linear layer's dW and db
                        checkBiasGradient(f, null, dt, true, false, 10, 33, 1, 1, 0);
                        checkBiasGradient(f, null, dt, false, false, 3, 4, 0, 1, 0.5);   // k = 0: zero sums, C = beta C
                        checkBiasGradient(f, null, dt, true, false, 6, 0, 5, 1, 0);       // n = 0: the sums alone
                        checkBiasGradient(f, null, dt, true, false, 0, 4, 5, 1, 0);
                    }
                    for (DType p : new DType[]{DType.BF16, DType.F16}) {
                        checkBiasGradient(f, p, DType.F32, true, false, 37, 45, 70, 1, 0);
                        checkBiasGradient(f, p, DType.F32, false, true, 5, 7, 3, 2, 0.5);
                    }
                }),
                test(be, "packed B with the frozen epilogue", f -> {
                    for (int[] s : new int[][]{{1, 10, 8}, {9, 37, 21}, {33, 64, 16}, {2, 0, 3}}) {
                        int m = s[0], n = s[1], k = s[2];
                        double[] a = f.random(DType.F32, m * k), b = f.random(DType.F32, Math.max(1, k * n)), bs = f.random(DType.F32, Math.max(1, n));
                        Buffer c = f.alloc(DType.F32, Math.max(1, m * n));
                        try (PackedMatrix p = f.be.packMatrix(f.buf(DType.F32, b), k, n)) {
                            f.be.gemmPacked(m, MatrixRef.of(f.buf(DType.F32, a), Math.max(1, k)), p, MatrixRef.of(c, Math.max(1, n)),
                                    Epilogue.of(f.buf(DType.F32, bs), Activation.RELU));
                        }
                        if (n == 0) { assertArrayEquals(new double[]{Double.NaN}, f.read(c), 0); continue; }
                        double[] want = Ref.gemm(false, false, m, n, k, 1, a, 0, k, 0, b, 0, n, 0, 0, new double[m * n], 0, n, 0, 1, bs, null, n,
                                Activation.RELU, 0);
                        Fx.close(want, f.read(c), DType.F32, k, "gemmPacked " + m + "x" + n + "x" + k);
                    }
                }));
    }
}
