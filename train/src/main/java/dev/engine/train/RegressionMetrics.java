package dev.engine.train;

import dev.engine.api.EngineException;

/**
 * Mean squared error, mean absolute error and R² of predictions against targets.
 *
 * <pre>{@code
 * var m = RegressionMetrics.of(pred, truth);
 * m.mse(); m.mae(); m.r2();
 * }</pre>
 */
public record RegressionMetrics(double mse, double mae, double r2) {
    public static RegressionMetrics of(float[] predicted, float[] truth) {
        if (predicted.length != truth.length)
            throw new EngineException(predicted.length + " predictions for " + truth.length + " targets");
        int n = truth.length;
        double mean = 0;
        for (float t : truth) mean += t;
        mean /= Math.max(n, 1);
        double se = 0, ae = 0, tot = 0;
        for (int i = 0; i < n; i++) {
            double d = predicted[i] - truth[i];
            se += d * d;
            ae += Math.abs(d);
            tot += (truth[i] - mean) * (truth[i] - mean);
        }
        return new RegressionMetrics(se / Math.max(n, 1), ae / Math.max(n, 1), tot == 0 ? Double.NaN : 1 - se / tot);
    }
}
