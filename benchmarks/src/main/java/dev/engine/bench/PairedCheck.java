package dev.engine.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A non-JMH cross-check of the GEMM ratio that resists load drift on a shared machine: engine, direct
 * OpenBLAS and raw native calls are interleaved round by round in one JVM (rotating which goes first),
 * and the ratio is taken between per-method medians. JMH runs the three one after another, so a change
 * in background load between them moves its ratio; here all three see the same load.
 */
final class PairedCheck {
    private PairedCheck() {}

    static List<Map<String, Object>> gemm(int[] sizes, boolean quick) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int n : sizes) {
            GemmBench g = new GemmBench();
            g.n = n;
            g.backend = "cpu";
            g.setup();
            try {
                Runnable[] calls = {g::engine, g::peerDirectOpenBlas, g::peerRawNative};
                int reps = (int) Math.max(1, Math.min(50, 2e8 / GemmBench.flopsPerOp(Map.of("n", "" + n))));
                int rounds = quick ? 5 : 40;
                for (int w = 0; w < 3; w++) for (Runnable c : calls) for (int i = 0; i < reps; i++) c.run();
                double[][] t = new double[3][rounds];
                for (int r = 0; r < rounds; r++) {
                    for (int j = 0; j < 3; j++) {
                        int m = (r + j) % 3;
                        long t0 = System.nanoTime();
                        for (int i = 0; i < reps; i++) calls[m].run();
                        t[m][r] = (System.nanoTime() - t0) / 1e3 / reps;
                    }
                }
                double e = median(t[0]), d = median(t[1]), raw = median(t[2]);
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("n", (double) n);
                row.put("rounds", (double) rounds);
                row.put("callsPerRound", (double) reps);
                row.put("engineMedianUs", e);
                row.put("directMedianUs", d);
                row.put("rawMedianUs", raw);
                row.put("engineOverDirect", d / e);
                row.put("engineOverRaw", raw / e);
                rows.add(row);
            } finally {
                g.tearDown();
            }
        }
        return rows;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
