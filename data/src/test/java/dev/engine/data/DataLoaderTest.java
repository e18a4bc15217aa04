package dev.engine.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.EngineException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class DataLoaderTest {
    /** n rows of shape [2]: (i, -i), label i % 3. */
    static Dataset data(int n) {
        float[] x = new float[2 * n];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            x[2 * i] = i;
            x[2 * i + 1] = -i;
            y[i] = i % 3;
        }
        return Dataset.classification(x, new int[] {2}, y);
    }

    static List<Batch> all(DataLoader loader, int epoch) {
        List<Batch> out = new ArrayList<>();
        try (DataLoader.Epoch it = loader.epoch(epoch)) {
            while (it.hasNext()) out.add(it.next());
        }
        return out;
    }

    static int[] rows(List<Batch> batches) {
        return batches.stream().flatMapToInt(b -> Arrays.stream(b.indices())).toArray();
    }

    @Test
    void everyRowOncePerEpochWithMatchingFeaturesAndLabels() {
        try (DataLoader loader = DataLoader.builder(data(103)).batchSize(10).seed(1).build()) {
            List<Batch> bs = all(loader, 0);
            assertEquals(11, bs.size());
            assertEquals(11, loader.numBatches());
            assertEquals(3, bs.get(10).size());
            assertArrayEquals(new int[] {10, 2}, bs.get(0).shape());
            int[] seen = rows(bs);
            int[] sorted = seen.clone();
            Arrays.sort(sorted);
            for (int i = 0; i < 103; i++) assertEquals(i, sorted[i]);
            assertFalse(Arrays.equals(sorted, seen), "shuffled");
            for (Batch b : bs) {
                for (int k = 0; k < b.size(); k++) {
                    int i = b.indices()[k];
                    assertEquals(i, b.features()[2 * k]);
                    assertEquals(-i, b.features()[2 * k + 1]);
                    assertEquals(i % 3, b.labels()[k]);
                }
            }
        }
    }

    @Test
    void shuffleIsSeededPerEpochAndRepeatable() {
        Dataset d = data(50);
        try (DataLoader a = DataLoader.builder(d).batchSize(8).seed(7).build();
             DataLoader b = DataLoader.builder(d).batchSize(8).seed(7).prefetch(false).build();
             DataLoader c = DataLoader.builder(d).batchSize(8).seed(8).build()) {
            int[] e0 = rows(all(a, 0));
            assertArrayEquals(e0, rows(all(a, 0)), "same epoch twice");
            assertArrayEquals(e0, rows(all(b, 0)), "same seed, without prefetch");
            assertFalse(Arrays.equals(e0, rows(all(a, 1))), "next epoch reshuffles");
            assertFalse(Arrays.equals(e0, rows(all(c, 0))), "other seed");
            assertArrayEquals(rows(all(a, 5)), rows(all(b, 5)), "resume at epoch 5");
            assertArrayEquals(e0, a.order(0));
            // features of identical batches are identical
            assertArrayEquals(all(a, 3).get(2).features(), all(b, 3).get(2).features());
        }
    }

    @Test
    void forEachAdvancesEpochsAndCanBeRewound() {
        try (DataLoader loader = DataLoader.builder(data(20)).batchSize(6).seed(3).build()) {
            List<Integer> first = new ArrayList<>(), second = new ArrayList<>();
            for (Batch b : loader) for (int i : b.indices()) first.add(i);
            for (Batch b : loader) for (int i : b.indices()) second.add(i);
            assertEquals(20, first.size());
            assertTrue(!first.equals(second));
            assertArrayEquals(rows(all(loader, 1)), second.stream().mapToInt(Integer::intValue).toArray());
            loader.setNextEpoch(0);
            List<Integer> again = new ArrayList<>();
            for (Batch b : loader) for (int i : b.indices()) again.add(i);
            assertEquals(first, again);
        }
    }

    @Test
    void breakingOutOfForEachLeaksNoThread() {
        try (DataLoader loader = DataLoader.builder(data(1000)).batchSize(2).build()) {
            java.util.Iterator<Batch> abandoned = loader.iterator();   // what a for-each left by break holds
            abandoned.next();
            Thread t = ((DataLoader.Epoch) abandoned).prefetchThread();
            assertTrue(t.isAlive());
            DataLoader.Epoch next = (DataLoader.Epoch) loader.iterator();
            assertFalse(t.isAlive(), "starting the next epoch stops the abandoned one");
            assertEquals(1, next.number());
            assertTrue(next.hasNext());
        }
    }

    @Test
    void dropLastAndNoShuffle() {
        try (DataLoader loader = DataLoader.builder(data(23)).batchSize(5).shuffle(false).dropLast(true).build()) {
            List<Batch> bs = all(loader, 4);
            assertEquals(4, bs.size());
            assertEquals(4, loader.numBatches());
            for (Batch b : bs) assertEquals(5, b.size());
            int[] r = rows(bs);
            for (int i = 0; i < 20; i++) assertEquals(i, r[i]);
        }
    }

    @Test
    void prefetchThreadStopsOnCloseOfEpochOrLoader() throws Exception {
        DataLoader loader = DataLoader.builder(data(1000)).batchSize(4).build();
        DataLoader.Epoch e = loader.epoch(0);
        Thread t = e.prefetchThread();
        assertNotNull(t);
        assertTrue(t.isDaemon());
        e.next();
        e.close();   // abandoned mid-epoch
        assertFalse(t.isAlive());
        assertThrows(EngineException.class, e::hasNext);

        DataLoader.Epoch f = loader.epoch(1);
        Thread u = f.prefetchThread();
        f.next();
        Thread.sleep(50);   // let it fill its queue and block
        assertTrue(u.isAlive());
        loader.close();
        assertFalse(u.isAlive());
        assertThrows(EngineException.class, () -> loader.epoch(2));

        DataLoader small = DataLoader.builder(data(5)).batchSize(2).build();
        DataLoader.Epoch g = small.epoch(0);
        while (g.hasNext()) g.next();   // exhausting the epoch ends its thread too
        g.prefetchThread().join(5000);
        assertFalse(g.prefetchThread().isAlive());
        small.close();
    }

    @Test
    void regressionTargetsAndImageShapes() {
        float[] x = new float[3 * 4];
        for (int i = 0; i < x.length; i++) x[i] = i;
        Dataset d = Dataset.regression(x, new int[] {1, 2, 2}, new float[] {0.5f, 1.5f, 2.5f});
        try (DataLoader loader = DataLoader.builder(d).batchSize(2).shuffle(false).build()) {
            Batch b = all(loader, 0).get(0);
            assertArrayEquals(new int[] {2, 1, 2, 2}, b.shape());
            assertArrayEquals(new int[] {1, 2, 2}, b.featureShape());
            assertArrayEquals(new float[] {0.5f, 1.5f}, b.targets());
            assertFalse(b.hasLabels());
            assertArrayEquals(Arrays.copyOf(x, 8), b.features());
        }
    }

    @Test
    void missingValuesAreRefused() {
        Dataset d = Dataset.unlabeled(new float[] {1, Float.NaN}, new int[] {1});
        EngineException e = assertThrows(EngineException.class, () -> DataLoader.builder(d).build());
        assertTrue(e.getMessage().contains("missing"), e.getMessage());
        assertThrows(EngineException.class, () -> DataLoader.builder(d).batchSize(0));
    }
}
