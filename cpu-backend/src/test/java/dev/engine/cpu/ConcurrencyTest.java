package dev.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.engine.api.Activation;
import dev.engine.api.Buffer;
import dev.engine.api.BufferView;
import dev.engine.api.Conv2dShape;
import dev.engine.api.DType;
import dev.engine.api.ElementwiseOp;
import dev.engine.api.ElementwiseProgram;
import dev.engine.api.Epilogue;
import dev.engine.api.MatrixRef;
import dev.engine.api.PackedMatrix;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Several Java threads calling kernels at once (as a frozen model serving requests would) get exactly the
 * results of a single caller: per-thread argument blocks and scratch, OpenBLAS called re-entrantly.
 */
class ConcurrencyTest extends CpuTestBase {
    static double[] work(double[] x, double[] w) {
        Conv2dShape g = new Conv2dShape(4, 3, 16, 16, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        int xn = 4 * 3 * 256, wn = 8 * 3 * 9, yn = 4 * 8 * 256;
        try (Buffer bx = BE.allocate(DType.F32, xn); Buffer bw = BE.allocate(DType.F32, wn); Buffer y = BE.allocate(DType.F32, yn);
             Buffer c = BE.allocate(DType.F32, 64 * 64); Buffer e = BE.allocate(DType.F32, xn)) {
            write(bx, java.util.Arrays.copyOf(x, xn));
            write(bw, java.util.Arrays.copyOf(w, wn));
            BE.conv2dForward(g, bx, bw, null, Activation.RELU, y);
            BE.gemm(false, true, 64, 64, 48, 1, MatrixRef.of(bx, 48), MatrixRef.of(bx, 48), 0, MatrixRef.of(c, 64), 1, Epilogue.NONE);
            var b = ElementwiseProgram.builder(1);
            BE.elementwise(b.build(b.op(ElementwiseOp.GELU, b.opImm(ElementwiseOp.MUL_SCALAR, 2, 0))), new BufferView[]{BufferView.of(bx, xn)},
                    BufferView.of(e, xn));
            // large enough that every caller hands work to the shared worker pool (or runs inline when it is busy)
            int big = 400_000;
            try (Buffer bigIn = BE.allocate(DType.F32, big); Buffer bigOut = BE.allocate(DType.F32, big);
                 Buffer pc = BE.allocate(DType.F32, 64 * 64); PackedMatrix pw = BE.packMatrix(bx, 48, 64)) {
                double[] ramp = new double[big];
                for (int i = 0; i < big; i++) ramp[i] = x[i % x.length] * (1 + i % 7);
                write(bigIn, ramp);
                BE.elementwise(b.build(b.op(ElementwiseOp.TANH, 0)), new BufferView[]{BufferView.of(bigIn, big)}, BufferView.of(bigOut, big));
                BE.gemmPacked(64, MatrixRef.of(bx, 48), pw, MatrixRef.of(pc, 64), Epilogue.NONE);
                double[] all = new double[yn + 64 * 64 + xn + big + 64 * 64];
                System.arraycopy(read(y), 0, all, 0, yn);
                System.arraycopy(read(c), 0, all, yn, 64 * 64);
                System.arraycopy(read(e), 0, all, yn + 64 * 64, xn);
                System.arraycopy(read(bigOut), 0, all, yn + 64 * 64 + xn, big);
                System.arraycopy(read(pc), 0, all, yn + 64 * 64 + xn + big, 64 * 64);
                return all;
            }
        }
    }

    @Test
    void manyCallersGetTheSingleCallerResult() throws Exception {
        double[] x = randn(4 * 3 * 256), w = randn(8 * 3 * 9);
        double[] expected = work(x, w);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<double[]>> results = new ArrayList<>();
            for (int i = 0; i < 32; i++) results.add(pool.submit(() -> work(x, w)));
            for (Future<double[]> f : results) assertArrayEquals(expected, f.get(), 0.0);
        } finally {
            pool.shutdownNow();
        }
    }
}
