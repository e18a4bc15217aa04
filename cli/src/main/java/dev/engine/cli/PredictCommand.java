package dev.engine.cli;

import dev.engine.api.EngineException;
import dev.engine.inference.Prediction;
import dev.engine.inference.Predictor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code engine predict}: top-k classes with probabilities for raw input rows. */
@Command(name = "predict", mixinStandardHelpOptions = true, description = "Predict raw rows with a saved bundle: top-k classes with probabilities.")
final class PredictCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Bundle file")
    Path model;
    @Option(names = "--input", required = true, description = "Comma-separated values of one row, or a CSV file with one row per line")
    String input;
    @Option(names = "--top", defaultValue = "3", description = "Classes to show. Default: ${DEFAULT-VALUE}")
    int top;

    @Override public Integer call() throws IOException {
        List<float[]> rows = new ArrayList<>();
        Path p = Path.of(input);
        if (!input.contains(",") && Files.isRegularFile(p)) {
            int line = 0;
            for (String s : Files.readAllLines(p)) {
                line++;
                if (!s.isBlank()) rows.add(parse(s, p + ":" + line));
            }
        } else {
            rows.add(parse(input, "--input"));
        }
        try (Predictor predictor = Predictor.load(model)) {
            for (int i = 0; i < rows.size(); i++) {
                Prediction r = predictor.predict(rows.get(i));
                StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "row %d: %s", i, r.label()));
                for (Prediction.Ranked k : r.topK(top)) sb.append(String.format(Locale.ROOT, "  %s=%.4f", k.label(), k.probability()));
                System.out.println(sb);
            }
        }
        return 0;
    }

    private static float[] parse(String s, String where) {
        String[] parts = s.trim().split("\\s*,\\s*");
        float[] v = new float[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                v[i] = Float.parseFloat(parts[i]);
            } catch (NumberFormatException e) {
                throw new EngineException(where + ": value " + (i + 1) + " '" + parts[i] + "' is not a number");
            }
        }
        return v;
    }
}
