package dev.engine.train.search;

import dev.engine.api.EngineException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a {@link SearchStrategy} over a {@link SearchSpace} against an {@link Objective}, seeded: the same
 * seed gives the same trials and, with a deterministic objective, the same ranking.
 *
 * <pre>{@code
 * SearchSpace space = SearchSpace.parse("lr=loguniform:1e-4:1e-1", "hidden=choice:64,128");
 * SearchResults r = HyperparameterSearch.builder(space, objective)   // e.g. a TrainerObjective
 *         .strategy(new SuccessiveHalving(9, 1, 9, 3))
 *         .seed(42)
 *         .listener(SearchListener.printing(System.out))
 *         .resultsCsv(Path.of("tune.csv"))                             // rewritten after every trial
 *         .build().run();
 * System.out.print(r.table());
 * r.writeCsv(Path.of("tune.csv"));
 * }</pre>
 */
public final class HyperparameterSearch {
    private final SearchSpace space;
    private final Objective objective;
    private final SearchStrategy strategy;
    private final long seed;
    private final String metricName;
    private final Direction direction;
    private final SearchListener listener;
    private final boolean failFast;
    private final Path resultsCsv;

    private HyperparameterSearch(Builder b) {
        this.space = b.space;
        this.objective = b.objective;
        this.strategy = b.strategy;
        this.seed = b.seed;
        this.metricName = b.metricName != null ? b.metricName : objective.metricName();
        this.direction = b.direction != null ? b.direction : b.metricName != null ? Direction.forMetric(b.metricName) : objective.direction();
        this.listener = b.listener;
        this.failFast = b.failFast;
        this.resultsCsv = b.resultsCsv;
    }

    public static Builder builder(SearchSpace space, Objective objective) { return new Builder(space, objective); }

    /** Configuration of a search. */
    public static final class Builder {
        private final SearchSpace space;
        private final Objective objective;
        private SearchStrategy strategy;
        private long seed;
        private String metricName;
        private Direction direction;
        private SearchListener listener = SearchListener.none();
        private boolean failFast;
        private Path resultsCsv;

        private Builder(SearchSpace space, Objective objective) {
            if (space == null || objective == null) throw new EngineException("a search needs a space and an objective");
            this.space = space;
            this.objective = objective;
        }

        /** Required: grid, random or successive halving. */
        public Builder strategy(SearchStrategy s) { strategy = s; return this; }

        /** Seeds trial sampling and every trial's {@link Trial#seed()} (default 0). */
        public Builder seed(long s) { seed = s; return this; }

        /** Names the metric (default: the objective's); the direction follows the name unless set. */
        public Builder metric(String name) { metricName = name; return this; }

        /** Overrides whether larger or smaller is better (default: the objective's, or from the metric name). */
        public Builder direction(Direction d) { direction = d; return this; }

        public Builder listener(SearchListener l) { listener = l == null ? SearchListener.none() : l; return this; }

        /** Rethrow the first exception of the objective instead of recording a failed trial (default false). */
        public Builder failFast(boolean f) { failFast = f; return this; }

        /**
         * Writes the results CSV (atomically) after every evaluation, so an interrupted search leaves the
         * ranking so far; the final results are written there too.
         */
        public Builder resultsCsv(Path file) { resultsCsv = file; return this; }

        public HyperparameterSearch build() {
            if (strategy == null) throw new EngineException("a search needs a strategy (GridSearch, RandomSearch or SuccessiveHalving)");
            return new HyperparameterSearch(this);
        }
    }

    public SearchSpace space() { return space; }

    public SearchStrategy strategy() { return strategy; }

    public long seed() { return seed; }

    public String metricName() { return metricName; }

    public Direction direction() { return direction; }

    /** Runs the search to the end; failed trials are recorded, not thrown (unless failing fast). */
    public SearchResults run() {
        long t0 = System.nanoTime();
        List<TrialRecord> soFar = new ArrayList<>();
        SearchListener l = resultsCsv == null ? listener : new SearchListener() {
            @Override public void trialStarted(Trial trial, int budget, int round) { listener.trialStarted(trial, budget, round); }

            @Override public void trialFinished(TrialRecord r) {
                soFar.add(r);
                results(soFar, t0).writeCsv(resultsCsv);
                listener.trialFinished(r);
            }

            @Override public void roundFinished(int round, List<Trial> survivors, int nextBudget) { listener.roundFinished(round, survivors, nextBudget); }
        };
        TrialRunner runner = new TrialRunner(objective, direction, seed, l, failFast);
        strategy.run(space, runner);
        SearchResults r = results(runner.records(), t0);
        if (resultsCsv != null) r.writeCsv(resultsCsv);
        return r;
    }

    private SearchResults results(List<TrialRecord> records, long t0) {
        return new SearchResults(metricName, direction, strategy.describe(), seed, new ArrayList<>(records), (System.nanoTime() - t0) / 1e9);
    }
}
