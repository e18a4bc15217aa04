package dev.engine.cli;

import dev.engine.api.Backends;
import dev.engine.api.EngineException;
import dev.engine.data.Dataset;
import dev.engine.data.PipelineTransform;
import dev.engine.inference.Bundle;
import dev.engine.inference.FreezeOptions;
import dev.engine.inference.Freezer;
import dev.engine.inference.FrozenModel;
import dev.engine.inference.OnnxExporter;
import dev.engine.inference.Prediction;
import dev.engine.inference.Predictor;
import dev.engine.inference.Quantization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code engine quantize}: a saved bundle's Linear layers to int8 (post-training, on the CPU backend),
 * calibrated on the training part of a dataset, or to bf16 ({@code --precision bf16}: no calibration), saved
 * as a new bundle with the same pre- and post-processing; then FP32 and int8 (or bf16) accuracy on the
 * dataset's held-out test part, side by side.
 *
 * <pre>
 * engine quantize --model digits.model --calibrate digits --out digits-int8.model
 * engine quantize --model m.bundle --calibrate data.csv --out m-int8.bundle --observer percentile:99.99
 * engine quantize --model digits.model --calibrate digits --out digits-int8.model --onnx digits-int8.onnx
 * engine quantize --model digits.model --calibrate digits --out digits-bf16.model --precision bf16
 * </pre>
 * {@code --onnx} also writes the int8 model as ONNX QDQ (static mode only; see {@code OnnxExporter}), for
 * ONNX Runtime's int8 kernels.
 */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = "Quantise a bundle's Linear layers to int8 (calibrated on a dataset) or bf16 and compare FP32 and quantised accuracy.")
