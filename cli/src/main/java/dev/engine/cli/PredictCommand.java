package dev.engine.cli;

import dev.engine.api.EngineException;
import dev.engine.data.Pipeline;
import dev.engine.data.PipelineTransform;
import dev.engine.inference.Prediction;
import dev.engine.inference.Predictor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code engine predict}: top-k classes with probabilities for raw input rows. The whole input is read
 * and checked first (a header line like train's is skipped; categorical values are given by name;
 * empty, NA, ? and NaN are missing values for the saved imputer), then every row is predicted, then printed.
 */
@Command(name = "predict", mixinStandardHelpOptions = true, description = "Predict raw rows with a saved bundle: top-k classes with probabilities.")
final class PredictCommand implements Callable<Integer> {
    private static final Set<String> MISSING = Set.of("", "NA", "?", "NaN");

    @Option(names = "--model", required = true, description = "Bundle file")
    Path model;
    @Option(names = "--input", required = true,
            description = "Comma-separated values of one row, or a CSV file with one row per line (an optional header line first)")
    String input;
    @Option(names = "--top", defaultValue = "3", description = "Classes to show (>= 1). Default: ${DEFAULT-VALUE}")
    int top;

    @Override public Integer call() throws IOException {
        if (top < 1) throw new EngineException("--top " + top + " must be >= 1");
        try (Predictor predictor = Predictor.load(model)) {
            Pipeline pipeline = predictor.preprocessing() instanceof PipelineTransform pt ? pt.pipeline() : null;
            int width = predictor.preprocessing().inputSize();
            List<float[]> rows = new ArrayList<>();
            Path file = asFile(input);
            if (file != null) {
                List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
                for (int i = 0; i < lines.size(); i++) {
                    String s = lines.get(i);
                    if (s.isBlank()) continue;
                    if (rows.isEmpty() && i == firstNonBlank(lines) && isHeader(split(s), pipeline)) continue;
                    rows.add(parse(split(s), file + ":" + (i + 1), width, pipeline));
                }
                if (rows.isEmpty()) throw new EngineException("--input " + file + ": no data rows");
            } else {
                rows.add(parse(split(input), "--input", width, pipeline));
            }
            Prediction[] out = predictor.predict(rows.toArray(new float[0][]));
            for (int i = 0; i < out.length; i++) {
                StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "row %d: %s", i, out[i].label()));
                for (Prediction.Ranked k : out[i].topK(top)) sb.append(String.format(Locale.ROOT, "  %s=%.4f", k.label(), k.probability()));
                System.out.println(sb);
            }
        }
        return 0;
    }

    /** The input as a file, or null when it is a literal row; a path-like value that names no file is an error. */
    private static Path asFile(String input) {
        Path p;
        try {
            p = Path.of(input);
        } catch (InvalidPathException e) {
            return null;
        }
        if (Files.isDirectory(p)) throw new EngineException("--input " + input + " is a directory, not a CSV file");
        if (Files.isRegularFile(p)) return p;
        boolean pathLike = !input.contains(",") && (input.contains("/") || input.contains(java.io.File.separator)
                || input.toLowerCase(Locale.ROOT).matches(".*\\.(csv|txt|tsv)$"));
        if (pathLike) throw new EngineException("--input: file " + input + " not found");
        return null;
    }

    private static int firstNonBlank(List<String> lines) {
        for (int i = 0; i < lines.size(); i++) if (!lines.get(i).isBlank()) return i;
        return -1;
    }

    private static String[] split(String s) { return s.strip().split("\\s*,\\s*", -1); }

    /** A header names columns: some field of a numeric column is neither a number nor a missing marker. */
    private static boolean isHeader(String[] f, Pipeline pipeline) {
        for (int j = 0; j < f.length; j++) {
            boolean categorical = pipeline != null && !pipeline.categories(j).isEmpty();
            if (!categorical && !MISSING.contains(f[j]) && !isNumber(f[j])) return true;
        }
        return false;
    }

    private static float[] parse(String[] f, String where, int width, Pipeline pipeline) {
        if (width >= 0 && f.length != width)
            throw new EngineException(where + ": " + f.length + " values, the model expects " + width + " per row");
        float[] v = new float[f.length];
        for (int j = 0; j < f.length; j++) {
            List<String> cats = pipeline == null ? List.of() : pipeline.categories(j);
            if (MISSING.contains(f[j])) {
                v[j] = Float.NaN;   // the saved imputer fills it, or the predictor says it cannot
            } else if (!cats.isEmpty()) {
                int code = cats.indexOf(f[j]);
                if (code < 0) throw new EngineException(where + ": value " + (j + 1) + " '" + f[j] + "' is not a category seen in training " + cats);
                v[j] = code;
            } else if (isNumber(f[j])) {
                v[j] = Float.parseFloat(f[j]);
                if (!Float.isFinite(v[j])) throw new EngineException(where + ": value " + (j + 1) + " '" + f[j] + "' is out of the float range");
            } else {
                throw new EngineException(where + ": value " + (j + 1) + " '" + f[j] + "' is not a number");
            }
        }
        return v;
    }

    /** Decimal numbers only (no "Infinity", no hex). */
    private static boolean isNumber(String s) {
        if (s.isEmpty() || !s.matches("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?")) return false;
        return true;
    }
}
