package dev.engine.train.search;

import dev.engine.api.EngineException;

/**
 * Evaluates every combination of the space's grid exactly once (the cartesian product, see
 * {@link SearchSpace#grid}), each for the same number of epochs. Continuous ranges need a resolution:
 * here for all of them, or per parameter ({@code gridPoints}).
 *
 * <pre>{@code
 * new GridSearch(5)        // 5 epochs per trial; the space has only choices / int ranges / gridPoints
 * new GridSearch(5, 4)     // continuous ranges get 4 points each
 * }</pre>
 */
public final class GridSearch implements SearchStrategy {
    private final int epochs;
    private final int resolution;

    public GridSearch(int epochs) { this(epochs, 0); }

    /** {@code resolution}: points per continuous range without its own grid points (0: none). */
    public GridSearch(int epochs, int resolution) {
        if (epochs < 1) throw new EngineException("epochs " + epochs + " must be >= 1");
        if (resolution < 0) throw new EngineException("grid resolution " + resolution + " must be >= 0");
        this.epochs = epochs;
        this.resolution = resolution;
    }

    public int epochs() { return epochs; }

    public int resolution() { return resolution; }

    @Override public void run(SearchSpace space, TrialRunner runner) {
        runner.evaluate(space.grid(resolution, runner.seed()), epochs, 0);
    }

    @Override public String describe() {
        return "grid search" + (resolution > 0 ? " (resolution " + resolution + ")" : "") + ", " + epochs + " epochs per trial";
    }
}
