package dev.engine.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.EngineException;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SplitsTest {
    /** 1000 rows; feature = row index; classes 0 (600 rows), 1 (300), 2 (100), interleaved. */
    static Dataset imbalanced() {
        int n = 1000;
        float[] x = new float[n];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            x[i] = i;
            y[i] = i % 10 < 6 ? 0 : i % 10 < 9 ? 1 : 2;
        }
        return Dataset.classification(x, new int[] {1}, y);
    }

    static int[] classCounts(Dataset d) {
        int[] c = new int[3];
        for (int l : d.labels()) c[l]++;
        return c;
    }

    @Test
    void stratifiedKeepsClassProportionsInEveryPart() {
        Split s = Splits.trainValTest(imbalanced(), 0.7, 0.2, 1, true);
        assertArrayEquals(new int[] {420, 210, 70}, classCounts(s.train()));
        assertArrayEquals(new int[] {120, 60, 20}, classCounts(s.validation()));
        assertArrayEquals(new int[] {60, 30, 10}, classCounts(s.test()));
    }

    @Test
    void partsAreDisjointAndCoverEveryRow() {
        for (boolean strat : new boolean[] {false, true}) {
            int[][] p = Splits.indices(imbalanced(), 0.6, 0.25, 3, strat);
            assertEquals(600, p[0].length);
            assertEquals(250, p[1].length);
            assertEquals(150, p[2].length);
            boolean[] seen = new boolean[1000];
            for (int[] part : p) {
                for (int i : part) {
                    assertFalse(seen[i], "row " + i + " in two parts");
                    seen[i] = true;
                }
            }
            for (boolean b : seen) assertTrue(b);
            // the datasets hold exactly those rows
            Split s = Splits.trainValTest(imbalanced(), 0.6, 0.25, 3, strat);
            assertEquals((float) p[1][5], s.validation().feature(5, 0));
        }
    }

    @Test
    void sameSeedSameSplitOtherSeedOtherSplit() {
        Dataset d = imbalanced();
        int[][] a = Splits.indices(d, 0.8, 0.1, 42, true);
        int[][] b = Splits.indices(d, 0.8, 0.1, 42, true);
        int[][] c = Splits.indices(d, 0.8, 0.1, 43, true);
        assertTrue(Arrays.deepEquals(a, b));
        assertFalse(Arrays.deepEquals(a, c));
        assertFalse(Arrays.equals(Splits.indices(d, 0.5, 0, 1, false)[0], Splits.indices(d, 0.5, 0, 2, false)[0]));
    }

    @Test
    void trainTestHasEmptyValidationAndFractionsAreChecked() {
        Split s = Splits.trainTest(imbalanced(), 0.8, 0, false);
        assertEquals(800, s.train().size());
        assertEquals(0, s.validation().size());
        assertEquals(200, s.test().size());
        assertThrows(EngineException.class, () -> Splits.trainValTest(imbalanced(), 0.8, 0.3, 0, false));
        Dataset unlabeled = Dataset.unlabeled(new float[] {1, 2}, new int[] {1});
        assertThrows(EngineException.class, () -> Splits.trainTest(unlabeled, 0.5, 0, true));
        assertEquals(1, Splits.trainTest(unlabeled, 0.5, 0, false).train().size());
    }

    @Test
    void kFoldValidatesEveryRowExactlyOnce() {
        Dataset d = imbalanced();
        for (boolean strat : new boolean[] {false, true}) {
            List<KFold.Fold> folds = KFold.split(d, 7, 5, strat);
            assertEquals(7, folds.size());
            int[] times = new int[d.size()];
            for (KFold.Fold f : folds) {
                assertEquals(d.size(), f.train().size() + f.validation().size());
                assertTrue(f.validation().size() == 142 || f.validation().size() == 143, "fold size " + f.validation().size());
                boolean[] inVal = new boolean[d.size()];
                for (int i : f.validationIndices()) { times[i]++; inVal[i] = true; }
                for (int i : f.trainIndices()) assertFalse(inVal[i]);
                assertEquals((float) f.validationIndices()[0], f.validation().feature(0, 0));
            }
            for (int t : times) assertEquals(1, t);
        }
    }

    @Test
    void stratifiedKFoldBalancesClassesAndIsDeterministic() {
        Dataset d = imbalanced();
        for (KFold.Fold f : KFold.split(d, 5, 9, true)) {
            assertArrayEquals(new int[] {120, 60, 20}, classCounts(f.validation()));
        }
        assertTrue(Arrays.deepEquals(KFold.validationIndices(d, 5, 9, true), KFold.validationIndices(d, 5, 9, true)));
        assertFalse(Arrays.deepEquals(KFold.validationIndices(d, 5, 9, true), KFold.validationIndices(d, 5, 10, true)));
        assertThrows(EngineException.class, () -> KFold.split(d, 1, 0, false));
    }
}
