package dev.engine.train.search;

import dev.engine.api.EngineException;
import java.util.Locale;

/**
 * How a search picks and budgets trials: {@link GridSearch}, {@link RandomSearch} or
 * {@link SuccessiveHalving}. A strategy draws its trials from the space with {@link TrialRunner#seed()}
 * and evaluates them through the runner, which records everything.
 *
 * <pre>{@code
 * SearchStrategy s = SearchStrategy.parse("halving:27:3", 9);   // for a command line, 9 = max epochs
 * }</pre>
 */
public interface SearchStrategy {
    /** Evaluates trials from {@code space} through {@code runner}. */
    void run(SearchSpace space, TrialRunner runner);

    /** A one-line description, e.g. "random search, 20 trials x 5 epochs". */
    String describe();

    /**
     * A strategy from text, with {@code epochs} the epochs per trial (the maximum for successive halving):
     * <ul>
     * <li>{@code grid} or {@code grid:RESOLUTION} (points per continuous range)</li>
     * <li>{@code random:N} (N trials)</li>
     * <li>{@code halving:N[:ETA[:MIN_EPOCHS]]} (N random configurations, eta 3 and 1 epoch by default;
     *     {@code halving-grid[:RESOLUTION][:ETA[:MIN_EPOCHS]]} starts from the grid instead)</li>
     * </ul>
     */
    static SearchStrategy parse(String spec, int epochs) {
        String[] f = spec.strip().toLowerCase(Locale.ROOT).split(":", -1);
        try {
            switch (f[0]) {
                case "grid":
                    if (f.length > 2) throw new EngineException("expected grid or grid:RESOLUTION");
                    return new GridSearch(epochs, f.length > 1 ? Values.parseInt(f[1]) : 0);
                case "random":
                    if (f.length != 2) throw new EngineException("expected random:N");
                    return new RandomSearch(Values.parseInt(f[1]), epochs);
                case "halving": case "sha":
                    if (f.length < 2 || f.length > 4) throw new EngineException("expected halving:N[:ETA[:MIN_EPOCHS]]");
                    return new SuccessiveHalving(Values.parseInt(f[1]), f.length > 3 ? Values.parseInt(f[3]) : 1, epochs,
                            f.length > 2 ? Values.parseInt(f[2]) : 3);
                case "halving-grid":
                    if (f.length > 4) throw new EngineException("expected halving-grid[:RESOLUTION[:ETA[:MIN_EPOCHS]]]");
                    return SuccessiveHalving.overGrid(f.length > 1 ? Values.parseInt(f[1]) : 0, f.length > 3 ? Values.parseInt(f[3]) : 1,
                            epochs, f.length > 2 ? Values.parseInt(f[2]) : 3);
                default:
                    throw new EngineException("unknown strategy '" + f[0] + "' (grid, random, halving, halving-grid)");
            }
        } catch (IllegalArgumentException | EngineException e) {
            throw new EngineException("search strategy '" + spec + "': " + e.getMessage(), e);
        }
    }
}
