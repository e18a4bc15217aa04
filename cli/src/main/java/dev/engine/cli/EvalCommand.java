package dev.engine.cli;

import dev.engine.inference.Prediction;
import dev.engine.inference.Predictor;
import dev.engine.train.ClassificationMetrics;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code engine eval}: a saved bundle against a dataset's test split: accuracy, per-class report, confusion. */
@Command(name = "eval", mixinStandardHelpOptions = true, description = "Evaluate a saved bundle on a dataset's test split.")
final class EvalCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, description = "Bundle file written by 'engine train'")
    Path model;
    @Option(names = "--data", defaultValue = "digits", description = "digits, a CSV file, or an IDX directory. Default: ${DEFAULT-VALUE}")
    String data;
    @Option(names = "--label-column", defaultValue = "0")
    int labelColumn;
    @Option(names = "--test-fraction", defaultValue = "0.2")
    double testFraction;
    @Option(names = "--seed", defaultValue = "0")
    long seed;

    @Override public Integer call() {
        DataSource.Prepared d = DataSource.load(data, labelColumn, testFraction, seed);
        try (Predictor p = Predictor.load(model)) {
            int n = d.rawTest().size();
            int[] pred = new int[n], truth = new int[n];
            for (int i = 0; i < n; i++) {
                Prediction r = p.predict(d.rawTest().row(i));
                pred[i] = r.index();
                truth[i] = d.rawTest().label(i);
            }
            ClassificationMetrics m = ClassificationMetrics.of(pred, truth, Math.max(d.classNames().size(), p.postProcessor().labels().size()));
            System.out.println("evaluated " + model + " on " + n + " test rows of " + data);
            System.out.print(m.report(p.postProcessor().labels()));
        }
        TrainCommand.report(model, d.rawTest(), d.classNames().size());
        return 0;
    }
}
