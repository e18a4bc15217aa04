package dev.engine.cuda;

import static dev.engine.cuda.Parity.gpu;
import static org.junit.jupiter.api.Assertions.*;

import dev.engine.api.BackendUnavailableException;
import dev.engine.api.Buffer;
import dev.engine.api.BufferView;
import dev.engine.api.DType;
import dev.engine.api.Device;
import dev.engine.api.DeviceException;
import dev.engine.api.ElementwiseOp;
import dev.engine.api.ElementwiseProgram;
import dev.engine.api.Epilogue;
import dev.engine.api.MatrixRef;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * GPU-only: two backends on device 0 have two contexts (two streams, two caches, two cuBLASLt handles), each
 * computes right, alone and at the same time, and closing one leaves the other (and the shared backend) working.
 */
class CudaTwoContextsTest {
    private static final int M = 37, K = 53, N = 29;

    @Test
    void twoBackendsOnOneDeviceAreIndependent() throws Exception {
        CudaBackend shared = gpu();
        CudaBackend a = new CudaBackend(0), b = new CudaBackend(0);
        try {
            assertTrue(a.isAvailable(), a.unavailableReason());
            assertTrue(b.isAvailable(), b.unavailableReason());
            assertEquals(Device.of("cuda", 0), b.device());
            assertNotEquals(a.ctx(), b.ctx());
            assertNotEquals(shared.ctx(), a.ctx());
            a.setTf32(false);
            b.setTf32(true);  // each context has its own switch
            assertFalse(a.describe().contains("TF32 GEMM on"), a.describe());
            b.setTf32(false);

            gemmAndAdd(a, 1);
            gemmAndAdd(b, 2);

            long aMallocs = a.allocatorStats().cudaMallocs();
            try (Buffer big = b.allocate(DType.F32, 3 << 20)) {
                assertEquals(aMallocs, a.allocatorStats().cudaMallocs(), "b's allocation came from a's cache");
                try (Buffer x = a.allocate(DType.F32, 4)) {
                    assertThrows(DeviceException.class, () -> b.copyIn(new float[4], 0, x, 0, 4));
                }
            }

            // both at once, each on its own stream
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                Future<?> fa = pool.submit(() -> { for (int i = 0; i < 20; i++) gemmAndAdd(a, 10 + i); });
                Future<?> fb = pool.submit(() -> { for (int i = 0; i < 20; i++) gemmAndAdd(b, 100 + i); });
                fa.get();
                fb.get();
            } finally {
                pool.shutdown();
            }

            // a graph and a live buffer of a, then a closes: both are freed with it, and closing them later is harmless
            Buffer left = a.allocate(DType.F32, 1024);
            Buffer out = a.allocate(DType.F32, 1024);
            CudaGraph g = a.captureGraph(() -> a.elementwise(ElementwiseProgram.single(ElementwiseOp.CONST, 3), new BufferView[0],
                    BufferView.of(out, 1024)));
            g.launch();
            a.close();
            a.close();
            assertFalse(a.isAvailable());
            assertTrue(a.unavailableReason().contains("closed"), a.unavailableReason());
            assertThrows(BackendUnavailableException.class, () -> a.allocate(DType.F32, 4));
            assertThrows(BackendUnavailableException.class, g::launch);
            g.close();
            left.close();
            out.close();

            gemmAndAdd(b, 3);
            b.synchronize();
            assertTrue(b.allocatorStats().cacheHits() > 0);
            gemmAndAdd(shared, 4);
        } finally {
            a.close();
            b.close();
        }
        assertFalse(b.isAvailable());
        gemmAndAdd(shared, 5);
    }

    /** y = x w (GEMM) and s = y + y (elementwise) on {@code cuda}, checked against a double-precision reference. */
    private static void gemmAndAdd(CudaBackend cuda, long seed) {
        Random r = new Random(seed);
        float[] x = new float[M * K], w = new float[K * N], y = new float[M * N], s = new float[M * N];
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat() * 2 - 1;
        for (int i = 0; i < w.length; i++) w[i] = r.nextFloat() * 2 - 1;
        try (Buffer bx = cuda.allocate(DType.F32, M * K); Buffer bw = cuda.allocate(DType.F32, K * N);
             Buffer by = cuda.allocate(DType.F32, M * N); Buffer bs = cuda.allocate(DType.F32, M * N)) {
            cuda.copyIn(x, 0, bx, 0, x.length);
            cuda.copyIn(w, 0, bw, 0, w.length);
            cuda.gemm(false, false, M, N, K, 1, MatrixRef.of(bx, K), MatrixRef.of(bw, N), 0, MatrixRef.of(by, N), 1, Epilogue.NONE);
            cuda.elementwise(ElementwiseProgram.single(ElementwiseOp.ADD, 0), new BufferView[] {BufferView.of(by, M * N), BufferView.of(by, M * N)},
                    BufferView.of(bs, M * N));
            cuda.copyOut(by, 0, y, 0, y.length);
            cuda.copyOut(bs, 0, s, 0, s.length);
        }
        boolean tf32 = cuda.describe().contains("TF32 GEMM on");
        double tol = tf32 ? 2e-2 : 1e-4;
        for (int i = 0; i < M; i++) {
            for (int j = 0; j < N; j++) {
                double ref = 0;
                for (int p = 0; p < K; p++) ref += (double) x[i * K + p] * w[p * N + j];
                String at = cuda + " seed " + seed + " [" + i + "," + j + "]";
                assertEquals(ref, y[i * N + j], tol * (1 + Math.abs(ref)), "gemm " + at);
                assertEquals(2.0 * y[i * N + j], s[i * N + j], 1e-6 * (1 + Math.abs(ref)), "add " + at);
            }
        }
    }
}
