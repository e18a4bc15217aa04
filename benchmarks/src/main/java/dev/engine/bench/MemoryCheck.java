package dev.engine.bench;

import dev.engine.api.Backend;
import dev.engine.api.MemoryStats;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small non-JMH check: runs each benchmark's engine loop through its own @Setup state, warms up, then
 * counts the backend's native allocations ({@link MemoryStats#allocations()} deltas) and live bytes over
 * the measured iterations. Also notes resident-set growth, which catches native scratch that
 * MemoryStats does not see (OpenBLAS buffers, per-thread kernel scratch).
 */
final class MemoryCheck {
    private MemoryCheck() {}

    /** One loop to check: a name, iteration counts and the body. */
    record Loop(String name, int warmup, int iterations, Runnable body) {}

    /** Runs the standard loops on {@code backendName}; returns one row per loop. */
    static List<Map<String, Object>> run(String backendName, boolean quick) {
        int scale = quick ? 4 : 1;
        List<Map<String, Object>> rows = new ArrayList<>();
        Backend be = Fixtures.backend(backendName);

        GemmBench gemm = new GemmBench();
        gemm.n = 256;
        gemm.backend = backendName;
        ElementwiseBench ew = new ElementwiseBench();
        ew.n = 1 << 20;
        ew.backend = backendName;
        SoftmaxBench sm = new SoftmaxBench();
        sm.shape = "128x1000";
        sm.backend = backendName;
        Conv2dBench conv = new Conv2dBench();
        conv.layer = "64x6x14x14-k16-r5-p0";
        conv.backend = backendName;
        DispatchBench d = new DispatchBench();
        d.n = 1;
        d.backend = backendName;
        gemm.setup();
        ew.setup();
        sm.setup();
        conv.setup();
        d.setup();
        try {
            List<Loop> loops = List.of(
                    new Loop("gemm 256x256 (engine)", 20, 400 / scale, gemm::engine),
                    new Loop("elementwise fused, n=2^20", 20, 400 / scale, ew::engineFused),
                    new Loop("elementwise unfused, n=2^20", 20, 400 / scale, ew::peerUnfused),
                    new Loop("softmax 128x1000", 20, 400 / scale, sm::engine),
                    new Loop("conv2d 64x6x14x14 -> 16, 5x5", 10, 100 / scale, conv::engine),
                    new Loop("dispatch 1-element relu", 1000, 100_000 / scale, d::engine));
            for (Loop l : loops) rows.add(measure(be, l));
        } finally {
            gemm.tearDown();
            ew.tearDown();
            sm.tearDown();
            conv.tearDown();
            d.tearDown();
        }
        rows.addAll(models(be, backendName, quick));
        return rows;
    }

    /**
     * Training steps (200 after warm-up; 5 in quick mode, which only smoke-tests the loop): the eager path allocates per op by design,
     * but live native bytes must come back to where they were. Frozen inference calls after warm-up:
     * target 0 native allocations per call. Skipped (no row) when the shared models are missing.
     */
    static List<Map<String, Object>> models(Backend be, String backendName, boolean quick) {
        List<Map<String, Object>> rows = new ArrayList<>();
        int steps = quick ? 5 : 200;
        for (String m : List.of("mlp", "lenet", "transformer")) {
            TrainStepBench t = new TrainStepBench();
            t.model = m;
            t.backend = backendName;
            t.setup();
            try {
                rows.add(measure(be, new Loop("train step " + m + " (batch " + TrainStepBench.batch(m) + ", Adam)", quick ? 1 : 5, steps, t::engineStep)));
            } finally {
                t.tearDown();
            }
        }
        if (!Models.available("mlp") || !Models.available("lenet")) return rows;
        for (String c : List.of("mlp:1", "mlp:64", "lenet:1")) {
            InferenceBench ib = new InferenceBench();
            ib.config = c;
            ib.backend = backendName;
            try {
                ib.setup();
                rows.add(measure(be, new Loop("frozen inference " + c, 50, quick ? 500 : 2000, ib::engineFrozen)));
                rows.add(measure(be, new Loop("eager inference " + c, 20, quick ? 100 : 400, ib::engineEager)));
            } catch (ai.onnxruntime.OrtException e) {
                throw new IllegalStateException("InferenceBench setup: " + e.getMessage(), e);
            } finally {
                try {
                    ib.tearDown();
                } catch (ai.onnxruntime.OrtException e) {
                    // closing ORT failed: nothing more to do in a check
                }
            }
        }
        return rows;
    }

    static Map<String, Object> measure(Backend be, Loop l) {
        for (int i = 0; i < l.warmup(); i++) l.body().run();
        MemoryStats s = be.memoryStats();
        long allocs = s.allocations(), live = s.liveBytes();
        long rss = rssKiB();
        for (int i = 0; i < l.iterations(); i++) l.body().run();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("loop", l.name());
        r.put("iterations", (double) l.iterations());
        r.put("allocationsPerIteration", (double) (s.allocations() - allocs) / l.iterations());
        r.put("liveBytesDelta", (double) (s.liveBytes() - live));
        r.put("liveBytesBefore", (double) live);
        r.put("liveBytesAfter", (double) s.liveBytes());
        r.put("peakNativeBytes", (double) s.peakBytes());
        r.put("rssDeltaKiB", (double) (rssKiB() - rss));
        return r;
    }

    /** VmRSS of this process in KiB, or -1. */
    static long rssKiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status")))
                if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        } catch (Exception e) {
            return -1;
        }
        return -1;
    }
}
