package dev.engine.cli;

import dev.engine.api.EngineException;
import dev.engine.data.Dataset;
import dev.engine.data.PipelineTransform;
import dev.engine.inference.Prediction;
import dev.engine.inference.Predictor;
import dev.engine.train.ClassificationMetrics;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code engine eval}: a saved bundle against a dataset's test part: accuracy, per-class report, confusion.
 * The data's labels are matched to the model's classes by name; a label the model does not know is an
 * error naming it, or with {@code --unknown-labels wrong} counted as a wrong answer and reported.
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Evaluate a saved bundle on a dataset's test part (the same split options as train).")
final class EvalCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Bundle file written by 'engine train'")
    Path model;
    @Mixin DataOptions dataOptions = new DataOptions();
    @Option(names = "--seed", defaultValue = "0", description = "The split's seed (as given to train). Default: ${DEFAULT-VALUE}")
    long seed;
    @Option(names = "--unknown-labels", defaultValue = "error",
            description = "A test label the model does not know: error, or wrong (count it as a wrong answer). Default: ${DEFAULT-VALUE}")
    String unknownLabels;

    @Override public Integer call() {
        if (!unknownLabels.equals("error") && !unknownLabels.equals("wrong"))
            throw new EngineException("--unknown-labels: '" + unknownLabels + "' is not error or wrong");
        DataSource.Prepared d = DataSource.load(dataOptions, seed, false);
        Dataset rawForLatency;
        int[] truthForLatency;
        try (Predictor p = Predictor.load(model)) {
            List<String> modelLabels = p.postProcessor().labels();
            if (modelLabels == null || modelLabels.isEmpty())
                throw new EngineException("eval: bundle " + model + " has no class labels to match the data's labels against");
            Dataset raw = d.rawTest();
            if (p.preprocessing() instanceof PipelineTransform pt) raw = pt.pipeline().alignCategories(raw);
            // the data's class index -> the model's, by name; unknown names after the model's classes
            List<String> names = new ArrayList<>(modelLabels);
            Map<String, Integer> unknown = new LinkedHashMap<>();
            int[] toModel = new int[d.classNames().size()];
            for (int c = 0; c < toModel.length; c++) {
                String name = d.classNames().get(c);
                int m = modelLabels.indexOf(name);
                if (m < 0) {
                    m = names.size();
                    names.add(name);
                    unknown.put(name, 0);
                }
                toModel[c] = m;
            }
            int n = raw.size();
            int[] pred = new int[n], truth = new int[n];
            float[][] rows = new float[n][];
            for (int i = 0; i < n; i++) rows[i] = raw.row(i);
            Prediction[] r = p.predict(rows);
            for (int i = 0; i < n; i++) {
                pred[i] = r[i].index();
                truth[i] = toModel[raw.label(i)];
                String name = d.classNames().get(raw.label(i));
                if (unknown.containsKey(name)) unknown.merge(name, 1, Integer::sum);
            }
            unknown.values().removeIf(count -> count == 0);
            if (!unknown.isEmpty() && unknownLabels.equals("error"))
                throw new EngineException("eval: the test rows hold label" + (unknown.size() == 1 ? " " : "s ") + quoted(unknown.keySet())
                        + " that the model does not know (its classes: " + modelLabels + "); --unknown-labels wrong counts them as wrong answers");
            ClassificationMetrics m = ClassificationMetrics.of(pred, truth, names.size());
            System.out.println("evaluated " + model + " on " + n + " test rows of " + dataOptions.data + " (labels matched by name)");
            if (!unknown.isEmpty()) {
                int rowsUnknown = unknown.values().stream().mapToInt(Integer::intValue).sum();
                System.out.printf(Locale.ROOT, "warning: %d test rows have labels the model does not know, counted as wrong: %s%n", rowsUnknown, unknown);
            }
            System.out.print(m.report(names));
            rawForLatency = raw;
            truthForLatency = truth;
        }
        TrainCommand.report(model, rawForLatency, truthForLatency);
        return 0;
    }

    private static String quoted(java.util.Collection<String> names) {
        StringBuilder sb = new StringBuilder();
        for (String s : names) sb.append(sb.length() == 0 ? "" : ", ").append('\'').append(s).append('\'');
        return sb.toString();
    }
}
