package dev.engine.train.search;

/**
 * What a search optimises: trains (or otherwise evaluates) one {@link Trial} for a budget of epochs and
 * returns its metric. The search knows nothing else about what is trained. It must be deterministic for
 * the search to be: derive every seed from {@link Trial#seed()}. Exceptions are recorded as a failed
 * trial (metric NaN, ranked last) and the search goes on.
 *
 * <pre>{@code
 * Objective quadratic = (trial, epochs) -> TrialResult.of(-Math.pow(Math.log10(trial.getDouble("lr")) + 2, 2));
 * // or a TrainerObjective, which trains a model with the Trainer and reads a validation metric
 * }</pre>
 *
 * <p>{@link #metricName()} and {@link #direction()} only label and orient the results; a search may
 * override them.
 */
@FunctionalInterface
public interface Objective {
    TrialResult evaluate(Trial trial, int epochBudget);

    /** The metric's name for tables and CSV headers. */
    default String metricName() { return "metric"; }

    /** Whether larger or smaller is better; by default inferred from {@link #metricName()}. */
    default Direction direction() { return Direction.forMetric(metricName()); }
}
