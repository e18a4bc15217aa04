package dev.engine.data;

import dev.engine.api.EngineException;
import dev.engine.autograd.Generator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Seeded train/validation/test splits: the same seed always gives the same split (on any JVM), parts
 * are disjoint and together cover every row once. Stratified splits keep each class's share in every
 * part (each class is split in the requested fractions, rounding per class); they need class labels.
 * Row order inside a part follows the original order.
 *
 * <pre>{@code
 * Split s  = Splits.trainValTest(data, 0.8, 0.1, 0, true);   // 80/10/10, stratified
 * Split tt = Splits.trainTest(data, 0.8, 0, false);         // 80/20, empty validation
 * int[][] idx = Splits.indices(data, 0.8, 0.1, 0, true);    // the row indices behind s
 * }</pre>
 */
public final class Splits {
    private Splits() {}

    /** Train ({@code trainFraction}) / validation ({@code validationFraction}) / test (the rest). */
    public static Split trainValTest(Dataset data, double trainFraction, double validationFraction, long seed, boolean stratified) {
        int[][] idx = indices(data, trainFraction, validationFraction, seed, stratified);
        return new Split(data.subset(idx[0]), data.subset(idx[1]), data.subset(idx[2]));
    }

    /** Train ({@code trainFraction}) / test (the rest); the validation part is empty. */
    public static Split trainTest(Dataset data, double trainFraction, long seed, boolean stratified) {
        return trainValTest(data, trainFraction, 0.0, seed, stratified);
    }

    /**
     * The row indices of each part: {@code [train, validation, test]}, each sorted ascending.
     */
    public static int[][] indices(Dataset data, double trainFraction, double validationFraction, long seed, boolean stratified) {
        if (!(trainFraction >= 0 && validationFraction >= 0 && trainFraction + validationFraction <= 1 + 1e-9)) {
            throw new EngineException("fractions must be >= 0 and sum to at most 1: train " + trainFraction
                    + ", validation " + validationFraction);
        }
        List<int[]> groups = groups(data, stratified);
        Generator rng = Generator.fromState(seed);
        int[][] parts = new int[3][];
        int[] counts = new int[3];
        int n = data.size();
        for (int p = 0; p < 3; p++) parts[p] = new int[n];
        for (int[] g : groups) {
            int[] perm = g.clone();
            rng.shuffle(perm);
            int nTrain = (int) Math.round(g.length * trainFraction);
            int nTrainVal = (int) Math.min(g.length, Math.round(g.length * (trainFraction + validationFraction)));
            for (int k = 0; k < perm.length; k++) {
                int p = k < nTrain ? 0 : k < nTrainVal ? 1 : 2;
                parts[p][counts[p]++] = perm[k];
            }
        }
        for (int p = 0; p < 3; p++) {
            parts[p] = Arrays.copyOf(parts[p], counts[p]);
            Arrays.sort(parts[p]);
        }
        return parts;
    }

    /** All rows as one group, or one group per class (rows in original order). */
    static List<int[]> groups(Dataset data, boolean stratified) {
        int n = data.size();
        List<int[]> groups = new ArrayList<>();
        if (!stratified) {
            int[] all = new int[n];
            for (int i = 0; i < n; i++) all[i] = i;
            groups.add(all);
            return groups;
        }
        if (!data.hasLabels()) throw new EngineException("a stratified split needs class labels; this dataset has none");
        int[] labels = data.rawLabels();
        int k = data.numClasses();
        int[] count = new int[k];
        for (int l : labels) count[l]++;
        int[][] byClass = new int[k][];
        for (int c = 0; c < k; c++) byClass[c] = new int[count[c]];
        int[] fill = new int[k];
        for (int i = 0; i < n; i++) byClass[labels[i]][fill[labels[i]]++] = i;
        for (int[] g : byClass) if (g.length > 0) groups.add(g);
        return groups;
    }
}
