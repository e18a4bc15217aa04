package dev.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.engine.api.Buffer;
import dev.engine.api.BufferView;
import dev.engine.api.DType;
import dev.engine.api.ElementwiseOp;
import dev.engine.api.ElementwiseProgram;
import dev.engine.api.EngineException;
import dev.engine.api.Epilogue;
import dev.engine.api.Layout;
import dev.engine.api.MatrixRef;
import dev.engine.api.ReduceOp;
import org.junit.jupiter.api.Test;

/** One and two threads give bit-identical results; a thread count below 1 is rejected. */
class ThreadsTest extends CpuTestBase {
    double[] runAll(int threads, double[] x, double[] y) {
        int before = BE.threads();
        BE.setThreads(threads);
        try {
            assertEquals(threads, BE.threads());
            int rows = 700, cols = 600, n = rows * cols;
            Buffer bx = buf(DType.F32, x), by = buf(DType.F32, y), out = alloc(DType.F32, n);
            var b = ElementwiseProgram.builder(2);
            ElementwiseProgram p = b.build(b.op(ElementwiseOp.TANH, b.op(ElementwiseOp.MUL, 0, 1)));
            BE.elementwise(p, new BufferView[]{new BufferView(bx, Layout.contiguous(cols, rows).transpose(0, 1)), BufferView.of(by, rows, cols)},
                    BufferView.of(out, rows, cols));
            Buffer c = alloc(DType.F32, 300 * 400);
            BE.gemm(false, true, 300, 400, 500, 1, MatrixRef.of(bx, 500), MatrixRef.of(by, 500), 0, MatrixRef.of(c, 400), 1, Epilogue.NONE);
            Buffer r = alloc(DType.F32, rows);
            BE.reduce(ReduceOp.SUM, BufferView.of(bx, rows, cols), new int[]{1}, r);
            double[] all = new double[n + 300 * 400 + rows];
            System.arraycopy(read(out), 0, all, 0, n);
            System.arraycopy(read(c), 0, all, n, 300 * 400);
            System.arraycopy(read(r), 0, all, n + 300 * 400, rows);
            return all;
        } finally {
            BE.setThreads(before);
        }
    }

    @Test
    void oneAndTwoThreadsAgreeExactly() {
        double[] x = randn(700 * 600), y = randn(700 * 600);
        assertArrayEquals(runAll(1, x, y), runAll(2, x, y), 0.0);
    }

    @Test
    void nonPositiveThreadCountsThrow() {
        for (int t : new int[]{0, -1, Integer.MIN_VALUE}) {
            var e = assertThrows(EngineException.class, () -> BE.setThreads(t));
            assertMessageNames(e, "setThreads");
        }
        assertThrows(EngineException.class, () -> BE.setThreads(100_000), "absurd thread counts are rejected too");
    }
}
