package dev.engine.train.search;

import dev.engine.api.EngineException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;

/**
 * What a {@link SearchStrategy} evaluates trials through: it times each evaluation, records failures
 * (an exception from the objective becomes a failed record with metric NaN and the search goes on,
 * unless the search fails fast),
 * notifies the listener and keeps every record for the {@link SearchResults}.
 *
 * <pre>{@code
 * // inside a custom strategy
 * List<TrialRecord> round = runner.evaluate(space.samples(10, runner.seed()), 3, 0);
 * List<TrialRecord> best = runner.ranked(round);
 * }</pre>
 */
public final class TrialRunner {
    private final Objective objective;
    private final Direction direction;
    private final long seed;
    private final SearchListener listener;
    private final boolean failFast;
    private final List<TrialRecord> records = new ArrayList<>();

    TrialRunner(Objective objective, Direction direction, long seed, SearchListener listener, boolean failFast) {
        this.objective = objective;
        this.direction = direction;
        this.seed = seed;
        this.listener = listener;
        this.failFast = failFast;
    }

    /** The search seed (for sampling trials). */
    public long seed() { return seed; }

    public Direction direction() { return direction; }

    public SearchListener listener() { return listener; }

    /** Evaluates one trial for {@code budget} epochs. */
    public TrialRecord evaluate(Trial trial, int budget, int round) {
        if (budget < 1) throw new EngineException("epoch budget " + budget + " must be >= 1");
        listener.trialStarted(trial, budget, round);
        long t0 = System.nanoTime();
        TrialRecord r;
        try {
            TrialResult result = objective.evaluate(trial, budget);
            if (result == null) throw new EngineException("the objective returned null");
            r = new TrialRecord(trial, budget, round, result, (System.nanoTime() - t0) / 1e9, null);
        } catch (RuntimeException e) {
            if (failFast) throw e;
            String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            r = new TrialRecord(trial, budget, round, null, (System.nanoTime() - t0) / 1e9, msg);
        }
        records.add(r);
        listener.trialFinished(r);
        return r;
    }

    /** Evaluates the trials in order, each for {@code budget} epochs. */
    public List<TrialRecord> evaluate(List<Trial> trials, int budget, int round) {
        List<TrialRecord> out = new ArrayList<>();
        for (Trial t : trials) out.add(evaluate(t, budget, round));
        return out;
    }

    /** Best first by the metric (failures last), ties by trial id. */
    public List<TrialRecord> ranked(List<TrialRecord> recs) {
        List<TrialRecord> out = new ArrayList<>(recs);
        out.sort(order(direction));
        return out;
    }

    static Comparator<TrialRecord> order(Direction d) {
        return (a, b) -> {
            int c = d.compare(a.metric(), b.metric());
            return c != 0 ? c : Integer.compare(a.trial().id(), b.trial().id());
        };
    }

    List<TrialRecord> records() { return Collections.unmodifiableList(records); }
}
