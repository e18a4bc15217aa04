package dev.engine.cli;

import dev.engine.inference.Freezer;
import dev.engine.api.DType;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code engine train}: the main job. Trains a model on real data (default: the shipped digits set),
 * validates each epoch on a validation part kept apart from the test part, freezes the model, saves a
 * deployment bundle, reloads it, predicts the test part (looked at once, after training) from raw rows
 * and prints accuracy and inference latency.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train, validate, freeze, save a bundle, reload it and report test accuracy and latency.")
final class TrainCommand implements Callable<Integer> {
    @Mixin DataOptions dataOptions = new DataOptions();
    @Option(names = "--model", defaultValue = "mlp", description = "mlp, cnn or lenet. Default: ${DEFAULT-VALUE}")
    String model;
    @Option(names = "--hidden", defaultValue = "128", split = ",", description = "MLP hidden widths. Default: ${DEFAULT-VALUE}")
    int[] hidden;
    @Option(names = "--dropout", defaultValue = "0", description = "Dropout after each hidden layer. Default: ${DEFAULT-VALUE}")
    double dropout;
    @Option(names = "--epochs", defaultValue = "30", description = "Epochs to train (in all, counting a resumed checkpoint's). Default: ${DEFAULT-VALUE}")
    int epochs;
    @Option(names = "--batch-size", defaultValue = "32", description = "Rows per training step. Default: ${DEFAULT-VALUE}")
    int batchSize;
    @Option(names = "--lr", defaultValue = "1e-3", description = "Learning rate. Default: ${DEFAULT-VALUE}")
    double lr;
    @Option(names = "--optimizer", defaultValue = "adam", description = "adam, adamw or sgd. Default: ${DEFAULT-VALUE}")
    String optimizer;
    @Option(names = "--weight-decay", defaultValue = "0", description = "L2 penalty (decoupled for adamw). Default: ${DEFAULT-VALUE}")
    double weightDecay;
    @Option(names = "--seed", defaultValue = "0", description = "Seeds the split, init, data order and dropout. Default: ${DEFAULT-VALUE}")
    long seed;
    @Option(names = "--early-stopping", defaultValue = "0",
            description = "Patience in epochs on val_loss (0 = off); the best epoch's weights are kept. Default: ${DEFAULT-VALUE}")
    int patience;
    @Option(names = "--checkpoint-dir", description = "Write last/best checkpoints here")
    Path checkpointDir;
    @Option(names = "--resume", description = "Continue from --checkpoint-dir/last.safetensors (which must exist)")
    boolean resume;
    @Option(names = "--out", defaultValue = "digits.model",
            description = "Bundle to write; a directory (or a path ending in /) gets model.bundle inside. Default: ${DEFAULT-VALUE}")
    String out;
    @Option(names = "--mkdirs", description = "Create --out's missing parent directories")
    boolean mkdirs;
    @Option(names = "--precision", defaultValue = "f32",
            description = "f32, or mixed precision: bf16 or f16 products with F32 sums and weights (f16 with loss scaling). Default: ${DEFAULT-VALUE}")
    String precision;

    @Option(names = "--threads", defaultValue = "0", description = "Kernel threads (0 = all cores). Default: ${DEFAULT-VALUE}")
    int threads;
    @picocli.CommandLine.Mixin
    BackendOption backend = new BackendOption();
    @Option(names = "--config", description = "Java properties file of option defaults (keys without dashes: epochs=30, batch-size=64)")
    Path config;

