package dev.engine.train.search;

import dev.engine.api.EngineException;

/**
 * One evaluation of a trial during a search: the trial, the epoch budget it got, the round (successive
 * halving; 0 for grid and random search), the result (null when the objective threw), the wall time and
 * the error message of a failure.
 *
 * <pre>{@code
 * for (TrialRecord r : results.evaluations()) System.out.println(r.trial() + " -> " + r.metric());
 * }</pre>
 */
public record TrialRecord(Trial trial, int budget, int round, TrialResult result, double seconds, String error) {
    public TrialRecord {
        if (trial == null) throw new EngineException("trial is null");
        if ((result == null) == (error == null)) throw new EngineException("exactly one of result and error must be given");
    }

    public boolean failed() { return result == null; }

    /** The ranked metric, NaN for a failed trial. */
    public double metric() { return result == null ? Double.NaN : result.metric(); }

    /** Epochs behind the metric: what the objective reported, else the budget. */
    public int epochs() { return result != null && result.epochs() >= 0 ? result.epochs() : budget; }
}
