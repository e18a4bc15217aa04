package dev.engine.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.autograd.MemoryScope;
import dev.engine.autograd.Tensor;
import dev.engine.data.Dataset;
import dev.engine.nn.Module;
import dev.engine.nn.loss.CrossEntropyLoss;
import dev.engine.optim.Adam;
import dev.engine.train.History;
import dev.engine.train.Trainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Gradient averaging every step in barrier stages, on local[4]: synchronous SGD on the digits MLP. */
class GradientAveragingTest {
    static SparkSession spark;
    static org.apache.spark.sql.Dataset<Row> train;

    @BeforeAll static void start() {
        spark = SparkSessions.local("local[4]");
        train = DigitsTraining.frame(spark, DigitsTraining.TRAIN).cache();
    }

    @AfterAll static void stop() { spark.stop(); }

    private static SparkTrainer.Builder sync(int workers, int batchPerWorker) {
        return SparkTrainer.builder(DigitsTraining::mlp, CrossEntropyLoss::new, p -> new Adam(p, 1e-3))
                .mode(SparkTrainer.Mode.GRADIENT_AVERAGING).workers(workers).batchSize(batchPerWorker).seed(0);
    }

    @Test void fourWorkersReachTheSingleProcessAccuracyWithinOnePoint() {
        Module single = DigitsTraining.mlp();
        Trainer t = Trainer.builder(single, new CrossEntropyLoss(), new Adam(single.parameters(), 1e-3)).epochs(30).batchSize(32).seed(0).build();
        t.fit(DigitsTraining.TRAIN);
        double reference = t.evaluate(DigitsTraining.TEST).accuracy();

        // 4 workers x 8 rows = the single process's batch of 32, so the same learning rate and steps per epoch;
        // one barrier stage per epoch (45 synchronous steps)
        long t0 = System.nanoTime();
        SparkTrainer st = sync(4, 8).averagingFrequency(45).epochs(30).build();
        History h = st.fit(train);
        double accuracy = st.evaluate(DigitsTraining.TEST).accuracy();
        System.out.printf(Locale.ROOT, "gradient averaging, digits, 30 epochs: spark local[4] %.4f in %.1f s, single process %.4f%n",
                accuracy, (System.nanoTime() - t0) / 1e9, reference);
        assertEquals(30, h.size());
        assertTrue(h.last().metric("train_loss") < h.epochs().get(0).metric("train_loss") / 5, h.toCsv());
        assertTrue(Math.abs(accuracy - reference) <= 0.01, "spark " + accuracy + " vs single process " + reference);
    }

    @Test void oneWorkerEqualsSingleProcessTrainingStepForStep() {
        // the first 330 training rows: 10 batches of 32 and one of 10, each step a round (a barrier stage of its own)
        int[] first = new int[330];
        for (int i = 0; i < first.length; i++) first[i] = i;
        Dataset d = DigitsTraining.TRAIN.subset(first);
        List<TensorState> spark = new ArrayList<>();
        SparkTrainer[] self = {null};
        SparkTrainer st = sync(1, 32).averagingFrequency(1).epochs(1).shuffle(false)
                .roundListener((epoch, round) -> spark.add(TensorState.of(self[0].model().stateDict()))).build();
        self[0] = st;
        History h = st.fit(DigitsTraining.frame(GradientAveragingTest.spark, d));

        // the same steps in a plain loop: rows in order, batches of 32, the last one of 10
        Module m = DigitsTraining.mlp();
        Adam opt = new Adam(m.parameters(), 1e-3);
        CrossEntropyLoss loss = new CrossEntropyLoss();
        List<TensorState> local = new ArrayList<>();
        for (int from = 0; from < d.size(); from += 32) {
            int n = Math.min(32, d.size() - from);
            float[] x = new float[n * 64];
            long[] y = new long[n];
            for (int i = 0; i < n; i++) { d.copyRow(from + i, x, i * 64); y[i] = d.label(from + i); }
            try (MemoryScope s = MemoryScope.open()) {
                opt.zeroGrad();
                loss.forward(m.forward(Tensor.of(x, n, 64)), Tensor.ofLongs(y, n)).backward();
                opt.step();
            }
            local.add(TensorState.of(m.stateDict()));
        }
        assertEquals(11, local.size());
        assertEquals(local.size(), spark.size());
        double worst = 0;
        for (int i = 0; i < local.size(); i++) {
            double diff = local.get(i).maxAbsDiff(spark.get(i));
            worst = Math.max(worst, diff);
            assertTrue(diff <= 1e-6, "step " + (i + 1) + ": spark differs from the plain loop by " + diff);
        }
        System.out.printf(Locale.ROOT, "gradient averaging, 1 worker: largest weight difference to the plain loop over 11 steps %.3g%n", worst);

        // and the plain loop is the single-process Trainer's epoch
        Module single = DigitsTraining.mlp();
        Trainer t = Trainer.builder(single, new CrossEntropyLoss(), new Adam(single.parameters(), 1e-3)).epochs(1).batchSize(32).shuffle(false).build();
        History th = t.fit(d);
        assertTrue(TensorState.of(single.stateDict()).maxAbsDiff(local.get(10)) <= 1e-6);
        assertEquals(th.last().metric("train_loss"), h.last().metric("train_loss"), 1e-6);
    }

    @Test void aBarrierTaskFailingIsRetriedWithItsStageAndAppliedOnce(@TempDir Path dir) {
        SparkTrainer clean = sync(4, 8).averagingFrequency(20).epochs(1).build();
        clean.fit(train);
        Path marker = dir.resolve("failed");
        SparkTrainer failing = sync(4, 8).averagingFrequency(20).epochs(1).roundHook(new FailOnce(marker, 0, 1, 2, false, false)).build();
        failing.fit(train);
        assertTrue(FailOnce.fired(marker));
        double d = TensorState.of(clean.model().stateDict()).maxAbsDiff(TensorState.of(failing.model().stateDict()));
        assertTrue(d < 1e-6, "the retried run differs from the clean one by " + d);
    }
}
