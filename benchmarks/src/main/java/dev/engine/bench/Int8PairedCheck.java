package dev.engine.bench;

import java.util.Locale;

/**
 * The int8 and BF16 ratios of {@link QuantizedInferenceBench} taken the load-resistant way
 * ({@link BlockInterleave}): F32 frozen, int8 static, int8 dynamic, BF16, ONNX Runtime FP32, ONNX Runtime
 * int8 (on our QDQ export) and int8 of the Linear layers only (LeNet's convolutions F32; the MLP has none), ratios between
 * per-method medians.
 *
 * <pre>
 * java -Dengine.models=../shared/data/models -cp benchmarks/target/benchmarks.jar dev.engine.bench.Int8PairedCheck 30
 * </pre>
 */
public final class Int8PairedCheck {
    private Int8PairedCheck() {}

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        boolean profile = args.length > 1 && args[1].equals("profile");  // also the F32 and int8 plans' steps
        String[] names = {"engineFrozen", "engineInt8", "engineInt8Dynamic", "engineBf16", "peerOnnxRuntime", "peerOnnxRuntimeQdq",
                "engineInt8LinearOnly"};
        for (String config : new String[]{"mlp:1", "mlp:64", "lenet:1"}) {
            QuantizedInferenceBench b = new QuantizedInferenceBench();
            b.config = config;
            b.backend = "cpu";
            b.setup();
            try {
                Runnable[] calls = {b::engineFrozen, b::engineInt8, b::engineInt8Dynamic, b::engineBf16, () -> {
                    try { b.peerOnnxRuntime(); } catch (Exception e) { throw new IllegalStateException(e); }
                }, () -> {
                    try { b.peerOnnxRuntimeQdq(); } catch (Exception e) { throw new IllegalStateException(e); }
                }, b::engineInt8LinearOnly};
                int reps = config.endsWith(":1") ? 5000 : 500;
                double[][] t = BlockInterleave.run(calls, rounds, reps);
                double f32 = PairedCheck.median(t[0]), ort = PairedCheck.median(t[4]), qdq = PairedCheck.median(t[5]);
                System.out.printf(Locale.ROOT, "%s (%d rounds x %d calls, median us per call):%n", config, rounds, reps);
                for (int m = 0; m < calls.length; m++) {
                    double v = PairedCheck.median(t[m]);
                    System.out.printf(Locale.ROOT, "  %-18s %9.1f us   time / F32 frozen %.3f   time / ONNX Runtime %.3f   time / ORT int8 QDQ %.3f%n",
                            names[m], v, v / f32, v / ort, v / qdq);
                }
                if (profile) System.out.print(b.profiles(config.endsWith(":1") ? 20000 : 2000));
            } finally {
                b.tearDown();
            }
        }
    }
}
