package dev.engine.cuda;

import static dev.engine.cuda.Parity.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.engine.api.Activation;
import dev.engine.api.Buffer;
import dev.engine.api.BufferView;
import dev.engine.api.DType;
import dev.engine.api.ElementwiseOp;
import dev.engine.api.ElementwiseProgram;
import dev.engine.api.EngineException;
import dev.engine.api.Epilogue;
import dev.engine.api.MatrixRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** GPU-only: the caching allocator, CUDA graph capture/replay, error reporting. */
class CudaRuntimeTest {

    @Test
    void describesTheDevice() {
        CudaBackend cuda = gpu();
        String d = cuda.describe();
        System.out.println(d);
        assertTrue(d.contains("sm_"), d);
        assertTrue(cuda.computeCapability() >= 50);
    }

    /** With cuBLASLt too: its plans are cached and its workspace was allocated at load. */
    @ParameterizedTest
    @EnumSource(value = GemmImplementation.class, names = {"OWN", "CUBLASLT"})
    void steadyLoopMakesNoCudaMalloc(GemmImplementation impl) throws Exception {
        CudaBackend cuda = gpu();
        try (AutoCloseable mode = gemmMode(impl)) {
            steadyLoop(cuda);
        }
    }

    private static void steadyLoop(CudaBackend cuda) {
        for (int warm = 0; warm < 2; warm++) loopBody(cuda);
        long mallocs = cuda.allocatorStats().cudaMallocs();
        long live = cuda.memoryStats().liveBytes();
        long queries = CudaNative.ecu_cublaslt_heuristic_queries();
        long fallbacks = CudaNative.ecu_gemm_fallbacks();
        for (int i = 0; i < 50; i++) loopBody(cuda);
        CudaAllocatorStats s = cuda.allocatorStats();
        assertEquals(mallocs, s.cudaMallocs(), "a steady loop must be served from the cache: " + s);
        assertEquals(queries, CudaNative.ecu_cublaslt_heuristic_queries(), "a steady loop reuses its cuBLASLt plans");
        assertEquals(fallbacks, CudaNative.ecu_gemm_fallbacks(), cuda.gemmDescription());
        assertEquals(live, cuda.memoryStats().liveBytes());
        assertTrue(s.cacheHits() > 0, s.toString());
        cuda.emptyCache();
        assertEquals(0, cuda.allocatorStats().cachedBytes());
    }

    private static void loopBody(CudaBackend cuda) {
        try (Buffer a = cuda.allocate(DType.F32, 4096); Buffer b = cuda.allocate(DType.F32, 4096); Buffer c = cuda.allocate(DType.F32, 1 << 20)) {
            cuda.elementwise(ElementwiseProgram.single(ElementwiseOp.CONST, 1), new BufferView[0], BufferView.of(a, 64, 64));
            cuda.gemm(false, false, 64, 64, 64, 1, MatrixRef.of(a, 64), MatrixRef.of(a, 64), 0, MatrixRef.of(b, 64), 1, Epilogue.NONE);
            cuda.conv2dForward(new dev.engine.api.Conv2dShape(1, 4, 16, 16, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1), c, a, null, Activation.NONE, b);
        }
        cuda.synchronize();
    }

    /** cuBLASLt calls are captured too (fixed workspace, no allocation inside the capture). */
    @ParameterizedTest
    @EnumSource(value = GemmImplementation.class, names = {"OWN", "CUBLASLT"})
    void graphReplayEqualsEagerAndSeesNewInputs(GemmImplementation impl) throws Exception {
        try (AutoCloseable mode = gemmMode(impl)) {
            graphReplay(gpu(), 8, 16, 4);
            graphReplay(gpu(), 64, 784, 512);
        }
    }

    private static void graphReplay(CudaBackend cuda, int m, int k, int n) {
        try (Buffer x = cuda.allocate(DType.F32, m * k); Buffer w = cuda.allocate(DType.F32, k * n); Buffer b = cuda.allocate(DType.F32, n);
             Buffer h = cuda.allocate(DType.F32, m * n); Buffer y = cuda.allocate(DType.F32, m * n)) {
            float[] xs = new float[m * k], ws = new float[k * n], bs = new float[n];
            for (int i = 0; i < n; i++) bs[i] = 0.1f * (i % 4 + 1) * (i % 2 == 0 ? 1 : -1);
            for (int i = 0; i < xs.length; i++) xs[i] = (float) Math.sin(i);
            for (int i = 0; i < ws.length; i++) ws[i] = (float) Math.cos(i);
            cuda.copyIn(xs, 0, x, 0, xs.length);
            cuda.copyIn(ws, 0, w, 0, ws.length);
            cuda.copyIn(bs, 0, b, 0, n);
            Runnable forward = () -> {
                cuda.gemm(false, false, m, n, k, 1, MatrixRef.of(x, k), MatrixRef.of(w, n), 0, MatrixRef.of(h, n), 1, Epilogue.of(b, Activation.RELU));
                cuda.elementwise(ElementwiseProgram.single(ElementwiseOp.MUL_SCALAR, 2), new BufferView[]{BufferView.of(h, m, n)}, BufferView.of(y, m, n));
            };
            forward.run();
            float[] eager = new float[m * n];
            cuda.copyOut(y, 0, eager, 0, eager.length);
            try (CudaGraph g = cuda.captureGraph(forward)) {
                cuda.copyIn(new float[m * n], 0, y, 0, m * n);
                g.launch();
                float[] replay = new float[m * n];
                cuda.copyOut(y, 0, replay, 0, replay.length);
                assertArrayEquals(eager, replay);
                for (int i = 0; i < xs.length; i++) xs[i] = -xs[i];
                cuda.copyIn(xs, 0, x, 0, xs.length);
                g.launch();
                cuda.copyOut(y, 0, replay, 0, replay.length);
                forward.run();  // eager on the new input, for reference
                float[] eager2 = new float[m * n];
                cuda.copyOut(y, 0, eager2, 0, eager2.length);
                assertArrayEquals(eager2, replay, "the replay reads the buffers' current contents");
                assertFalse(java.util.Arrays.equals(eager, eager2), "the new input changed the output");
            }
        }
    }

    @Test
    void transfersInsideACaptureFailCleanly() {
        CudaBackend cuda = gpu();
        try (Buffer a = cuda.allocate(DType.F32, 4)) {
            assertThrows(EngineException.class, () -> cuda.captureGraph(() -> cuda.copyIn(new float[4], 0, a, 0, 4)));
            // the stream left capture mode: ordinary work goes on
            cuda.copyIn(new float[]{1, 2, 3, 4}, 0, a, 0, 4);
            float[] r = new float[4];
            cuda.copyOut(a, 0, r, 0, 4);
            assertArrayEquals(new float[]{1, 2, 3, 4}, r);
        }
    }

    @Test
    void unsupportedDtypeIsAnException() {
        CudaBackend cuda = gpu();
        assertThrows(dev.engine.api.DTypeException.class, () -> cuda.allocate(DType.I8, 4));  // BF16 / F16 are storage now
    }
}
