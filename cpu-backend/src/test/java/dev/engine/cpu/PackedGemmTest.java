package dev.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.Activation;
import dev.engine.api.Buffer;
import dev.engine.api.ClosedBufferException;
import dev.engine.api.DType;
import dev.engine.api.EngineException;
import dev.engine.api.Epilogue;
import dev.engine.api.MatrixRef;
import dev.engine.api.PackedMatrix;
import dev.engine.api.ShapeException;
import org.junit.jupiter.api.Test;

/**
 * The frozen model's GEMM against a packed constant B: every tile shape and tail (rows around the 8-row
 * tile and the 128-row block, columns around the 32-wide panel, k = 0, 1 and past the 256-step chunk), every epilogue, one to
 * three threads (the work in parts that the threads claim), all against a triple loop in double. Also: a row's result does not depend on its batch, and
 * bad calls throw before native code.
 */
class PackedGemmTest extends CpuTestBase {
    static final int[] ROWS = {0, 1, 2, 7, 8, 9, 17, 64, 129, 300};
    static final int[][] KN = {{0, 5}, {1, 1}, {5, 31}, {33, 32}, {16, 33}, {70, 100}, {784, 10}, {100, 130}, {600, 70}};

    /** A row-major k x n matrix with leading dimension ld >= n at offset 0. */
    void check(int m, int k, int n, int extraLd, boolean bias, boolean residual, Activation act, int threads) {
        int before = BE.threads();
        BE.setThreads(threads);
        try {
            long lda = Math.max(1, k + extraLd), ldc = Math.max(1, n + extraLd);
            double[] ha = rounded(DType.F32, randn((int) (m * lda + 1))), hb = rounded(DType.F32, randn(k * n));
            double[] hbias = rounded(DType.F32, randn(n)), hres = rounded(DType.F32, randn((int) (m * ldc + 1)));
            double[] hc = rounded(DType.F32, randn((int) (m * ldc + 1)));
            Buffer c = buf(DType.F32, hc);
            try (PackedMatrix p = BE.packMatrix(buf(DType.F32, hb), k, n)) {
                assertEquals(k, p.rows());
                assertEquals(n, p.cols());
                Epilogue epi = new Epilogue(bias ? buf(DType.F32, hbias) : null,
                        residual ? new MatrixRef(buf(DType.F32, hres), 0, ldc, 0) : null, act, 0.1);
                BE.gemmPacked(m, new MatrixRef(buf(DType.F32, ha), 0, lda, 0), p, new MatrixRef(c, 0, ldc, 0), epi);
            }
            double[] expected = hc.clone();
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int q = 0; q < k; q++) s += ha[(int) (i * lda + q)] * hb[q * n + j];
                    if (bias) s += hbias[j];
                    if (residual) s += hres[(int) (i * ldc + j)];
                    expected[(int) (i * ldc + j)] = GemmTest.act(act, s, 0.1);
                }
            assertClose(expected, read(c), 2e-5 * Math.max(1, Math.sqrt(k)),
                    "gemmPacked m=" + m + " k=" + k + " n=" + n + " ld+" + extraLd + " bias=" + bias + " res=" + residual + " act=" + act + " threads=" + threads);
        } finally {
            BE.setThreads(before);
        }
    }

    @Test
    void everyShapeAgainstNaiveLoops() {
        for (int threads : new int[]{1, 2, 3})
            for (int m : ROWS)
                for (int[] kn : KN) check(m, kn[0], kn[1], 0, false, false, Activation.NONE, threads);
    }

    @Test
    void everyEpilogueAndLeadingDimension() {
        for (Activation a : Activation.values()) check(9, 70, 100, 0, true, false, a, 1);
        check(1, 70, 100, 3, true, true, Activation.RELU, 2);
        check(130, 33, 65, 5, true, true, Activation.GELU, 2);
        check(64, 784, 512, 0, true, false, Activation.RELU, 2);
        // enough panels for 4 parts a thread: a few rows, and a single row walking 4 panels at once
        check(9, 70, 1100, 0, true, false, Activation.RELU, 2);
        check(1, 70, 1100, 0, true, false, Activation.NONE, 3);
    }

    /** Row i of a batch equals the same row computed alone, bit for bit, for any thread count. */
    @Test
    void rowResultDoesNotDependOnBatch() {
        rowResultDoesNotDependOnBatch(37, 200, 70);   // threads split the panels
        rowResultDoesNotDependOnBatch(64, 512, 10);   // one narrow panel: threads split the rows, 16-wide tiles
        rowResultDoesNotDependOnBatch(40, 600, 70);   // k in three chunks, each sum resumed from C
    }

    void rowResultDoesNotDependOnBatch(int m, int k, int n) {
        double[] ha = randn(m * k), hb = randn(k * n);
        Buffer a = buf(DType.F32, ha), cAll = alloc(DType.F32, (long) m * n), cOne = alloc(DType.F32, n);
        try (PackedMatrix p = BE.packMatrix(buf(DType.F32, hb), k, n)) {
            BE.setThreads(2);
            BE.gemmPacked(m, MatrixRef.of(a, k), p, MatrixRef.of(cAll, n), Epilogue.NONE);
            double[] all = read(cAll);
            for (int i : new int[]{0, 5, 8, 36}) {
                BE.setThreads(1 + i % 2);
                BE.gemmPacked(1, new MatrixRef(a, (long) i * k, k, 0), p, MatrixRef.of(cOne, n), Epilogue.NONE);
                assertArrayEquals(java.util.Arrays.copyOfRange(all, i * n, (i + 1) * n), read(cOne), 0.0, "row " + i + " of " + m + "x" + k + "x" + n);
            }
        } finally {
            BE.setThreads(1);
        }
    }

    @Test
    void badCallsThrowNamingTheProblem() {
        Buffer b = buf(DType.F32, randn(12)), a = buf(DType.F32, randn(8)), c = alloc(DType.F32, 8);
        assertThrows(ShapeException.class, () -> BE.packMatrix(b, 4, 4), "B too small");
        assertThrows(ShapeException.class, () -> BE.packMatrix(b, -1, 4));
        assertThrows(EngineException.class, () -> BE.packMatrix(buf(DType.F64, randn(12)), 3, 4), "F64 B");
        PackedMatrix p = BE.packMatrix(b, 3, 4);
        EngineException e = assertThrows(ShapeException.class, () -> BE.gemmPacked(3, MatrixRef.of(a, 3), p, MatrixRef.of(c, 4), Epilogue.NONE));
        assertTrue(e.getMessage().contains("A"), e.getMessage());
        assertThrows(ShapeException.class, () -> BE.gemmPacked(2, MatrixRef.of(a, 3), p, MatrixRef.of(alloc(DType.F32, 7), 4), Epilogue.NONE));
        assertThrows(ShapeException.class, () -> BE.gemmPacked(2, MatrixRef.of(a, 3), p, MatrixRef.of(c, 4),
                Epilogue.of(buf(DType.F32, randn(3)), Activation.NONE)), "short bias");
        PackedMatrix foreign = new PackedMatrix(b, 3, 4, PackedMatrix.ROW_MAJOR);
        e = assertThrows(EngineException.class, () -> BE.gemmPacked(2, MatrixRef.of(a, 3), foreign, MatrixRef.of(c, 4), Epilogue.NONE));
        assertTrue(e.getMessage().contains("format"), e.getMessage());
        p.close();
        assertThrows(ClosedBufferException.class, () -> BE.gemmPacked(2, MatrixRef.of(a, 3), p, MatrixRef.of(c, 4), Epilogue.NONE));
    }
}
