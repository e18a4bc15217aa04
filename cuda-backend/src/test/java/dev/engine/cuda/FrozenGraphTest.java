package dev.engine.cuda;

import static dev.engine.cuda.Parity.CPU;
import static org.junit.jupiter.api.Assertions.*;

import dev.engine.api.Buffer;
import dev.engine.api.BufferView;
import dev.engine.api.DType;
import dev.engine.api.ElementwiseOp;
import dev.engine.api.ElementwiseProgram;
import dev.engine.api.EngineException;
import dev.engine.api.RecordedCall;
import dev.engine.inference.FreezeOptions;
import dev.engine.inference.Freezer;
import dev.engine.inference.FrozenModel;
import dev.engine.graph.Traceable;
import dev.engine.graph.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * GPU-only: a frozen model's call on CUDA is one recorded graph (pinned copies inside) after its first
 * call, and gives what the first (eager) call and the CPU give, from any thread, allocating nothing.
 */
class FrozenGraphTest {
    /** The CUDA backend with frozen calls recorded into graphs (opt-in until these tests have run on a GPU). */
    static CudaBackend graphs() {
        CudaBackend g = Parity.gpu();
        g.setRecordCalls(true);
        return g;
    }

    static final long[] MLP_SAMPLE = {1, 784}, LENET_SAMPLE = {1, 1, 28, 28};
    static final int[] BATCHES = {1, 3, 64};

