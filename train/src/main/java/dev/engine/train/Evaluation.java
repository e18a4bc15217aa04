package dev.engine.train;

import dev.engine.api.EngineException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The result of evaluating a model on a dataset: mean loss plus classification or regression metrics.
 *
 * <pre>{@code
 * Evaluation e = trainer.evaluate(test);
 * System.out.println(e.accuracy() + "\n" + e.classification().report(classNames));
 * }</pre>
 */
public final class Evaluation {
    private final double loss;
    private final ClassificationMetrics classification;
    private final RegressionMetrics regression;

    private Evaluation(double loss, ClassificationMetrics c, RegressionMetrics r) { this.loss = loss; this.classification = c; this.regression = r; }

    static Evaluation classification(double loss, ClassificationMetrics c) { return new Evaluation(loss, c, null); }
    static Evaluation regression(double loss, RegressionMetrics r) { return new Evaluation(loss, null, r); }

    public double loss() { return loss; }
    /** Null for regression. */
    public ClassificationMetrics classification() { return classification; }
    /** Null for classification. */
    public RegressionMetrics regression() { return regression; }

    public double accuracy() {
        if (classification == null) throw new EngineException("accuracy of a regression evaluation");
        return classification.accuracy();
    }

    /** Flat metrics: loss, accuracy, macro_f1, ... or loss, mse, mae, r2. */
    public Map<String, Double> metrics() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("loss", loss);
        if (classification != null) {
            m.put("accuracy", classification.accuracy());
            m.put("macro_precision", classification.macroPrecision());
            m.put("macro_recall", classification.macroRecall());
            m.put("macro_f1", classification.macroF1());
        } else {
            m.put("mse", regression.mse());
            m.put("mae", regression.mae());
            m.put("r2", regression.r2());
        }
        return m;
    }
}
