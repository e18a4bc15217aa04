package dev.engine.cli;

import dev.engine.api.EngineException;
import dev.engine.inference.Bundle;
import dev.engine.inference.FreezeOptions;
import dev.engine.inference.FrozenModel;
import dev.engine.inference.PostProcessor;
import dev.engine.inference.onnx.Onnx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code engine import model.onnx --out model.bundle}: imports an ONNX file, freezes it with every pass,
 * prints the plan and saves a bundle (optionally with labels and a softmax post-processor).
 *
 * <pre>
 * engine import lenet.onnx --out lenet.model --labels 0,1,2,3,4,5,6,7,8,9
 * engine import encoder.onnx --out enc.model --input-shape 1,64,128
 * </pre>
 */
@Command(name = "import", mixinStandardHelpOptions = true, description = "Import an ONNX model (opsets 13-21) into a frozen bundle.")
final class ImportCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "The .onnx file (external-data files are read from its directory)")
    Path onnx;
    @Option(names = "--out", required = true, description = "Bundle file to write")
    Path out;
    @Option(names = "--input-shape", description = "Example input shape, e.g. 1,64,128: sizes for symbolic dims (the first stays dynamic)")
    String inputShape;
    @Option(names = "--labels", description = "Comma-separated class labels: the bundle applies softmax and names the classes")
    String labels;
    @Option(names = "--probabilities", description = "With --labels: the model already outputs probabilities (no softmax)")
    boolean probabilities;

    @Override public Integer call() {
        if (!Files.isRegularFile(onnx)) throw new EngineException("import: " + onnx + " is not a file");
        try (FrozenModel m = Onnx.load(onnx, shape(inputShape), FreezeOptions.defaults())) {
            PostProcessor post = PostProcessor.raw();
            if (labels != null) {
                List<String> l = Arrays.stream(labels.split(",")).map(String::trim).toList();
                if (l.size() != m.outputFeatures())
                    throw new EngineException("import: " + l.size() + " labels for a model with " + m.outputFeatures() + " outputs");
                post = probabilities ? PostProcessor.probabilities(l) : PostProcessor.softmax(l);
            }
            System.out.print(m.describePlan(1));
            Bundle.save(out, m, null, post);
            System.out.println("saved bundle " + out + " (" + sizeOf(out) + " bytes) from " + onnx);
        }
        return 0;
    }

    static long[] shape(String s) {
        if (s == null) return null;
        String[] parts = s.trim().split("\\s*,\\s*");
        long[] v = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                v[i] = Long.parseLong(parts[i]);
            } catch (NumberFormatException e) {
                throw new EngineException("--input-shape: '" + parts[i] + "' is not a whole number");
            }
            if (v[i] < 1) throw new EngineException("--input-shape: sizes must be at least 1, got " + v[i]);
        }
        return v;
    }

    private static long sizeOf(Path p) {
        try { return Files.size(p); } catch (java.io.IOException e) { return -1; }
    }
}
