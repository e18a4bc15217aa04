package dev.engine.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.DType;
import dev.engine.api.EngineException;
import dev.engine.nn.loss.CrossEntropyLoss;
import dev.engine.optim.Adam;
import dev.engine.train.History;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** BF16 mixed precision on the workers, in both modes: the F32 run's loss and accuracy within small margins. */
class SparkMixedPrecisionTest {
    static SparkSession spark;
    static Dataset<Row> train;

    @BeforeAll static void start() {
        spark = SparkSessions.local("local[2]");
        train = DigitsTraining.frame(spark, DigitsTraining.TRAIN).cache();
    }

    @AfterAll static void stop() { spark.stop(); }

    private static SparkTrainer.Builder builder(SparkTrainer.Mode mode) {
        return SparkTrainer.builder(DigitsTraining::mlp, CrossEntropyLoss::new, p -> new Adam(p, 2e-3))
                .mode(mode).workers(2).epochs(8).batchSize(32).seed(0)
                // averaging: every 4 local batches; gradient averaging: one barrier stage per epoch (each costs about a second)
                .averagingFrequency(mode == SparkTrainer.Mode.PARAMETER_AVERAGING ? 4 : 23);
    }

    @Test void bf16WorkersReachTheF32Run() {
        for (SparkTrainer.Mode mode : SparkTrainer.Mode.values()) {
            SparkTrainer f32 = builder(mode).build(), bf16 = builder(mode).mixedPrecision(DType.BF16).build();
            History a = f32.fit(train), b = bf16.fit(train);
            double la = a.last().metric("train_loss"), lb = b.last().metric("train_loss");
            double accA = f32.evaluate(DigitsTraining.TEST).accuracy(), accB = bf16.evaluate(DigitsTraining.TEST).accuracy();
            assertTrue(Math.abs(la - lb) <= 0.03 * la + 0.002, mode + ": BF16 final loss " + lb + " vs F32 " + la);
            assertTrue(Math.abs(accA - accB) <= 0.01, mode + ": BF16 accuracy " + accB + " vs F32 " + accA);
        }
    }

    @Test void f16IsRefusedWithTheReason() {
        EngineException e = assertThrows(EngineException.class, () -> builder(SparkTrainer.Mode.PARAMETER_AVERAGING).mixedPrecision(DType.F16));
        assertEquals("spark trainer: mixed precision is BF16 or F32, not F16 (F16 needs a loss scaler, which the Trainer has)", e.getMessage());
    }
}