final class QuantizeCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Bundle file to quantise")
    Path model;
    @Option(names = "--out", required = true, description = "The quantised bundle to write")
    Path out;
    @Option(names = "--calibrate", description = "Calibration data: digits, a CSV file or an IDX directory (overrides --data); "
            + "its training part calibrates, its test part measures accuracy")
    String calibrate;
    @Mixin DataOptions dataOptions = new DataOptions();
    @Option(names = "--seed", defaultValue = "0", description = "The split's seed (as given to train). Default: ${DEFAULT-VALUE}")
    long seed;
    @Option(names = "--mode", defaultValue = "static", description = "static (calibrated input scales) or dynamic (per call). Default: ${DEFAULT-VALUE}")
    String mode;
    @Option(names = "--observer", defaultValue = "minmax", description = "Static calibration: minmax or percentile:P (e.g. percentile:99.99). Default: ${DEFAULT-VALUE}")
    String observer;
    @Option(names = "--linear-only", description = "Quantise Linear layers only; Conv2d layers (groups 1) stay F32 (int8 covers both by default)")
    boolean linearOnly;
    @Option(names = "--onnx", description = "Also write the int8 model as ONNX QDQ (QuantizeLinear/DequantizeLinear with the same scales) to this file; static mode only")
    Path onnx;
    @Option(names = "--precision", defaultValue = "int8", description = "int8 (calibrated) or bf16 (Linear weights and inputs rounded to "
            + "bfloat16, F32 sums; --mode, --observer and --linear-only do not apply). Default: ${DEFAULT-VALUE}")
    String precision;
    @Option(names = "--calibration-rows", defaultValue = "512", description = "Training rows to calibrate on (at most). Default: ${DEFAULT-VALUE}")
    int calibrationRows;

    @Override public Integer call() {
        if (!precision.equals("int8") && !precision.equals("bf16")) throw new EngineException("--precision: '" + precision + "' is not int8 or bf16");
        boolean bf16 = precision.equals("bf16");
        if (bf16 && linearOnly) throw new EngineException("--linear-only: bf16 covers Linear layers only already; drop the option");
        if (onnx != null && bf16) throw new EngineException("--onnx: the QDQ export is for int8 models; a bf16 model has no int8 layers to export");
        if (!mode.equals("static") && !mode.equals("dynamic")) throw new EngineException("--mode: '" + mode + "' is not static or dynamic");
        if (onnx != null && mode.equals("dynamic"))
            throw new EngineException("--onnx needs --mode static: dynamic int8 has no fixed input scale for QuantizeLinear");
        if (!Files.isRegularFile(model)) throw new EngineException("quantize: bundle " + model + " is not a file");
        if (calibrationRows < 1) throw new EngineException("--calibration-rows must be at least 1, got " + calibrationRows);
        if (calibrate != null) dataOptions.data = calibrate;
        DataSource.Prepared d = DataSource.load(dataOptions, seed, false);
        Bundle b = Bundle.load(model);
        Dataset rawTrain = d.rawTrain(), rawTest = d.rawTest();
        if (b.preprocessing() instanceof PipelineTransform pt) {
            rawTrain = pt.pipeline().alignCategories(rawTrain);
            rawTest = pt.pipeline().alignCategories(rawTest);
        }
        Quantization q = bf16 ? Quantization.bf16() : Quantization.int8Dynamic();
        if (!bf16 && mode.equals("static")) {
            int n = Math.min(calibrationRows, rawTrain.size());
            if (n == 0) throw new EngineException("quantize: " + dataOptions.data + " has no training rows to calibrate on");
            float[][] rows = new float[n][];
            for (int i = 0; i < n; i++) rows[i] = b.preprocessing().apply(rawTrain.row(i));
            q = Quantization.int8Static(rows).observer(observer(observer));
        }
        if (linearOnly) q = q.excludingConvolutions();
        // int8 and bf16 kernels are the CPU backend's; the graph is already optimised, so only the quantiser runs
        FreezeOptions opts = FreezeOptions.none().with(FreezeOptions.Pass.SHARE_MEMORY).backend(Backends.get("cpu")).quantize(q);
        try (FrozenModel m = Freezer.freeze(b.graph(), opts)) {
            Bundle.save(out, m, b.preprocessing(), b.postProcessor());
            if (onnx != null) OnnxExporter.export(m.graph(), onnx);
        }
        System.out.println("quantised " + model + " (" + q + ") -> " + out + " (" + size(model) + " -> " + size(out) + " bytes)");
        if (onnx != null) System.out.println("ONNX QDQ export -> " + onnx + " (" + size(onnx) + " bytes; input \"input\", output \"output\")");
        try (Predictor f32 = Predictor.load(model, Backends.get("cpu")); Predictor quantised = Predictor.load(out, Backends.get("cpu"))) {
            if (f32.postProcessor().labels() == null || f32.postProcessor().labels().isEmpty()) {
                System.out.println("the bundle has no class labels: accuracy not measured");
                return 0;
            }
            double a = accuracy(f32, rawTest, d), c = accuracy(quantised, rawTest, d);
            System.out.printf(Locale.ROOT, "accuracy on %d held-out rows of %s: FP32 %.4f, %s %.4f (%+.2f points)%n",
                    rawTest.size(), dataOptions.data, a, precision, c, 100 * (c - a));
        }
        return 0;
    }

    static Quantization.Observer observer(String spec) {
        if (spec.equals("minmax")) return Quantization.Observer.minMax();
        if (spec.startsWith("percentile:")) {
            try {
                return Quantization.Observer.percentile(Double.parseDouble(spec.substring("percentile:".length())));
            } catch (NumberFormatException e) {
                throw new EngineException("--observer: '" + spec + "' needs a number after percentile:");
            }
        }
        throw new EngineException("--observer: '" + spec + "' is not minmax or percentile:P");
    }

    /** Share of rows whose predicted label names the row's class. */
    private static double accuracy(Predictor p, Dataset raw, DataSource.Prepared d) {
        int n = raw.size(), right = 0;
        float[][] rows = new float[n][];
        for (int i = 0; i < n; i++) rows[i] = raw.row(i);
        Prediction[] r = p.predict(rows);
        for (int i = 0; i < n; i++) if (r[i].label().equals(d.classNames().get(raw.label(i)))) right++;
        return n == 0 ? 0 : right / (double) n;
    }

    private static long size(Path p) {
        try { return Files.size(p); } catch (java.io.IOException e) { return -1; }
    }
}
