package dev.engine.train.search;

import dev.engine.api.EngineException;

/**
 * Evaluates {@code trials} configurations sampled from the space with the search seed (see
 * {@link SearchSpace#distinctSamples}: repeats are skipped), each for the same number of epochs. The
 * same seed gives the same trials; trial {@code i} does not depend on how many are drawn. A small space of
 * only choices may give fewer trials than asked for.
 *
 * <pre>{@code
 * new RandomSearch(20, 5)   // 20 trials, 5 epochs each
 * }</pre>
 */
public final class RandomSearch implements SearchStrategy {
    private final int trials;
    private final int epochs;

    public RandomSearch(int trials, int epochs) {
        if (trials < 1) throw new EngineException("trials " + trials + " must be >= 1");
        if (epochs < 1) throw new EngineException("epochs " + epochs + " must be >= 1");
        this.trials = trials;
        this.epochs = epochs;
    }

    public int trials() { return trials; }

    public int epochs() { return epochs; }

    @Override public void run(SearchSpace space, TrialRunner runner) {
        runner.evaluate(space.distinctSamples(trials, runner.seed()), epochs, 0);
    }

    @Override public String describe() { return "random search, " + trials + " trials x " + epochs + " epochs"; }
}
