package dev.engine.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.EngineException;
import dev.engine.nn.Module;
import dev.engine.nn.loss.CrossEntropyLoss;
import dev.engine.optim.Adam;
import dev.engine.train.History;
import dev.engine.train.Trainer;
import java.nio.file.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Parameter averaging on local[4] (a failed task is retried up to once more: local[4,2]). */
class SparkTrainerTest {
    static SparkSession spark;
    static Dataset<Row> train;

    @BeforeAll static void start() {
        spark = SparkSessions.local("local[4,2]");
        train = DigitsTraining.frame(spark, DigitsTraining.TRAIN).cache();
    }

    @AfterAll static void stop() { spark.stop(); }

    private static SparkTrainer.Builder averaging(int epochs) {
        // 4 workers take a quarter of the sequential steps per epoch; the learning rate grows with them (linear scaling)
        return SparkTrainer.builder(DigitsTraining::mlp, CrossEntropyLoss::new, p -> new Adam(p, 4e-3))
                .workers(4).averagingFrequency(4).epochs(epochs).batchSize(32).seed(0);
    }

    private static double diff(Module a, Module b) { return TensorState.of(a.stateDict()).maxAbsDiff(TensorState.of(b.stateDict())); }

    @Test void reachesTheSingleProcessAccuracyWithinOnePointInTheSameEpochs() {
        Module single = DigitsTraining.mlp();
        Trainer t = Trainer.builder(single, new CrossEntropyLoss(), new Adam(single.parameters(), 1e-3)).epochs(30).batchSize(32).seed(0).build();
        t.fit(DigitsTraining.TRAIN);
        double reference = t.evaluate(DigitsTraining.TEST).accuracy();

        SparkTrainer st = averaging(30).validation(DigitsTraining.frame(spark, DigitsTraining.TEST)).build();
        History h = st.fit(train);
        double accuracy = st.evaluate(DigitsTraining.TEST).accuracy();
        assertEquals(30, h.size());
        assertEquals(accuracy, h.last().metric("val_accuracy"), 1e-12);
        assertTrue(h.last().metric("train_loss") < h.epochs().get(0).metric("train_loss") / 5, h.toCsv());
        assertTrue(Math.abs(accuracy - reference) <= 0.01, "spark " + accuracy + " vs single process " + reference);
    }

    @Test void aTaskFailingMidRoundIsRetriedAndAppliedOnce(@TempDir Path dir) {
        SparkTrainer clean = averaging(2).build();
        clean.fit(train);
        Path marker = dir.resolve("failed");
        SparkTrainer failing = averaging(2).roundHook(new FailOnce(marker, 1, 1, 2, false, false)).build();
        failing.fit(train);
        assertTrue(FailOnce.fired(marker));
        double d = diff(clean.model(), failing.model());
        assertTrue(d < 1e-6, "the retried run differs from the clean one by " + d);
    }

    @Test void aFailedJobResumesFromItsLastRound(@TempDir Path dir) {
        SparkTrainer clean = averaging(2).build();
        History cleanHistory = clean.fit(train);
        Path ckpt = dir.resolve("ckpt");
        SparkTrainer doomed = averaging(2).checkpointDir(ckpt).roundHook(new FailOnce(dir.resolve("m"), 1, 2, 0, false, true)).build();
        assertThrows(Exception.class, () -> doomed.fit(train));
        SparkTrainer resumed = averaging(2).checkpointDir(ckpt).resume(true).build();
        History h = resumed.fit(train);
        assertEquals(2, h.size());
        assertEquals(cleanHistory.epochs().get(0).metric("train_loss"), h.epochs().get(0).metric("train_loss"), 1e-9);
        assertEquals(cleanHistory.last().metric("train_loss"), h.last().metric("train_loss"), 1e-6);
        double d = diff(clean.model(), resumed.model());
        assertTrue(d < 1e-6, "the resumed run differs from the clean one by " + d);
        EngineException e = assertThrows(EngineException.class, () -> averaging(2).workers(3).checkpointDir(ckpt).resume(true).build().fit(train));
        assertTrue(e.getMessage().contains("resume with the same"), e.getMessage());
    }
}
