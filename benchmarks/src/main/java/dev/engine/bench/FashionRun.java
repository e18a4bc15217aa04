package dev.engine.bench;

import dev.engine.api.Backend;
import dev.engine.autograd.GradMode;
import dev.engine.autograd.MemoryScope;
import dev.engine.autograd.Tensor;
import dev.engine.data.Idx;
import dev.engine.data.Split;
import dev.engine.nn.Module;
import dev.engine.nn.loss.CrossEntropyLoss;
import dev.engine.optim.Adam;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Fashion-MNIST epoch time (issue 5's benchmark), outside JMH: trains the 784-256-128-10 ReLU MLP and
 * LeNet-5 with Adam 1e-3 at batch 64 (shuffled each epoch, last partial batch kept, inputs scaled to
 * [0, 1] then normalised with mean 0.2860 / std 0.3530), one {@link MemoryScope} per step, and prints
 * seconds per epoch (training only; the test pass is timed apart) and test accuracy after each epoch.
 * Writes {@code fashion.md} into {@code --out}.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar --fashion --epochs 10 --lenet-epochs 2 --out benchmarks/results/fashion
 * </pre>
 * PyTorch reference on this 2-core machine (issue 5): MLP ~5 s/epoch reaching ~0.88, LeNet ~10 s/epoch
 * reaching ~0.89.
 */
public final class FashionRun {
    private FashionRun() {}

    static final float MEAN = 0.2860f, STD = 0.3530f;
    static final int BATCH = 64;

    /** One epoch's figures. */
    record Epoch(String model, int epoch, double trainSeconds, double meanLoss, double testAccuracy, double testSeconds) {}

    public static void main(String[] argv) throws Exception {
        int epochs = 10, lenetEpochs = -1;
        List<String> models = List.of("mlp", "lenet");
        Path data = Path.of("/usr/share/datasets/fashion-mnist"), out = Path.of("bench-out/fashion");
        for (int i = 0; i < argv.length; i++) {
            String a = argv[i];
            if (i + 1 >= argv.length && !a.equals("--help")) throw new IllegalArgumentException(a + " needs a value");
            switch (a) {
                case "--epochs" -> epochs = Integer.parseInt(argv[++i]);
                case "--lenet-epochs" -> lenetEpochs = Integer.parseInt(argv[++i]);
                case "--models" -> models = List.of(argv[++i].split(","));
                case "--data" -> data = Path.of(argv[++i]);
                case "--out" -> out = Path.of(argv[++i]);
                default -> {
                    System.err.println("usage: --fashion [--epochs N (10)] [--lenet-epochs N (= --epochs)] [--models mlp,lenet] "
                            + "[--data DIR (/usr/share/datasets/fashion-mnist)] [--out DIR (bench-out/fashion)]");
                    System.exit(a.equals("--help") ? 0 : 2);
                }
            }
        }
        if (lenetEpochs < 0) lenetEpochs = epochs;
        if (!Files.isDirectory(data)) {
            System.err.println("Fashion-MNIST not found in " + data + " (apt-get install dataset-fashion-mnist, or --data DIR)");
            System.exit(1);
        }
        Map<String, String> facts = MachineFacts.collect();
        long t0 = System.nanoTime();
        Split split = Idx.loadDirectory(data);
        float[] trainX = normalise(split.train().features()), testX = normalise(split.test().features());
        int[] trainY = split.train().labels(), testY = split.test().labels();
        System.out.printf(Locale.ROOT, "loaded %d train / %d test images in %.1f s%n", trainY.length, testY.length, (System.nanoTime() - t0) / 1e9);
        Backend be = Fixtures.backend("cpu");
        facts.put("engine threads (follows OPENBLAS_NUM_THREADS when set)", String.valueOf(be.threads()));
        List<Epoch> rows = new ArrayList<>();
        for (String m : models) {
            Module net = switch (m) {
                case "mlp" -> Models.mlp(784, 256, 128, 10);
                case "lenet" -> Models.lenet();
                default -> throw new IllegalArgumentException("unknown model " + m + " (mlp, lenet)");
            };
            long[] sample = m.equals("lenet") ? new long[]{1, 28, 28} : new long[]{784};
            rows.addAll(train(be, m, net, sample, m.equals("lenet") ? lenetEpochs : epochs, trainX, trainY, testX, testY));
        }
        facts.put("load average at end (1/5/15 min)", MachineFacts.loadAverage());
        Files.createDirectories(out);
        Path md = out.resolve("fashion.md");
        Files.writeString(md, markdown(rows, facts, String.join(" ", argv)));
        System.out.println("report: " + md.toAbsolutePath());
    }

    static float[] normalise(float[] pixels) {
        for (int i = 0; i < pixels.length; i++) pixels[i] = (pixels[i] / 255f - MEAN) / STD;
        return pixels;
    }

    static List<Epoch> train(Backend be, String name, Module net, long[] sample, int epochs, float[] trainX, int[] trainY,
                             float[] testX, int[] testY) {
        Adam opt = new Adam(net.parameters(), 1e-3);
        CrossEntropyLoss lossFn = new CrossEntropyLoss();
        int n = trainY.length, d = 784;
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        SplittableRandom rng = new SplittableRandom(42);
        List<Epoch> rows = new ArrayList<>();
        float[] xb = new float[BATCH * d];
        long[] yb = new long[BATCH];
        for (int e = 1; e <= epochs; e++) {
            for (int i = n - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1), t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            net.train();
            double lossSum = 0;
            int steps = 0;
            long t0 = System.nanoTime();
            for (int s = 0; s < n; s += BATCH) {
                int b = Math.min(BATCH, n - s);
                float[] xs = b == BATCH ? xb : new float[b * d];
                long[] ys = b == BATCH ? yb : new long[b];
                for (int k = 0; k < b; k++) {
                    System.arraycopy(trainX, order[s + k] * d, xs, k * d, d);
                    ys[k] = trainY[order[s + k]];
                }
                try (MemoryScope scope = MemoryScope.open()) {
                    opt.zeroGrad();
                    Tensor loss = lossFn.forward(net.forward(Tensor.of(be, xs, shape(b, sample))), Tensor.ofLongs(be, ys, b));
                    loss.backward();
                    opt.step();
                    lossSum += loss.item();
                }
                steps++;
            }
            double sec = (System.nanoTime() - t0) / 1e9;
            long t1 = System.nanoTime();
            double acc = accuracy(be, net, sample, testX, testY);
            Epoch row = new Epoch(name, e, sec, lossSum / steps, acc, (System.nanoTime() - t1) / 1e9);
            System.out.printf(Locale.ROOT, "%-5s epoch %2d: %6.2f s train, loss %.4f, test accuracy %.4f (test pass %.2f s)%n",
                    name, e, sec, row.meanLoss(), acc, row.testSeconds());
            rows.add(row);
        }
        return rows;
    }

    static long[] shape(int batch, long[] sample) {
        long[] s = new long[sample.length + 1];
        s[0] = batch;
        System.arraycopy(sample, 0, s, 1, sample.length);
        return s;
    }

    /** Test accuracy in eval mode, batches of 1000, no grad. */
    static double accuracy(Backend be, Module net, long[] sample, float[] x, int[] y) {
        net.eval();
        int correct = 0, d = 784;
        try (GradMode g = GradMode.noGrad()) {
            for (int s = 0; s < y.length; s += 1000) {
                int b = Math.min(1000, y.length - s);
                float[] xs = new float[b * d];
                System.arraycopy(x, s * d, xs, 0, b * d);
                try (MemoryScope scope = MemoryScope.open()) {
                    float[] logits = net.forward(Tensor.of(be, xs, shape(b, sample))).toFloatArray();
                    for (int k = 0; k < b; k++) {
                        int best = 0;
                        for (int c = 1; c < 10; c++) if (logits[k * 10 + c] > logits[k * 10 + best]) best = c;
                        if (best == y[s + k]) correct++;
                    }
                }
            }
        }
        net.train();
        return (double) correct / y.length;
    }

    static String markdown(List<Epoch> rows, Map<String, String> facts, String args) {
        StringBuilder b = new StringBuilder("# Fashion-MNIST epoch time (issue 5)\n\n");
        b.append("`java -jar benchmarks/target/benchmarks.jar --fashion ").append(args).append("`. Adam 1e-3, batch 64, shuffled "
                + "each epoch; MLP 784-256-128-10 ReLU, LeNet-5. Epoch time is the training pass only (60,000 images, 938 steps, "
                + "one MemoryScope per step, loss read back every step); the test pass over 10,000 images is timed apart.\n\n");
        b.append("PyTorch reference on this 2-core machine (issue 5, measured separately): MLP ~5 s/epoch reaching ~0.88 test "
                + "accuracy, LeNet ~10 s/epoch reaching ~0.89.\n\n");
        b.append("| model | epoch | train s | mean train loss | test accuracy | test pass s |\n| --- | ---: | ---: | ---: | ---: | ---: |\n");
        for (Epoch e : rows)
            b.append(String.format(Locale.ROOT, "| %s | %d | %.2f | %.4f | %.4f | %.2f |%n", e.model(), e.epoch(), e.trainSeconds(),
                    e.meanLoss(), e.testAccuracy(), e.testSeconds()));
        b.append("\n| model | epochs | median s/epoch | final test accuracy |\n| --- | ---: | ---: | ---: |\n");
        for (String m : rows.stream().map(Epoch::model).distinct().toList()) {
            List<Epoch> es = rows.stream().filter(e -> e.model().equals(m)).toList();
            double[] s = es.stream().mapToDouble(Epoch::trainSeconds).sorted().toArray();
            double med = s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
            b.append(String.format(Locale.ROOT, "| %s | %d | %.2f | %.4f |%n", m, es.size(), med, es.get(es.size() - 1).testAccuracy()));
        }
        b.append("\n## Machine\n\n| fact | value |\n| --- | --- |\n");
        facts.forEach((k, v) -> b.append("| ").append(k).append(" | ").append(v.replace("|", "/")).append(" |\n"));
        b.append("\nOn a shared 2-core machine these times move with the load (see the load averages above).\n");
        return b.toString();
    }
}
