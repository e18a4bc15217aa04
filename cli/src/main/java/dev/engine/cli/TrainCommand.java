package dev.engine.cli;

import dev.engine.api.EngineException;
import dev.engine.data.Dataset;
import dev.engine.data.PipelineTransform;
import dev.engine.autograd.Tensor;
import dev.engine.inference.Bundle;
import dev.engine.inference.FrozenModel;
import dev.engine.inference.PostProcessor;
import dev.engine.inference.Prediction;
import dev.engine.inference.Predictor;
import dev.engine.nn.Sequential;
import dev.engine.nn.loss.CrossEntropyLoss;
import dev.engine.optim.Adam;
import dev.engine.optim.AdamW;
import dev.engine.optim.Optimizer;
import dev.engine.optim.SGD;
import dev.engine.train.Evaluation;
import dev.engine.train.History;
import dev.engine.train.Progress;
import dev.engine.train.Trainer;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code engine train}: the main job. Trains a model on real data (default: the shipped digits set),
 * validates each epoch, freezes the model, saves a deployment bundle, reloads it, predicts the test set
 * from raw rows and prints accuracy and inference latency.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train, validate, freeze, save a bundle, reload it and report test accuracy and latency.")
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--data", defaultValue = "digits", description = "digits (shipped), a CSV file, or a directory of IDX files. Default: ${DEFAULT-VALUE}")
    String data;
    @Option(names = "--label-column", defaultValue = "0", description = "CSV label column. Default: ${DEFAULT-VALUE}")
    int labelColumn;
    @Option(names = "--test-fraction", defaultValue = "0.2", description = "CSV test share. Default: ${DEFAULT-VALUE}")
    double testFraction;
    @Option(names = "--model", defaultValue = "mlp", description = "mlp, cnn or lenet. Default: ${DEFAULT-VALUE}")
    String model;
    @Option(names = "--hidden", defaultValue = "128", split = ",", description = "MLP hidden widths. Default: ${DEFAULT-VALUE}")
    int[] hidden;
    @Option(names = "--dropout", defaultValue = "0", description = "Dropout after each hidden layer. Default: ${DEFAULT-VALUE}")
    double dropout;
    @Option(names = "--epochs", defaultValue = "30", description = "Default: ${DEFAULT-VALUE}")
    int epochs;
    @Option(names = "--batch-size", defaultValue = "32", description = "Default: ${DEFAULT-VALUE}")
    int batchSize;
    @Option(names = "--lr", defaultValue = "1e-3", description = "Learning rate. Default: ${DEFAULT-VALUE}")
    double lr;
    @Option(names = "--optimizer", defaultValue = "adam", description = "adam, adamw or sgd. Default: ${DEFAULT-VALUE}")
    String optimizer;
    @Option(names = "--weight-decay", defaultValue = "0", description = "Default: ${DEFAULT-VALUE}")
    double weightDecay;
    @Option(names = "--seed", defaultValue = "0", description = "Seeds init, data order and dropout. Default: ${DEFAULT-VALUE}")
    long seed;
    @Option(names = "--early-stopping", defaultValue = "0", description = "Patience in epochs on val_loss (0 = off). Default: ${DEFAULT-VALUE}")
    int patience;
    @Option(names = "--checkpoint-dir", description = "Write last/best checkpoints here")
    Path checkpointDir;
    @Option(names = "--resume", description = "Continue from --checkpoint-dir/last.safetensors")
    boolean resume;
    @Option(names = "--out", defaultValue = "digits.model", description = "Bundle to write. Default: ${DEFAULT-VALUE}")
    Path out;
    @Option(names = "--threads", defaultValue = "0", description = "Kernel threads (0 = all cores). Default: ${DEFAULT-VALUE}")
    int threads;
    @picocli.CommandLine.Mixin
    BackendOption backend = new BackendOption();
    @Option(names = "--config", description = "Java properties file of option defaults (keys without dashes: epochs=30, batch-size=64)")
    Path config;

    @Override public Integer call() {
        backend.apply();
        if (threads > 0) Tensor.defaultBackend().setThreads(threads);
        System.out.println("engine train: data=" + data + " model=" + model + " epochs=" + epochs + " batch=" + batchSize + " lr=" + lr
                + " optimizer=" + optimizer + " backend=" + Tensor.defaultBackend().name() + " threads=" + Tensor.defaultBackend().threads());
        DataSource.Prepared d = DataSource.load(data, labelColumn, testFraction, seed);
        System.out.println("data: " + d.train().size() + " train rows, " + d.test().size() + " test rows, " + d.classNames().size()
                + " classes, sample shape " + java.util.Arrays.toString(d.train().featureShape()));
        Sequential net = Models.build(model, d.train().featureShape(), d.classNames().size(), hidden, dropout, seed);
        System.out.print(net);
        System.out.println();
        Optimizer opt = switch (optimizer) {
            case "adam" -> new Adam(net.parameters(), lr, 0.9, 0.999, 1e-8, weightDecay);
            case "adamw" -> new AdamW(net.parameters(), lr, 0.9, 0.999, 1e-8, weightDecay == 0 ? 0.01 : weightDecay);
            case "sgd" -> new SGD(net.parameters(), lr, 0.9);
            default -> throw new EngineException("--optimizer: unknown '" + optimizer + "' (adam, adamw, sgd)");
        };
        Trainer.Builder tb = Trainer.builder(net, new CrossEntropyLoss(), opt).epochs(epochs).batchSize(batchSize).seed(seed)
                .validation(d.test()).progress(Progress.auto(System.out));
        if (patience > 0) tb.earlyStopping("val_loss", patience);
        if (checkpointDir != null) tb.checkpointDir(checkpointDir).resume(resume);
        Trainer trainer = tb.build();
        long t0 = System.nanoTime();
        History history = trainer.fit(d.train());
        double trainSecs = (System.nanoTime() - t0) / 1e9;
        Path histCsv = sibling(out, ".history.csv"), histPng = sibling(out, ".history.png");
        history.writeCsv(histCsv);
        history.plot(histPng);
        Evaluation eval = trainer.evaluate(d.test());
        System.out.printf(Locale.ROOT, "trained %d epochs in %.1f s; history: %s, %s%n", history.size(), trainSecs, histCsv, histPng);
        System.out.printf(Locale.ROOT, "eager test accuracy: %.4f (macro F1 %.4f)%n", eval.accuracy(), eval.classification().macroF1());

        // freeze, save the deployment bundle, reload it and predict the raw test rows through it
        int[] fs = d.train().featureShape();
        long[] example = new long[fs.length + 1];
        example[0] = 1;
        for (int i = 0; i < fs.length; i++) example[i + 1] = fs[i];
        try (FrozenModel frozen = net.freeze(Tensor.zeros(example))) {
            System.out.println("frozen plan (batch 1):");
            System.out.println(frozen.describePlan(1));
            Bundle.save(out, frozen, new PipelineTransform(d.preprocessing()), PostProcessor.softmax(d.classNames()));
        }
        System.out.println("saved bundle " + out.toAbsolutePath() + " (" + sizeOf(out) + " bytes)");
        report(out, d.rawTest(), d.classNames().size());
        return 0;
    }

    /** Reloads the bundle, predicts every raw test row one at a time, prints accuracy and latency. */
    static void report(Path bundle, Dataset rawTest, int classes) {
        try (Predictor p = Predictor.load(bundle)) {
            int n = rawTest.size();
            float[][] rows = new float[n][];
            for (int i = 0; i < n; i++) rows[i] = rawTest.row(i);
            for (int w = 0; w < 3; w++) for (float[] r : rows) p.predict(r);  // warm-up: JIT and per-thread plans
            int correct = 0;
            long[] nanos = new long[n * 3];
            int k = 0;
            for (int pass = 0; pass < 3; pass++) {
                for (int i = 0; i < n; i++) {
                    long t = System.nanoTime();
                    Prediction pr = p.predict(rows[i]);
                    nanos[k++] = System.nanoTime() - t;
                    if (pass == 0 && pr.index() == rawTest.label(i)) correct++;
                }
            }
            long tb = System.nanoTime();
            p.predict(rows);
            double batchSecs = (System.nanoTime() - tb) / 1e9;
            System.out.printf(Locale.ROOT, "bundle test accuracy: %.4f (%d/%d, raw rows through the saved preprocessing)%n", (double) correct / n, correct, n);
            System.out.println("inference latency, one row per call (preprocessing + frozen model + softmax): " + Latency.of(nanos));
            System.out.printf(Locale.ROOT, "batch inference: %d rows in %.2f ms (%.0f rows/s)%n", n, batchSecs * 1e3, n / batchSecs);
        }
    }

    static Path sibling(Path file, String suffix) {
        Path name = file.getFileName();
        Path parent = file.toAbsolutePath().getParent();
        return parent.resolve(name + suffix);
    }

    private static long sizeOf(Path p) {
        try { return java.nio.file.Files.size(p); } catch (java.io.IOException e) { return -1; }
    }
}
