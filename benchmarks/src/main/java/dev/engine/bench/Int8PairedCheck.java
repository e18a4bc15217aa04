package dev.engine.bench;

import java.util.Locale;

/**
 * The int8 ratios of {@link QuantizedInferenceBench} taken the load-resistant way ({@link PairedCheck}'s
 * method): F32 frozen, int8 static, int8 dynamic, ONNX Runtime FP32 and ONNX Runtime int8 (on our QDQ
 * export) interleaved round by round in one JVM (rotating which goes first), ratios between per-method medians.
 *
 * <pre>
 * java -Dengine.models=../shared/data/models -cp benchmarks/target/benchmarks.jar dev.engine.bench.Int8PairedCheck 60
 * </pre>
 */
public final class Int8PairedCheck {
    private Int8PairedCheck() {}

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 40;
        String[] names = {"engineFrozen", "engineInt8", "engineInt8Dynamic", "peerOnnxRuntime", "peerOnnxRuntimeQdq"};
        for (String config : new String[]{"mlp:1", "mlp:64"}) {
            QuantizedInferenceBench b = new QuantizedInferenceBench();
            b.config = config;
            b.backend = "cpu";
            b.setup();
            try {
                Runnable[] calls = {b::engineFrozen, b::engineInt8, b::engineInt8Dynamic, () -> {
                    try { b.peerOnnxRuntime(); } catch (Exception e) { throw new IllegalStateException(e); }
                }, () -> {
                    try { b.peerOnnxRuntimeQdq(); } catch (Exception e) { throw new IllegalStateException(e); }
                }};
                int reps = config.endsWith(":1") ? 400 : 20;
                for (int w = 0; w < 5; w++) for (Runnable c : calls) for (int i = 0; i < reps; i++) c.run();
                double[][] t = new double[calls.length][rounds];
                for (int r = 0; r < rounds; r++)
                    for (int j = 0; j < calls.length; j++) {
                        int m = (r + j) % calls.length;
                        long t0 = System.nanoTime();
                        for (int i = 0; i < reps; i++) calls[m].run();
                        t[m][r] = (System.nanoTime() - t0) / 1e3 / reps;
                    }
                double f32 = PairedCheck.median(t[0]), ort = PairedCheck.median(t[3]), qdq = PairedCheck.median(t[4]);
                System.out.printf(Locale.ROOT, "%s (%d rounds x %d calls, median us per call):%n", config, rounds, reps);
                for (int m = 0; m < calls.length; m++) {
                    double v = PairedCheck.median(t[m]);
                    System.out.printf(Locale.ROOT, "  %-18s %9.1f us   time / F32 frozen %.3f   time / ONNX Runtime %.3f   time / ORT int8 QDQ %.3f%n",
                            names[m], v, v / f32, v / ort, v / qdq);
                }
            } finally {
                b.tearDown();
            }
        }
    }
}
