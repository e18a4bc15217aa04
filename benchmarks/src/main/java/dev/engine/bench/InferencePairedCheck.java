package dev.engine.bench;

import java.util.Locale;

/**
 * {@link InferenceBench}'s frozen, imported-from-ONNX and ONNX Runtime methods taken the load-resistant way
 * ({@link BlockInterleave}), ratios between per-method medians: issue 17's imported-model targets (batch 1
 * within 5 % of the natively frozen model and at most 0.7x of ONNX Runtime) and issue 18's LeNet batch 64
 * frozen / ONNX Runtime.
 *
 * <pre>
 * java -Dengine.models=../shared/data/models -cp benchmarks/target/benchmarks.jar dev.engine.bench.InferencePairedCheck 20 mlp:1 lenet:1 lenet:64
 * </pre>
 * A last argument {@code profile} also prints the frozen model's per-step medians for each config.
 */
public final class InferencePairedCheck {
    private InferencePairedCheck() {}

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        boolean profile = args.length > 1 && args[args.length - 1].equals("profile");
        int last = profile ? args.length - 1 : args.length;
        String[] configs = last > 1 ? java.util.Arrays.copyOfRange(args, 1, last) : new String[]{"mlp:1", "lenet:1", "lenet:64"};
        for (String config : configs) {
            InferenceBench b = new InferenceBench();
            b.config = config;
            b.backend = "cpu";
            b.setup();
            try {
                Runnable[] calls = {b::engineFrozen, b::engineImported, () -> {
                    try { b.peerOnnxRuntime(); } catch (Exception e) { throw new IllegalStateException(e); }
                }};
                int reps = config.endsWith(":1") ? 5000 : 200;
                double[][] t = BlockInterleave.run(calls, rounds, reps);
                double frozen = PairedCheck.median(t[0]), imported = PairedCheck.median(t[1]), ort = PairedCheck.median(t[2]);
                System.out.printf(Locale.ROOT, "%s (%d rounds x %d calls, median us per call): frozen %.1f, imported %.1f, onnxruntime %.1f; "
                        + "frozen / ort %.3f, imported / ort %.3f, imported / frozen %.3f%n", config, rounds, reps, frozen, imported, ort,
                        frozen / ort, imported / ort, imported / frozen);
                if (profile) System.out.print(b.profileFrozen(config.endsWith(":1") ? 20000 : 2000));
            } finally {
                b.tearDown();
            }
        }
    }
}
