package dev.engine.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.engine.autograd.Generator;
import dev.engine.autograd.Tensor;
import dev.engine.data.Dataset;
import dev.engine.data.Digits;
import dev.engine.data.Split;
import dev.engine.nn.Dropout;
import dev.engine.nn.Linear;
import dev.engine.nn.Module;
import dev.engine.nn.ReLU;
import dev.engine.nn.Sequential;
import dev.engine.nn.loss.CrossEntropyLoss;
import dev.engine.nn.loss.MSELoss;
import dev.engine.optim.Adam;
import dev.engine.optim.SGD;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {
    private static Dataset scaled(Dataset d) {
        float[] x = d.features();
        for (int i = 0; i < x.length; i++) x[i] /= 16f;
        return Dataset.classification(x, d.featureShape(), d.labels());
    }

    private static Sequential mlp(long seed, boolean dropout) {
        Generator g = new Generator(seed);
        return dropout
                ? new Sequential(new Linear(64, 32, g), new ReLU(), new Dropout(0.2, 9), new Linear(32, 10, g))
                : new Sequential(new Linear(64, 128, g), new ReLU(), new Linear(128, 10, g));
    }

    /** The README's reference run: 64-128-10 MLP, Adam 1e-3, batch 32, 30 epochs; PyTorch reaches ~0.90. */
    @Test void digitsMlpReachesReferenceAccuracy(@TempDir Path dir) throws Exception {
        Split s = Digits.trainTestSplit();
        Dataset train = scaled(s.train()), test = scaled(s.test());
        Sequential model = mlp(0, false);
        Trainer t = Trainer.builder(model, new CrossEntropyLoss(), new Adam(model.parameters(), 1e-3))
                .epochs(30).batchSize(32).seed(0).validation(test).build();
        History h = t.fit(train);
        assertEquals(30, h.size());
        double acc = t.evaluate(test).accuracy();
        assertTrue(acc >= 0.90, "digits test accuracy " + acc + " below the PyTorch reference 0.90");
        assertTrue(h.series("train_loss")[29] < h.series("train_loss")[0] / 5);
        h.writeCsv(dir.resolve("h.csv"));
        h.plot(dir.resolve("h.png"));
        String csv = Files.readString(dir.resolve("h.csv"));
        assertTrue(csv.startsWith("epoch,train_loss,val_loss,val_accuracy"), csv.lines().findFirst().orElse(""));
        assertEquals(31, csv.lines().count());
        byte[] png = Files.readAllBytes(dir.resolve("h.png"));
        assertEquals((byte) 0x89, png[0]);
        assertEquals('P', png[1]);
    }

    @Test void earlyStoppingStopsWhenTheMetricStalls() {
        Split s = Digits.trainTestSplit();
        Dataset train = scaled(s.train()).subset(range(200)), test = scaled(s.test());
        Sequential model = mlp(1, false);
        // lr 0 never improves: training stops after exactly 1 + patience epochs
        Trainer t = Trainer.builder(model, new CrossEntropyLoss(), new SGD(model.parameters(), 0.0))
                .epochs(20).batchSize(50).validation(test).earlyStopping("val_loss", 3).build();
        History h = t.fit(train);
        assertEquals(4, h.size());
        assertTrue(t.stoppedEarly());
        assertEquals(0, t.bestEpoch());
    }

    @Test void resumingFromACheckpointContinuesBitIdentically(@TempDir Path dir) {
        Split s = Digits.trainTestSplit();
        Dataset train = scaled(s.train()).subset(range(300)), test = scaled(s.test()).subset(range(100));
        // reference: 4 epochs straight (dropout included so its offsets must be restored too)
        Sequential a = mlp(5, true);
        Trainer.builder(a, new CrossEntropyLoss(), new Adam(a.parameters(), 1e-2)).epochs(4).batchSize(32).seed(3).validation(test).build().fit(train);
        // 2 epochs, checkpoint, then a fresh model and optimizer resume for the last 2
        Sequential b = mlp(5, true);
        Trainer.builder(b, new CrossEntropyLoss(), new Adam(b.parameters(), 1e-2)).epochs(2).batchSize(32).seed(3).validation(test)
                .checkpointDir(dir).build().fit(train);
        assertTrue(Files.exists(dir.resolve("last.safetensors")));
        assertTrue(Files.exists(dir.resolve("best.safetensors")));
        Sequential c = mlp(77, true);  // different init: everything must come from the checkpoint
        History h = Trainer.builder(c, new CrossEntropyLoss(), new Adam(c.parameters(), 1e-2)).epochs(4).batchSize(32).seed(3)
                .validation(test).checkpointDir(dir).resume(true).build().fit(train);
        assertEquals(4, h.size());
        Map<String, Tensor> sa = a.stateDict(), sc = c.stateDict();
        for (String k : sa.keySet()) assertArrayEquals(sa.get(k).toFloatArray(), sc.get(k).toFloatArray(), 0f, k);
    }

    @Test void regressionTaskReportsRegressionMetrics() {
        Generator g = new Generator(4);
        int n = 256;
        float[] x = new float[n * 2], y = new float[n];
        for (int i = 0; i < n; i++) {
            x[2 * i] = (float) g.nextGaussian();
            x[2 * i + 1] = (float) g.nextGaussian();
            y[i] = 2 * x[2 * i] - x[2 * i + 1] + 0.5f;
        }
        Dataset d = Dataset.regression(x, new int[]{2}, y);
        Module m = new Linear(2, 1, g);
        Module model = new Sequential(m, new dev.engine.nn.Flatten(0, -1));
        Trainer t = Trainer.builder(model, new MSELoss(), new Adam(model.parameters(), 0.05)).task(Task.REGRESSION)
                .epochs(40).batchSize(32).validation(d).build();
        t.fit(d);
        Evaluation e = t.evaluate(d);
        assertTrue(e.regression().r2() > 0.99, "R² " + e.regression().r2());
        assertTrue(e.metrics().containsKey("mae"));
    }

    @Test void earlyStoppingPutsTheBestEpochsWeightsBack() {
        Split s = Digits.trainTestSplit();
        // 60 training rows and a fast learning rate overfit: validation loss bottoms out, then rises
        Dataset train = scaled(s.train()).subset(range(60)), val = scaled(s.test()).subset(range(200));
        Sequential model = mlp(2, false);
        Trainer t = Trainer.builder(model, new CrossEntropyLoss(), new Adam(model.parameters(), 0.05))
                .epochs(40).batchSize(20).validation(val).earlyStopping("val_loss", 8).build();
        History h = t.fit(train);
        double[] v = h.series("val_loss");
        int best = 0;
        for (int e = 1; e < v.length; e++) if (v[e] < v[best]) best = e;
        assertTrue(best < v.length - 1, "the setup must overfit: best epoch " + best + " of " + v.length);
        assertEquals(best, t.bestEpoch());
        assertEquals(best, t.keptEpoch());
        // the model now holds the best epoch's weights: its validation loss is that epoch's, not the last one's
        assertEquals(v[best], t.evaluate(val).loss(), 1e-5);
    }

    @Test void restoringTheBestWeightsCanBeTurnedOff() {
        Split s = Digits.trainTestSplit();
        Dataset train = scaled(s.train()).subset(range(60)), val = scaled(s.test()).subset(range(200));
        Sequential model = mlp(2, false);
        Trainer t = Trainer.builder(model, new CrossEntropyLoss(), new Adam(model.parameters(), 0.05))
                .epochs(40).batchSize(20).validation(val).earlyStopping("val_loss", 8).restoreBestWeights(false).build();
        History h = t.fit(train);
        assertEquals(h.size() - 1, t.keptEpoch());
        assertEquals(h.last().metric("val_loss"), t.evaluate(val).loss(), 1e-5);
    }

    @Test void anExplodingLossStopsTrainingWithAClearMessage() {
        Split s = Digits.trainTestSplit();
        Dataset train = scaled(s.train()).subset(range(300));
        Sequential model = mlp(1, false);
        Trainer t = Trainer.builder(model, new CrossEntropyLoss(), new Adam(model.parameters(), 1e9)).epochs(5).batchSize(32).build();
        dev.engine.api.EngineException e = assertThrows(dev.engine.api.EngineException.class, () -> t.fit(train));
        assertTrue(e.getMessage().contains("training diverged"), e.getMessage());
        assertTrue(e.getMessage().contains("learning rate"), e.getMessage());
    }

    @Test void resumeProblemsAreErrors(@TempDir Path dir) {
        Split s = Digits.trainTestSplit();
        Dataset train = scaled(s.train()).subset(range(100));
        Sequential a = mlp(5, false);
        // resume without a directory, or with nothing in it
        assertThrows(dev.engine.api.EngineException.class, () -> Trainer.builder(a, new CrossEntropyLoss(), new Adam(a.parameters(), 1e-3))
                .epochs(2).resume(true).build().fit(train));
        dev.engine.api.EngineException none = assertThrows(dev.engine.api.EngineException.class,
                () -> Trainer.builder(a, new CrossEntropyLoss(), new Adam(a.parameters(), 1e-3)).epochs(2).checkpointDir(dir).resume(true).build().fit(train));
        assertTrue(none.getMessage().contains("nothing to resume"), none.getMessage());
        Trainer.builder(a, new CrossEntropyLoss(), new Adam(a.parameters(), 1e-3)).epochs(3).checkpointDir(dir).build().fit(train);
        // fewer epochs than the checkpoint already has: an error, not zero epochs trained silently
        Sequential b = mlp(5, false);
        dev.engine.api.EngineException fewer = assertThrows(dev.engine.api.EngineException.class,
                () -> Trainer.builder(b, new CrossEntropyLoss(), new Adam(b.parameters(), 1e-3)).epochs(2).checkpointDir(dir).resume(true).build().fit(train));
        assertTrue(fewer.getMessage().contains("already trained 3 epochs"), fewer.getMessage());
    }

    private static int[] range(int n) {
        int[] r = new int[n];
        for (int i = 0; i < n; i++) r[i] = i;
        return r;
    }
}
