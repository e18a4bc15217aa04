package dev.engine.train.search;

import dev.engine.api.EngineException;
import java.util.ArrayList;
import java.util.List;

/**
 * Successive halving: {@code configs} distinct configurations (sampled with the search seed, or the full grid)
 * each get {@code minEpochs}; the best {@code 1/eta} of them (at least one, by the validation metric,
 * ties by trial id) go on with {@code eta} times the budget (capped at {@code maxEpochs}), and so on until
 * one configuration remains or a round has run at {@code maxEpochs}; a search of a single configuration
 * trains it for {@code maxEpochs} at once. Every round trains from scratch
 * for its budget (the objective sees only {@code (trial, epochs)}). Survivors of later rounds rank
 * above trials dropped earlier in the {@link SearchResults}.
 *
 * <pre>{@code
 * // 9 configs x 1 epoch, best 3 x 3 epochs, best 1 x 9 epochs: 27 epochs in all
 * SearchStrategy s = new SuccessiveHalving(9, 1, 9, 3);
 * int total = new SuccessiveHalving(9, 1, 9, 3).totalEpochs(9);   // 27
 * }</pre>
 */
public final class SuccessiveHalving implements SearchStrategy {
    private final int configs;        // 0: the grid
    private final int gridResolution;
    private final int minEpochs, maxEpochs, eta;

    /** {@code configs} random configurations, budgets from {@code minEpochs} to {@code maxEpochs}, growing by {@code eta}. */
    public SuccessiveHalving(int configs, int minEpochs, int maxEpochs, int eta) {
        this(configs, 0, minEpochs, maxEpochs, eta);
        if (configs < 1) throw new EngineException("configs " + configs + " must be >= 1");
    }

    private SuccessiveHalving(int configs, int gridResolution, int minEpochs, int maxEpochs, int eta) {
        if (minEpochs < 1 || maxEpochs < minEpochs) {
            throw new EngineException("epochs: need 1 <= minEpochs <= maxEpochs, got " + minEpochs + " and " + maxEpochs);
        }
        if (eta < 2) throw new EngineException("eta " + eta + " must be >= 2");
        if (gridResolution < 0) throw new EngineException("grid resolution " + gridResolution + " must be >= 0");
        this.configs = configs;
        this.gridResolution = gridResolution;
        this.minEpochs = minEpochs;
        this.maxEpochs = maxEpochs;
        this.eta = eta;
    }

    /** Starts from every grid combination instead of random configurations. */
    public static SuccessiveHalving overGrid(int resolution, int minEpochs, int maxEpochs, int eta) {
        return new SuccessiveHalving(0, resolution, minEpochs, maxEpochs, eta);
    }

    public int eta() { return eta; }

    public int minEpochs() { return minEpochs; }

    public int maxEpochs() { return maxEpochs; }

    /** The planned rounds for {@code n} starting configurations: {@code {configurations, epochs}} per round. */
    public List<int[]> plan(int n) {
        List<int[]> rounds = new ArrayList<>();
        int alive = n;
        int budget = alive <= 1 ? maxEpochs : minEpochs;
        while (true) {
            rounds.add(new int[] {alive, budget});
            if (alive <= 1 || budget >= maxEpochs) break;
            alive = Math.max(1, alive / eta);
            budget = next(budget);
        }
        return rounds;
    }

    /** The epochs all rounds together train for {@code n} starting configurations (no failures). */
    public int totalEpochs(int n) {
        int total = 0;
        for (int[] r : plan(n)) total += r[0] * r[1];
        return total;
    }

    private int next(int budget) { return (int) Math.min(maxEpochs, (long) budget * eta); }

    @Override public void run(SearchSpace space, TrialRunner runner) {
        List<Trial> alive = configs > 0 ? space.distinctSamples(configs, runner.seed()) : space.grid(gridResolution, runner.seed());
        int budget = alive.size() <= 1 ? maxEpochs : minEpochs;
        for (int round = 0; ; round++) {
            List<TrialRecord> ranked = runner.ranked(runner.evaluate(alive, budget, round));
            if (alive.size() <= 1 || budget >= maxEpochs) break;
            int keep = Math.max(1, alive.size() / eta);
            alive = new ArrayList<>();
            for (TrialRecord r : ranked.subList(0, keep)) alive.add(r.trial());
            budget = next(budget);
            runner.listener().roundFinished(round, List.copyOf(alive), budget);
        }
    }

    @Override public String describe() {
        return "successive halving, " + (configs > 0 ? configs + " random configurations" : "the grid") + ", eta " + eta
                + ", " + minEpochs + " to " + maxEpochs + " epochs";
    }
}
