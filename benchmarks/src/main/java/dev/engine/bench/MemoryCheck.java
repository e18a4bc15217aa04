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
