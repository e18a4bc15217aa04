package dev.engine.bench;

import dev.engine.api.DType;
import dev.engine.autograd.MemoryScope;
import dev.engine.autograd.Tensor;
import dev.engine.nn.Module;
import dev.engine.nn.Sequential;
import dev.engine.nn.loss.CrossEntropyLoss;
import dev.engine.optim.Adam;
import dev.engine.optim.Optimizer;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * F32 against BF16 autocast training on the default backend, two checks in one JVM:
 * <ul>
 * <li>{@code time}: train steps of the same model (same initial weights), F32 and BF16, interleaved in blocks
 *     ({@link BlockInterleave}); per-step medians and their ratio.</li>
 * <li>{@code converge}: both precisions trained from the same weights on one synthetic task (labels from a
 *     random teacher layer), Adam 1e-3; the loss every few steps and the last ten steps' mean of each.</li>
 * </ul>
 *
 * <pre>{@code
 * java -cp benchmarks/target/benchmarks.jar dev.engine.bench.MixedPrecisionCheck time 20 mlp4096:256 mlp784:128
 * java -cp benchmarks/target/benchmarks.jar dev.engine.bench.MixedPrecisionCheck converge 60 mlp4096:256
 * }</pre>
 */
public final class MixedPrecisionCheck {
    private MixedPrecisionCheck() {}

    /** One model at one batch, with its data, in one precision. */
    private static final class Run {
        final Module net;
        final Optimizer opt;
        final DType precision;
        final Tensor x, y;
        final CrossEntropyLoss loss = new CrossEntropyLoss();

        Run(Module net, DType precision, Tensor x, Tensor y) {
            this.net = net;
            this.precision = precision;
            this.x = x;
            this.y = y;
            this.opt = new Adam(net.parameters(), 1e-3);
        }

        double step(Tensor xb, Tensor yb) { return TrainSteps.step(net, loss, opt, xb, yb, precision, true); }
    }

    public static void main(String[] args) {
        if (args.length < 3) throw new IllegalArgumentException("usage: time ROUNDS model:batch ... | converge STEPS model:batch ...");
        int count = Integer.parseInt(args[1]);
        System.out.println("backend: " + Tensor.defaultBackend().describe());
        for (int i = 2; i < args.length; i++) {
            String[] mb = args[i].split(":");
            int batch = Integer.parseInt(mb[1]);
            if (args[0].equals("time")) time(mb[0], batch, count);
            else converge(mb[0], batch, count);
        }
    }

    private static Sequential model(String name) {
        return switch (name) {
            case "mlp4096" -> Models.mlp(4096, 4096, 4096, 10);
            case "mlp1024" -> Models.mlp(1024, 1024, 1024, 10);
            case "mlp784" -> Models.mlp();
            case "lenet" -> Models.lenet();
            default -> throw new IllegalArgumentException("model " + name + " (mlp4096, mlp1024, mlp784, lenet)");
        };
    }

    private static long[] sampleShape(String name) { return name.equals("lenet") ? new long[]{1, 28, 28} : new long[]{inputs(name)}; }

    private static int inputs(String name) { return name.equals("mlp4096") ? 4096 : name.equals("mlp1024") ? 1024 : 784; }

    /** Two copies of the model with the same weights: F32 and BF16. */
    private static Run[] pair(String name, Tensor x, Tensor y) {
        Sequential a = model(name), b = model(name);
        b.loadStateDict(a.stateDict());
        return new Run[]{new Run(a, DType.F32, x, y), new Run(b, DType.BF16, x, y)};
    }

    private static Tensor batchOf(String name, int rows, long seed) {
        long[] s = sampleShape(name), shape = new long[s.length + 1];
        shape[0] = rows;
        System.arraycopy(s, 0, shape, 1, s.length);
        int per = 1;
        for (long d : s) per *= (int) d;
        return MemoryScope.detach(Tensor.of(Fixtures.random(rows * per, seed), shape));
    }

    private static void time(String name, int batch, int rounds) {
        Tensor x = batchOf(name, batch, 1);
        long[] labels = new long[batch];
        SplittableRandom r = new SplittableRandom(2);
        for (int i = 0; i < batch; i++) labels[i] = r.nextInt(10);
        Tensor y = MemoryScope.detach(Tensor.ofLongs(labels, batch));
        Run[] runs = pair(name, x, y);
        long t0 = System.nanoTime();
        runs[0].step(x, y);
        double oneMs = (System.nanoTime() - t0) / 1e6;
        int reps = (int) Math.max(1, Math.min(200, 60 / Math.max(oneMs, 1e-3)));
        double[][] us = BlockInterleave.run(new Runnable[]{() -> runs[0].step(x, y), () -> runs[1].step(x, y)}, rounds, reps);
        double f32 = PairedCheck.median(us[0]) / 1e3, bf16 = PairedCheck.median(us[1]) / 1e3;
        System.out.printf(Locale.ROOT, "%s batch %d train step: F32 %.3f ms, BF16 autocast %.3f ms, BF16/F32 %.3f (%d rounds x %d steps)%n",
                name, batch, f32, bf16, bf16 / f32, rounds, reps);
    }

    private static void converge(String name, int batch, int steps) {
        int chunks = Math.min(steps, 64), rows = batch * chunks, in = (int) java.util.Arrays.stream(sampleShape(name)).reduce(1, (a, b) -> a * b);
        Tensor x = batchOf(name, rows, 3);
        // labels: argmax of a fixed random linear map of the inputs, 20 % of them replaced at random (a learnable
        // task whose loss cannot reach 0); up to 64 fresh batches, so the nets cannot just memorise them
        float[] xs = x.toFloatArray(), teacher = Fixtures.random(in * 10, 4);
        long[] labels = new long[rows];
        SplittableRandom noise = new SplittableRandom(5);
        for (int i = 0; i < rows; i++) {
            double best = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < 10; c++) {
                double v = 0;
                for (int j = 0; j < in; j++) v += xs[i * in + j] * teacher[c * in + j];
                if (v > best) { best = v; labels[i] = c; }
            }
            if (noise.nextDouble() < 0.2) labels[i] = noise.nextInt(10);
        }
        Tensor y = MemoryScope.detach(Tensor.ofLongs(labels, rows));
        Run[] runs = pair(name, x, y);
        double[][] last = new double[2][10];
        for (int s = 0; s < steps; s++) {
            long at = (long) (s % chunks) * batch;
            Tensor xb = x.narrow(0, at, batch), yb = y.narrow(0, at, batch);
            double a = runs[0].step(xb, yb), b = runs[1].step(xb, yb);
            last[0][s % 10] = a;
            last[1][s % 10] = b;
            if (s % 10 == 0 || s == steps - 1) System.out.printf(Locale.ROOT, "%s step %d: loss F32 %.5f BF16 %.5f%n", name, s, a, b);
        }
        double f = java.util.Arrays.stream(last[0]).average().orElse(0), b = java.util.Arrays.stream(last[1]).average().orElse(0);
        System.out.printf(Locale.ROOT, "%s batch %d, %d steps: mean loss of the last 10 steps F32 %.5f BF16 %.5f (BF16 - F32 = %+.5f, %+.2f %%)%n",
                name, batch, steps, f, b, b - f, 100 * (b - f) / f);
    }
}
