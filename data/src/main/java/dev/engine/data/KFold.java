package dev.engine.data;

import dev.engine.api.EngineException;
import dev.engine.autograd.Generator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Seeded k-fold cross-validation: rows are shuffled once (per class when stratified) and dealt into
 * {@code k} folds of near-equal size; fold {@code i} validates on its rows and trains on all others, so
 * every row is validated exactly once. Same seed, same folds.
 *
 * <pre>{@code
 * for (KFold.Fold f : KFold.split(data, 5, 0, true)) {
 *     double acc = trainAndScore(f.train(), f.validation());
 * }
 * }</pre>
 */
public final class KFold {
    private KFold() {}

    /** One fold: its index, the datasets and the row indices behind them (sorted). */
    public record Fold(int index, Dataset train, Dataset validation, int[] trainIndices, int[] validationIndices) {}

    /** The {@code k} folds of {@code data}; {@code 2 <= k <= data.size()}. */
    public static List<Fold> split(Dataset data, int k, long seed, boolean stratified) {
        int[][] val = validationIndices(data, k, seed, stratified);
        List<Fold> folds = new ArrayList<>(k);
        int n = data.size();
        for (int f = 0; f < k; f++) {
            boolean[] inVal = new boolean[n];
            for (int i : val[f]) inVal[i] = true;
            int[] train = new int[n - val[f].length];
            int t = 0;
            for (int i = 0; i < n; i++) if (!inVal[i]) train[t++] = i;
            folds.add(new Fold(f, data.subset(train), data.subset(val[f]), train, val[f].clone()));
        }
        return folds;
    }

    /** The validation rows of each fold, sorted; together they are a partition of all rows. */
    public static int[][] validationIndices(Dataset data, int k, long seed, boolean stratified) {
        if (k < 2 || k > data.size()) {
            throw new EngineException("k must be between 2 and the number of rows (" + data.size() + "): " + k);
        }
        Generator rng = Generator.fromState(seed);
        int[][] folds = new int[k][data.size()];
        int[] counts = new int[k];
        int next = 0;   // dealing continues across classes so fold sizes stay balanced
        for (int[] g : Splits.groups(data, stratified)) {
            int[] perm = g.clone();
            rng.shuffle(perm);
            for (int i : perm) {
                folds[next][counts[next]++] = i;
                next = (next + 1) % k;
            }
        }
        for (int f = 0; f < k; f++) {
            folds[f] = Arrays.copyOf(folds[f], counts[f]);
            Arrays.sort(folds[f]);
        }
        return folds;
    }
}
