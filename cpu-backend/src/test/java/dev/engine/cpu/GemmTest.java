package dev.engine.cpu;

import dev.engine.api.Activation;
import dev.engine.api.Buffer;
import dev.engine.api.DType;
import dev.engine.api.ElementwiseOp;
import dev.engine.api.Epilogue;
import dev.engine.api.MatrixRef;
import org.junit.jupiter.api.Test;

/**
 * GEMM against a triple loop in double: all four transpose combinations, alpha/beta, leading dimensions
 * larger than the matrix, offsets, batches with batch strides (including 0 = broadcast), k = 0, m/n = 0,
 * and every epilogue (bias, residual, each activation). Tolerance |a-e| <= tol*(1+|e|):
 * F32 1e-5 * k-ish (we use 2e-5 for k <= 70), F64 1e-12.
 */
class GemmTest extends CpuTestBase {
    /** Reads op(M)[i][j] of batch item {@code bi} from a row-major buffer image. */
    static double at(double[] buf, MatrixRef r, boolean trans, long bi, long i, long j) {
        long row = trans ? j : i, col = trans ? i : j;
        return buf[(int) (r.offset() + bi * r.batchStride() + row * r.ld() + col)];
    }

    static double act(Activation a, double v, double p) { return ElementwiseTest.ref(a.op(), new double[]{v}, p); }

