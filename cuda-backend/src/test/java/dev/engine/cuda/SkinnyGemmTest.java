package dev.engine.cuda;

import dev.engine.nativeabi.DTypeCodes;
import dev.engine.nativeabi.NativeArgs;
import static dev.engine.cuda.Parity.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.engine.api.Activation;
import dev.engine.api.Backend;
import dev.engine.api.Buffer;
import dev.engine.api.DType;
import dev.engine.api.Epilogue;
import dev.engine.api.MatrixRef;
import org.junit.jupiter.api.Test;

/**
 * GPU-only: the m <= 16 F32 kernel (native/cuda/skinny_gemm.cu; our GEMM takes it for the calls it covers) against the
 * CPU's GEMM, with every epilogue and with k split across blocks; and its time for 1 x 784 x 512.
 */
class SkinnyGemmTest {
    /** Queues C = epilogue(A B) through the skinny kernel; false when it does not cover the call. */
    private static boolean skinny(long m, long n, long k, double alpha, MatrixRef a, MatrixRef b, double beta, MatrixRef c, Epilogue e) {
        NativeArgs q = NativeArgs.begin().put((long) DTypeCodes.of(DType.F32)).put(false).put(false).put(m).put(n).put(k).put(alpha).put(beta);
        q.put(a.buffer().address() + a.offset() * 4).put(a.ld()).put(0L);
        q.put(b.buffer().address() + b.offset() * 4).put(b.ld()).put(0L);
        q.put(c.buffer().address() + c.offset() * 4).put(c.ld()).put(0L).put(1L);
        q.put(e.bias() == null ? 0L : e.bias().address());
        MatrixRef r = e.residual();
        q.put(r == null ? 0L : r.buffer().address() + r.offset() * 4).put(r == null ? 1L : r.ld()).put(0L);
        q.put((long) e.activation().op().code()).put(e.activationParam());
        int rc = CudaNative.ecu_skinny_gemm(gpu().ctx(), q.address());
        if (rc == -2) return false;
        CudaRuntime.check("skinny gemm", rc);
        return true;
    }

    private static void parity(int m, int n, int k, double beta, boolean bias, boolean residual, Activation act) {
        CudaBackend cuda = gpu();
        String what = m + "x" + k + "x" + n + " beta=" + beta + (bias ? " bias" : "") + (residual ? " residual" : "") + " " + act;
        try (Twin a = random(DType.F32, (long) m * k, m + 1); Twin b = random(DType.F32, (long) k * n, n + 2);
             Twin bs = random(DType.F32, n, 3); Twin res = random(DType.F32, (long) m * n, 4); Twin c = random(DType.F32, (long) m * n, 5)) {
            for (Backend be : both()) {
                Epilogue e = new Epilogue(bias ? bs.on(be) : null, residual ? MatrixRef.of(res.on(be), n) : null, act, 0.01);
                MatrixRef ma = MatrixRef.of(a.on(be), k), mb = MatrixRef.of(b.on(be), n), mc = MatrixRef.of(c.on(be), n);
                if (be == CPU) be.gemm(false, false, m, n, k, 1, ma, mb, beta, mc, 1, e);
                else assertTrue(skinny(m, n, k, 1, ma, mb, beta, mc, e), "covered: " + what);
            }
            assertClose(what, c, 1e-4);
            cuda.synchronize();
        }
    }

    @Test void shapesAndEpilogues() {
        for (int m : new int[]{1, 2, 3, 5, 8, 13, 16})
            for (int[] nk : new int[][]{{4, 1}, {12, 7}, {16, 64}, {20, 300}, {512, 784}, {10, 512}, {1000, 2048}})
                parity(m, nk[0], nk[1], 0, true, false, Activation.RELU);
        parity(1, 512, 784, 0, false, false, Activation.NONE);
        parity(4, 64, 4096, 0.5, true, true, Activation.GELU);
        parity(16, 4096, 4096, 0, true, false, Activation.NONE);
        parity(7, 36, 100, 1, false, true, Activation.TANH);
    }

    @Test void refusesWhatItDoesNotCover() {
        CudaBackend cuda = gpu();
        try (Buffer a = cuda.allocate(DType.F32, 64 * 16); Buffer b = cuda.allocate(DType.F32, 64 * 16); Buffer c = cuda.allocate(DType.F32, 64 * 16)) {
            MatrixRef ma = MatrixRef.of(a, 16), mb = MatrixRef.of(b, 16), mc = MatrixRef.of(c, 16);
            assertFalse(skinny(17, 16, 16, 1, ma, mb, 0, mc, Epilogue.NONE), "m > 16");
            assertFalse(skinny(1, 6, 16, 1, ma, MatrixRef.of(b, 6), 0, MatrixRef.of(c, 6), Epilogue.NONE), "n not a multiple of 4");
            assertFalse(skinny(1, 12, 16, 1, ma, new MatrixRef(b, 1, 16, 0), 0, mc, Epilogue.NONE), "B not 16-byte aligned");
        }
    }

    /** Prints the time per call (no assertion: the target is 1 x 784 x 512 in at most 4 us). */
    @Test void timesOneByLayer() {
        CudaBackend cuda = gpu();
        int m = 1, n = 512, k = 784;
        try (Buffer a = cuda.allocate(DType.F32, k); Buffer b = cuda.allocate(DType.F32, (long) k * n); Buffer bias = cuda.allocate(DType.F32, n);
             Buffer c = cuda.allocate(DType.F32, n)) {
            MatrixRef ma = MatrixRef.of(a, k), mb = MatrixRef.of(b, n), mc = MatrixRef.of(c, n);
            Epilogue e = Epilogue.of(bias, Activation.RELU);
            Runnable call = () -> skinny(m, n, k, 1, ma, mb, 0, mc, e);
            for (int i = 0; i < 200; i++) call.run();
            cuda.synchronize();
            int reps = 2000;
            long t0 = System.nanoTime();
            for (int i = 0; i < reps; i++) call.run();
            cuda.synchronize();
            double eager = (System.nanoTime() - t0) / 1e3 / reps;
            double graph;
            try (CudaGraph g = cuda.captureGraph(() -> { for (int i = 0; i < 100; i++) call.run(); })) {
                g.launch();
                cuda.synchronize();
                t0 = System.nanoTime();
                for (int i = 0; i < 20; i++) g.launch();
                cuda.synchronize();
                graph = (System.nanoTime() - t0) / 1e3 / 2000;
            }
            System.out.printf("skinny gemm 1x784x512 +bias+relu: %.2f us per call eager (launch-bound), %.2f us per kernel in a graph%n", eager, graph);
        }
    }
}