    static float[] randn(Random r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian() * scale);
        return a;
    }

    /** The 784-512-512-10 ReLU MLP of the benchmarks, random weights. */
    static Traceable mlp() {
        Random r = new Random(1);
        float[] w1 = randn(r, 512 * 784, 0.05), b1 = randn(r, 512, 0.1), w2 = randn(r, 512 * 512, 0.05), b2 = randn(r, 512, 0.1);
        float[] w3 = randn(r, 10 * 512, 0.05), b3 = randn(r, 10, 0.1);
        return (t, x) -> {
            Value h = t.relu(t.named("fc1").linear(x, w1, 512, 784, b1));
            h = t.relu(t.named("fc2").linear(h, w2, 512, 512, b2));
            return t.named("fc3").linear(h, w3, 10, 512, b3);
        };
    }

    /** LeNet-5 (conv 6@5x5, pool, conv 16@5x5, pool, 120, 84, 10), random weights. */
    static Traceable lenet() {
        Random r = new Random(2);
        float[] c1 = randn(r, 6 * 25, 0.2), cb1 = randn(r, 6, 0.1), c2 = randn(r, 16 * 6 * 25, 0.1), cb2 = randn(r, 16, 0.1);
        float[] f1 = randn(r, 120 * 256, 0.06), fb1 = randn(r, 120, 0.1), f2 = randn(r, 84 * 120, 0.09), fb2 = randn(r, 84, 0.1);
        float[] f3 = randn(r, 10 * 84, 0.1), fb3 = randn(r, 10, 0.1);
        return (t, x) -> {
            Value h = t.relu(t.named("conv1").conv2d(x, c1, 6, 1, 5, cb1, 1, 0));
            h = t.maxPool2d(h, 2, 2, 0);
            h = t.relu(t.named("conv2").conv2d(h, c2, 16, 6, 5, cb2, 1, 0));
            h = t.flatten(t.maxPool2d(h, 2, 2, 0));
            h = t.relu(t.named("fc1").linear(h, f1, 120, 256, fb1));
            h = t.relu(t.named("fc2").linear(h, f2, 84, 120, fb2));
            return t.named("fc3").linear(h, f3, 10, 84, fb3);
        };
    }

    static FrozenModel onCuda(Traceable m, long[] sample) { return Freezer.freeze(m, sample, FreezeOptions.defaults().backend(graphs())); }

    static FrozenModel onCpu(Traceable m, long[] sample) { return Freezer.freeze(m, sample, FreezeOptions.defaults().backend(CPU)); }

    static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++)
            assertEquals(expected[i], actual[i], 1e-4 + 1e-4 * Math.abs(expected[i]), what + " at " + i);
    }

    private static void graphEqualsEagerEqualsCpu(Traceable model, long[] sample) {
        try (FrozenModel cuda = onCuda(model, sample); FrozenModel cpu = onCpu(model, sample)) {
            Random r = new Random(7);
            for (int b : BATCHES) {
                float[] x = randn(r, b * cuda.inputFeatures(), 1);
                float[] eager = cuda.run(x, b);        // first call of this batch: kernels one by one, then recorded
                float[] graph = cuda.run(x, b);        // one graph launch
                assertArrayEquals(eager, graph, "batch " + b + ": the graph replays the same kernels");
                assertClose(cpu.run(x, b), graph, "batch " + b + " vs the CPU");
                float[] x2 = randn(r, x.length, 1);   // the replay reads the new input
                assertClose(cpu.run(x2, b), cuda.run(x2, b), "batch " + b + ", second input");
            }
            assertNull(cuda.recordingFailure());
            assertEquals(BATCHES.length, cuda.recordedContexts(), "one recorded graph per batch size");
        }
    }

    @Test void mlpGraphEqualsEagerEqualsCpu() { graphEqualsEagerEqualsCpu(mlp(), MLP_SAMPLE); }

    @Test void lenetGraphEqualsEagerEqualsCpu() { graphEqualsEagerEqualsCpu(lenet(), LENET_SAMPLE); }

    @Test void fourThreadsWithInterleavedBatchSizes() throws Exception {
        for (Object[] m : new Object[][]{{mlp(), MLP_SAMPLE}, {lenet(), LENET_SAMPLE}}) {
            Traceable model = (Traceable) m[0];
            long[] sample = (long[]) m[1];
            try (FrozenModel cuda = onCuda(model, sample); FrozenModel cpu = onCpu(model, sample)) {
                int feat = cuda.inputFeatures();
                List<float[]> inputs = new ArrayList<>(), expected = new ArrayList<>();
                Random r = new Random(11);
                for (int i = 0; i < 12; i++) {
                    int b = BATCHES[i % BATCHES.length];
                    float[] x = randn(r, b * feat, 1);
                    inputs.add(x);
                    expected.add(cpu.run(x, b));
                }
                ExecutorService pool = Executors.newFixedThreadPool(4);
                try {
                    List<Future<?>> fs = new ArrayList<>();
                    for (int t = 0; t < 4; t++) {
                        int seed = t;
                        fs.add(pool.submit(() -> {
                            Random pick = new Random(seed);
                            for (int it = 0; it < 150; it++) {
                                int i = pick.nextInt(inputs.size());
                                int b = inputs.get(i).length / feat;
                                assertClose(expected.get(i), cuda.run(inputs.get(i), b), "thread " + seed + " call " + it + " batch " + b);
                            }
                            return null;
                        }));
                    }
                    for (Future<?> f : fs) f.get();
                } finally {
                    pool.shutdown();
                }
                assertNull(cuda.recordingFailure());
                assertTrue(cuda.recordedContexts() >= BATCHES.length, "contexts recorded: " + cuda.recordedContexts());
            }
        }
    }

    @Test void noDeviceOrPinnedAllocationAfterTheFirstCallPerBatchSize() {
        CudaBackend gpu = graphs();
        try (FrozenModel cuda = onCuda(lenet(), LENET_SAMPLE)) {
            Random r = new Random(3);
            List<float[]> xs = new ArrayList<>();
            for (int b : BATCHES) {
                xs.add(randn(r, b * cuda.inputFeatures(), 1));
                cuda.run(xs.get(xs.size() - 1), b);
            }
            CudaAllocatorStats dev = gpu.allocatorStats();
            CudaPinnedStats pinned = gpu.pinnedStats();
            long live = gpu.memoryStats().liveBytes();
            float[][] outs = new float[BATCHES.length][];
            for (int i = 0; i < BATCHES.length; i++) outs[i] = new float[BATCHES[i] * 10];
            for (int it = 0; it < 60; it++) {
                int i = it % BATCHES.length;
                cuda.run(xs.get(i), BATCHES[i], outs[i]);
            }
            assertEquals(dev.cudaMallocs(), gpu.allocatorStats().cudaMallocs(), "no cudaMalloc: " + gpu.allocatorStats());
            assertEquals(dev.inUseBytes(), gpu.allocatorStats().inUseBytes(), "no device memory taken");
            assertEquals(pinned.allocations(), gpu.pinnedStats().allocations(), "no pinned allocation: " + gpu.pinnedStats());
            assertEquals(live, gpu.memoryStats().liveBytes());
            assertTrue(pinned.bytes() > 0, "the recorded calls hold their pinned staging: " + pinned);
        }
    }

    @Test void closedModelRefusesCallsAndReturnsItsPinnedMemory() {
        CudaBackend gpu = graphs();
        CudaPinnedStats before = gpu.pinnedStats();
        FrozenModel cuda = onCuda(mlp(), MLP_SAMPLE);
        float[] x = new float[784];
        cuda.run(x, 1);
        cuda.run(x, 1);
        assertTrue(gpu.pinnedStats().bytes() > before.bytes());
        cuda.close();
        assertEquals(before.bytes(), gpu.pinnedStats().bytes(), "close frees the pinned staging");
        EngineException e = assertThrows(EngineException.class, () -> cuda.run(x, 1));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        cuda.close();  // idempotent
    }

    /** The index check of an embedding reads a flag on the host, which a replay could not: recording fails, calls go on. */
    @Test void captureFailureFallsBackToTheCalls() {
        Random r = new Random(4);
        float[] table = randn(r, 10 * 4, 1), w = randn(r, 3 * 4, 1), bias = randn(r, 3, 0.1);
        Traceable model = (t, x) -> t.logSoftmax(t.flatten(t.linear(t.embedding(x, table, 10, 4), w, 3, 4, bias)));
        try (FrozenModel cuda = onCuda(model, new long[]{1, 5}); FrozenModel cpu = onCpu(model, new long[]{1, 5})) {
            float[] idx = {0, 3, 9, 2, 2, 1, 1, 1, 1, 7};
            for (int i = 0; i < 3; i++) assertClose(cpu.run(idx, 2), cuda.run(idx, 2), "call " + i);
            String why = cuda.recordingFailure();
            assertNotNull(why, "the embedding's index check cannot be captured");
            assertTrue(why.contains("gatherRows") || why.contains("captur"), why);
            assertEquals(0, cuda.recordedContexts());
            float[] bad = idx.clone();
            bad[3] = 10;  // still checked on every call
            assertThrows(dev.engine.api.IndexOutOfRangeException.class, () -> cuda.run(bad, 2));
        }
    }

    @Test void recordCallRefusesHostTransfersAndTheBackendGoesOn() {
        CudaBackend gpu = graphs();
        CudaPinnedStats before = gpu.pinnedStats();
        try (Buffer in = gpu.allocate(DType.F32, 4); Buffer out = gpu.allocate(DType.F32, 4)) {
            assertThrows(EngineException.class, () -> gpu.recordCall(in, 4, out, 4, () -> gpu.copyIn(new float[4], 0, out, 0, 4)));
            assertEquals(before.bytes(), gpu.pinnedStats().bytes(), "a failed recording frees its pinned staging");
            Runnable doubleIt = () -> gpu.elementwise(ElementwiseProgram.single(ElementwiseOp.MUL_SCALAR, 2),
                    new BufferView[]{BufferView.of(in, 4)}, BufferView.of(out, 4));
            try (RecordedCall call = gpu.recordCall(in, 4, out, 4, doubleIt)) {
                float[] y = new float[6];
                call.run(new float[]{9, 1, 2, 3, 4, 9}, 1, y, 2);
                assertArrayEquals(new float[]{0, 0, 2, 4, 6, 8}, y);
                assertThrows(dev.engine.api.ShapeException.class, () -> call.run(new float[3], 0, y, 0));
                assertThrows(dev.engine.api.ShapeException.class, () -> call.run(new float[4], 0, y, 3));
                assertThrows(EngineException.class, () -> call.run(null, 0, y, 0));
                call.close();
                assertThrows(EngineException.class, () -> call.run(new float[4], 0, y, 0));
            }
        }
        assertEquals(before.bytes(), gpu.pinnedStats().bytes());
    }
}