    void check(DType dt, boolean ta, boolean tb, int m, int n, int k, double alpha, double beta, int batch,
               int offA, int extraLdA, long strideA, int offB, int extraLdB, long strideB, int offC, int extraLdC, boolean bias,
               boolean residual, Activation activation, double actParam) {
        long lda = Math.max(1, (ta ? m : k) + extraLdA), ldb = Math.max(1, (tb ? k : n) + extraLdB), ldc = Math.max(1, n + extraLdC);
        long rowsA = ta ? k : m, rowsB = tb ? n : k;
        long strideC = (long) m * ldc + 3;
        int lenA = (int) (offA + Math.max(0, batch - 1) * strideA + rowsA * lda + 1);
        int lenB = (int) (offB + Math.max(0, batch - 1) * strideB + rowsB * ldb + 1);
        int lenC = (int) (offC + Math.max(0, batch - 1) * strideC + (long) m * ldc + 1);
        double[] ha = rounded(dt, randn(lenA)), hb = rounded(dt, randn(lenB)), hc = rounded(dt, randn(lenC));
        double[] hbias = rounded(dt, randn(n + 2)), hres = rounded(dt, randn(lenC));
        MatrixRef A = new MatrixRef(buf(dt, ha), offA, lda, strideA), B = new MatrixRef(buf(dt, hb), offB, ldb, strideB);
        MatrixRef C = new MatrixRef(buf(dt, hc), offC, ldc, strideC);
        MatrixRef R = residual ? new MatrixRef(buf(dt, hres), offC, ldc, strideC) : null;
        Buffer biasBuf = bias ? buf(dt, hbias) : null;
        Epilogue epi = new Epilogue(biasBuf, R, activation, actParam);
        BE.gemm(ta, tb, m, n, k, alpha, A, B, beta, C, batch, epi);
        double[] expected = hc.clone();
        for (int bi = 0; bi < batch; bi++)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int p = 0; p < k; p++) s += at(ha, A, ta, bi, i, p) * at(hb, B, tb, bi, p, j);
                    int ci = (int) (offC + bi * strideC + i * ldc + j);
                    double v = alpha * s + (beta == 0 ? 0 : beta * hc[ci]);
                    if (bias) v += hbias[j];
                    if (residual) v += hres[ci];
                    expected[ci] = act(activation, v, actParam);
                }
        double tol = tol(dt, 2e-5 * Math.max(1, Math.sqrt(k)), 1e-12 * Math.max(1, k));
        assertClose(expected, read(C.buffer()), tol, "gemm " + dt + " ta=" + ta + " tb=" + tb + " m=" + m + " n=" + n + " k=" + k
                + " batch=" + batch + " alpha=" + alpha + " beta=" + beta + " bias=" + bias + " res=" + residual + " act=" + activation);
    }

    @Test
    void allTransposeCombinationsAndSizes() {
        int[][] sizes = {{1, 1, 1}, {3, 5, 7}, {17, 1, 9}, {1, 13, 4}, {33, 31, 65}, {0, 4, 3}, {4, 0, 3}, {5, 6, 0}, {64, 70, 129},
                {16, 32, 32}, {130, 33, 100}, {40, 100, 600}};  // the last: k in chunks, transposed A packed
        for (DType dt : FLOATS)
            for (boolean ta : new boolean[]{false, true}) for (boolean tb : new boolean[]{false, true})
                for (int[] s : sizes) {
                    check(dt, ta, tb, s[0], s[1], s[2], 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, false, false, Activation.NONE, 0);
                    check(dt, ta, tb, s[0], s[1], s[2], -0.75, 0.5, 1, 3, 2, 0, 1, 5, 0, 2, 3, false, false, Activation.NONE, 0);
                }
    }

    @Test
    void betaZeroIgnoresNaNInC() {
        for (DType dt : FLOATS) {
            Buffer a = buf(dt, new double[]{1, 2, 3, 4}), b = buf(dt, new double[]{1, 0, 0, 1});
            Buffer c = buf(dt, new double[]{Double.NaN, Double.NaN, Double.NaN, Double.NaN});
            BE.gemm(false, false, 2, 2, 2, 1, MatrixRef.of(a, 2), MatrixRef.of(b, 2), 0, MatrixRef.of(c, 2), 1, Epilogue.NONE);
            assertClose(new double[]{1, 2, 3, 4}, read(c), 0, "beta 0 " + dt);
            Buffer c2 = buf(dt, new double[]{Double.NaN, 1, 1, 1});
            BE.gemm(false, false, 2, 2, 0, 1, MatrixRef.of(a, 2), MatrixRef.of(b, 2), 0, MatrixRef.of(c2, 2), 1, Epilogue.NONE);
            assertClose(new double[]{0, 0, 0, 0}, read(c2), 0, "k=0 beta 0 " + dt);
        }
    }

    @Test
    void batchedWithStridesAndBroadcast() {
        for (DType dt : FLOATS)
            for (boolean ta : new boolean[]{false, true}) for (boolean tb : new boolean[]{false, true}) {
                int m = 5, n = 4, k = 6;
                long sa = (long) (ta ? k : m) * (ta ? m : k) + 2, sb = (long) (tb ? n : k) * (tb ? k : n) + 1;
                check(dt, ta, tb, m, n, k, 1.5, 0.25, 3, 1, 0, sa, 2, 0, sb, 0, 1, false, false, Activation.NONE, 0);
                check(dt, ta, tb, m, n, k, 1, 0, 4, 0, 0, 0, 0, 0, sb, 0, 0, false, false, Activation.NONE, 0);   // A broadcast
                check(dt, ta, tb, m, n, k, 1, 1, 4, 0, 0, sa, 0, 0, 0, 0, 0, true, true, Activation.RELU, 0);      // B broadcast
                check(dt, ta, tb, m, n, 0, 1, 0.5, 2, 0, 0, sa, 0, 0, sb, 0, 0, true, false, Activation.NONE, 0);  // k = 0
                check(dt, ta, tb, m, n, k, 1, 0, 0, 0, 0, sa, 0, 0, sb, 0, 0, false, false, Activation.NONE, 0);   // batch = 0
                // big enough for the packed-panel path (F32, m >= 16): strided batches, broadcast B, beta, epilogue
                int pm = 24, pn = 40, pk = 33;
                long psa = (long) pm * pk + 3, psb = (long) pk * pn + 5;
                check(dt, ta, tb, pm, pn, pk, 1.25, 0.5, 3, 1, 2, psa, 2, 1, psb, 1, 2, true, true, Activation.GELU, 0);
                check(dt, ta, tb, pm, pn, pk, 1, 0, 2, 0, 0, psa, 0, 0, 0, 0, 0, true, false, Activation.RELU, 0);
            }
    }

    @Test
    void everyEpilogue() {
        for (DType dt : FLOATS)
            for (Activation a : Activation.values())
                for (boolean bias : new boolean[]{false, true}) for (boolean res : new boolean[]{false, true}) {
                    double p = a == Activation.LEAKY_RELU ? 0.2 : 0;
                    check(dt, false, true, 7, 300, 5, 0.5, 0.5, 2, 0, 0, 40, 0, 0, 1600, 0, 0, bias, res, a, p);
                    check(dt, true, false, 3, 9, 4, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, bias, res, a, p);
                }
    }

    @Test
    void epilogueOfUsesDefaultLeakySlope() {
        for (DType dt : FLOATS) {
            Buffer a = buf(dt, new double[]{1, -2}), b = buf(dt, new double[]{3, -1}), bias = buf(dt, new double[]{1, 1});
            Buffer c = alloc(dt, 4);
            BE.gemm(false, false, 2, 2, 1, 1, MatrixRef.of(a, 1), MatrixRef.of(b, 2), 0, MatrixRef.of(c, 2), 1,
                    Epilogue.of(bias, Activation.LEAKY_RELU));
            // [[3, -1], [-6, 2]] + 1 -> [[4, 0], [-5, 3]] -> leaky 0.01
            assertClose(new double[]{4, 0, -0.05, 3}, read(c), tol(dt, 1e-6, 1e-15), "Epilogue.of " + dt);
            assertClose(new double[]{ElementwiseOp.LEAKY_RELU.arity()}, new double[]{1}, 0, "arity");
        }
    }

    @Test
    void randomShapesAndArguments() {
        java.util.Random r = new java.util.Random(99);
        for (int it = 0; it < 120; it++) {
            DType dt = FLOATS[r.nextInt(2)];
            boolean ta = r.nextBoolean(), tb = r.nextBoolean();
            int m = r.nextInt(40), n = r.nextInt(40), k = r.nextInt(40), batch = r.nextInt(4);
            int ldA = r.nextInt(3), ldB = r.nextInt(3);
            long sizeA = (long) Math.max(1, ta ? k : m) * Math.max(1, (ta ? m : k) + ldA), sizeB = (long) Math.max(1, tb ? n : k) * Math.max(1, (tb ? k : n) + ldB);
            long sa = r.nextInt(3) == 0 ? 0 : sizeA + r.nextInt(4), sb = r.nextInt(3) == 0 ? 0 : sizeB + r.nextInt(4);
            Activation act = Activation.values()[r.nextInt(Activation.values().length)];
            check(dt, ta, tb, m, n, k, r.nextGaussian(), r.nextBoolean() ? 0 : r.nextGaussian(), batch, r.nextInt(3), ldA, sa, r.nextInt(3), ldB, sb,
                    r.nextInt(3), r.nextInt(3), r.nextBoolean(), r.nextBoolean(), act, 0.05);
        }
    }
}