    @Override public Integer call() {
        backend.apply();
        checkOptions();
        Path bundle = OutputPath.resolve(out, mkdirs);
        if (threads > 0) Tensor.defaultBackend().setThreads(threads);
        System.out.println("engine train: data=" + dataOptions.data + " model=" + model + " epochs=" + epochs + " batch=" + batchSize + " lr=" + lr
                + " optimizer=" + optimizer + " precision=" + precision + " backend=" + Tensor.defaultBackend().name() + " threads=" + Tensor.defaultBackend().threads());
        DataSource.Prepared d = DataSource.load(dataOptions, seed);
        if (patience > 0 && d.validation() == null) throw new EngineException("--early-stopping needs validation rows (--val-fraction > 0)");
        System.out.println("data: " + d.description() + ", " + d.classNames().size() + " classes, sample shape "
                + java.util.Arrays.toString(d.train().featureShape()));
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
                .mixedPrecision(precision()).progress(Progress.auto(System.out));
        if (d.validation() != null) tb.validation(d.validation());
        if (patience > 0) tb.earlyStopping("val_loss", patience);
        if (checkpointDir != null) tb.checkpointDir(checkpointDir).resume(resume);
        Trainer trainer = tb.build();
        long t0 = System.nanoTime();
        History history = trainer.fit(d.train());
        double trainSecs = (System.nanoTime() - t0) / 1e9;
        Path histCsv = OutputPath.sibling(bundle, ".history.csv"), histPng = OutputPath.sibling(bundle, ".history.png");
        history.writeCsv(histCsv);
        String plotted = plot(history, histPng) ? ", " + histPng : "";
        int n = history.size();
        System.out.printf(Locale.ROOT, "trained %d epoch%s in %.1f s; kept the weights of epoch %d; history: %s%s%n", n, n == 1 ? "" : "s", trainSecs,
                trainer.keptEpoch() + 1, histCsv, plotted);
        Evaluation eval = trainer.evaluate(d.test());
        System.out.printf(Locale.ROOT, "eager test accuracy: %.4f (macro F1 %.4f)%n", eval.accuracy(), eval.classification().macroF1());

        // freeze, save the deployment bundle, reload it and predict the raw test rows through it
        int[] fs = d.train().featureShape();
        long[] example = new long[fs.length + 1];
        example[0] = 1;
        for (int i = 0; i < fs.length; i++) example[i + 1] = fs[i];
        try (FrozenModel frozen = Freezer.freeze(net, Tensor.zeros(example))) {
            System.out.println("frozen plan (batch 1):");
            System.out.println(frozen.describePlan(1));
            Bundle.save(bundle, frozen, new PipelineTransform(d.preprocessing()), PostProcessor.softmax(d.classNames()));
        }
        System.out.println("saved bundle " + bundle + " (" + sizeOf(bundle) + " bytes)");
        report(bundle, d.rawTest(), d.rawTest().labels());
        return 0;
    }

    /** --precision as the trainer's mixed precision (F32: none). */
    private DType precision() {
        return switch (precision) {
            case "f32" -> DType.F32;
            case "bf16" -> DType.BF16;
            case "f16" -> DType.F16;
            default -> throw new EngineException("--precision: unknown '" + precision + "' (f32, bf16, f16)");
        };
    }

    /** Every numeric option in range, before any data is read. */
    private void checkOptions() {
        precision();
        if (epochs < 1) throw new EngineException("--epochs " + epochs + " must be >= 1");
        if (batchSize < 1) throw new EngineException("--batch-size " + batchSize + " must be >= 1");
        if (!(lr > 0) || !Double.isFinite(lr)) throw new EngineException("--lr " + lr + " must be a positive number");
        if (!(weightDecay >= 0) || !Double.isFinite(weightDecay)) throw new EngineException("--weight-decay " + weightDecay + " must be >= 0");
        if (!(dropout >= 0 && dropout < 1)) throw new EngineException("--dropout " + dropout + " must be in [0, 1)");
        for (int h : hidden) if (h < 1) throw new EngineException("--hidden: every width must be >= 1, got " + h);
        if (patience < 0) throw new EngineException("--early-stopping " + patience + " must be >= 0 (0 = off)");
        if (threads < 0) throw new EngineException("--threads " + threads + " must be >= 0 (0 = all cores)");
        if (resume) {
            if (checkpointDir == null) throw new EngineException("--resume needs --checkpoint-dir");
            if (!Files.isDirectory(checkpointDir)) throw new EngineException("--resume: checkpoint directory " + checkpointDir + " does not exist");
            if (!Files.isRegularFile(checkpointDir.resolve("last.safetensors")))
                throw new EngineException("--resume: " + checkpointDir.resolve("last.safetensors") + " does not exist; nothing to resume");
        }
    }

    /** A plot is optional output: where it cannot be drawn (no fonts, no AWT libraries) warn and go on. */
    private static boolean plot(History history, Path png) {
        try {
            history.plot(png);
            return true;
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable e) {
            System.out.println("warning: no history plot (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
            return false;
        }
    }

    /**
     * Reloads the bundle, predicts every raw test row one at a time, prints accuracy against {@code truth}
     * (the model's class index per row) and latency.
     */
    static void report(Path bundle, Dataset rawTest, int[] truth) {
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
                    if (pass == 0 && pr.index() == truth[i]) correct++;
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

    private static long sizeOf(Path p) {
        try { return java.nio.file.Files.size(p); } catch (java.io.IOException e) { return -1; }
    }
}
