package dev.engine.train.search;

import dev.engine.api.EngineException;
import java.util.Locale;

/**
 * Whether a larger or a smaller metric is better. Comparisons put NaN (a failed or diverged trial) last.
 *
 * <pre>{@code
 * Direction.forMetric("val_accuracy");   // MAXIMIZE
 * Direction.forMetric("val_loss");       // MINIMIZE (names with loss, mse, mae, rmse, error, perplexity)
 * Direction.parse("min");                // MINIMIZE, for a command line
 * }</pre>
 */
public enum Direction {
    MAXIMIZE, MINIMIZE;

    /** Minimise losses and errors (loss, mse, mae, rmse, error, perplexity in the name), maximise the rest. */
    public static Direction forMetric(String metric) {
        String m = metric.toLowerCase(Locale.ROOT);
        for (String k : new String[] {"loss", "mse", "mae", "rmse", "error", "perplexity"}) if (m.contains(k)) return MINIMIZE;
        return MAXIMIZE;
    }

    /** "max", "maximize", "maximise", "min", "minimize", "minimise" (any case). */
    public static Direction parse(String s) {
        switch (s.strip().toLowerCase(Locale.ROOT)) {
            case "max": case "maximize": case "maximise": return MAXIMIZE;
            case "min": case "minimize": case "minimise": return MINIMIZE;
            default: throw new EngineException("direction '" + s + "': expected max or min");
        }
    }

    /** Negative when {@code a} is better than {@code b}; NaN is worse than any number, equal to NaN. */
    public int compare(double a, double b) {
        boolean na = Double.isNaN(a), nb = Double.isNaN(b);
        if (na || nb) return na == nb ? 0 : na ? 1 : -1;
        return this == MAXIMIZE ? Double.compare(b, a) : Double.compare(a, b);
    }

    /** Whether {@code a} is strictly better than {@code b}. */
    public boolean isBetter(double a, double b) { return compare(a, b) < 0; }

    /** "max" or "min". */
    public String shortName() { return this == MAXIMIZE ? "max" : "min"; }
}
