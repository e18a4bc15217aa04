package dev.engine.train.search;

import dev.engine.api.EngineException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What an {@link Objective} reports for one trial: the metric the search ranks by, optional extra
 * metrics (kept in the results and the CSV), and optionally the number of epochs actually trained when
 * that differs from the budget (early stopping); -1 means "the budget".
 *
 * <pre>{@code
 * return TrialResult.of(valAccuracy);
 * return TrialResult.of(valAccuracy, Map.of("val_loss", valLoss, "train_loss", trainLoss)).withEpochs(7);
 * }</pre>
 */
public record TrialResult(double metric, Map<String, Double> extras, int epochs) {
    public TrialResult {
        extras = Collections.unmodifiableMap(new LinkedHashMap<>(extras == null ? Map.of() : extras));
        if (epochs < -1) throw new EngineException("epochs " + epochs + " must be >= 0, or -1 for the budget");
    }

    public static TrialResult of(double metric) { return new TrialResult(metric, Map.of(), -1); }

    public static TrialResult of(double metric, Map<String, Double> extras) { return new TrialResult(metric, extras, -1); }

    /** The same result, trained for {@code epochs} epochs. */
    public TrialResult withEpochs(int epochs) { return new TrialResult(metric, extras, epochs); }
}
