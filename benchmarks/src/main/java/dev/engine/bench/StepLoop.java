package dev.engine.bench;

import dev.engine.autograd.Profiler;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * {@link TrainStepBench}'s step outside JMH, for the two jobs JMH cannot do:
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.engine.bench.StepLoop --profile lenet [steps]
 *     # per-op forward/backward table (dev.engine.autograd.Profiler), ms per step, after 50 warm-up steps
 * java -cp benchmarks/target/benchmarks.jar dev.engine.bench.StepLoop --serve
 *     # reads "MODEL[:PRECISION] K" lines, runs K steps, answers one line of K step times in ms: the engine side of
 *     # benchmarks/peers/torch_train_step.py, which alternates blocks of PyTorch and engine steps
 * </pre>
 */
public final class StepLoop {
    private StepLoop() {}

    /** {@code model} or {@code model:precision} (f32, bf16, f16). */
    static TrainStepBench bench(String model) {
        TrainStepBench b = new TrainStepBench();
        String[] mp = model.split(":");
        b.model = mp[0];
        b.precision = mp.length > 1 ? mp[1] : "f32";
        b.backend = "cpu";
        b.setup();
        return b;
    }

    public static void main(String[] argv) throws Exception {
        if (argv.length >= 2 && argv[0].equals("--profile")) {
            int steps = argv.length > 2 ? Integer.parseInt(argv[2]) : 200;
            TrainStepBench b = bench(argv[1]);
            for (int i = 0; i < 50; i++) b.engineStep();
            try (Profiler p = Profiler.start()) {
                for (int i = 0; i < steps; i++) b.engineStep();
                System.out.print(p.table(steps));
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < steps; i++) b.engineStep();
            System.out.printf(Locale.ROOT, "profiler off: %.3f ms/step%n", (System.nanoTime() - t0) / 1e6 / steps);
            b.tearDown();
            return;
        }
        if (argv.length == 1 && argv[0].equals("--serve")) {
            serve();
            return;
        }
        System.err.println("usage: StepLoop --profile MODEL [steps] | --serve");
        System.exit(2);
    }

    private static void serve() throws Exception {
        Map<String, TrainStepBench> benches = new HashMap<>();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            String[] f = line.trim().split("\\s+");
            if (f.length != 2) continue;
            TrainStepBench b = benches.computeIfAbsent(f[0], StepLoop::bench);
            int k = Integer.parseInt(f[1]);
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < k; i++) {
                long t0 = System.nanoTime();
                b.engineStep();
                sb.append(i == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.4f", (System.nanoTime() - t0) / 1e6));
            }
            System.out.println(sb);
            System.out.flush();
        }
        for (TrainStepBench b : benches.values()) b.tearDown();
    }
}
