package dev.engine.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.data.Digits;
import dev.engine.inference.Prediction;
import dev.engine.inference.Predictor;
import dev.engine.nn.loss.CrossEntropyLoss;
import dev.engine.optim.Adam;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On local-cluster[2,1,1024] every executor is a JVM of its own: the bundle really travels as a broadcast,
 * each executor loads the engine's native library from the jar and builds its own cached Predictor, and an
 * executor can be killed.
 */
class LocalClusterTest {
    static SparkSession spark;

    @BeforeAll static void start() { spark = SparkSessions.localCluster(2); }

    @AfterAll static void stop() { spark.stop(); }

    @Test void twoExecutorJvmsScoreEveryRowExactlyAsThePlainPredictor() throws Exception {
        Path bundle = DigitsBundle.get();
        var d = Digits.load();
        Prediction[] expected = new Prediction[d.size()];
        try (Predictor p = Predictor.load(bundle)) {
            for (int i = 0; i < d.size(); i++) expected[i] = p.predict(d.row(i));
        }
        Dataset<Row> df = DigitsBundle.frame(spark, 4);
        List<Row> rows = new EnginePredictor().setModelPath(bundle.toUri().toString()).setInputCol("features")
                .setBatchSize(128).setEngineThreads(1).transform(df).select("id", "label", "probability").collectAsList();
        assertEquals(d.size(), rows.size());
        for (Row r : rows) {
            Prediction e = expected[r.getInt(0)];
            assertEquals(e.label(), r.getString(1), "row " + r.getInt(0));
            assertEquals(e.probability(), r.getDouble(2), 0.0, "row " + r.getInt(0));
        }
        long driver = ProcessHandle.current().pid();
        // each task holds its executor's only core for a moment, so the four tasks spread over both executors
        // (instant tasks may all land on whichever executor is offered first)
        JavaRDD<Long> pids = df.javaRDD().mapPartitions(it -> {
            Thread.sleep(500);
            return List.of(ProcessHandle.current().pid()).iterator();
        });
        Set<Long> executors = new HashSet<>(pids.collect());
        assertTrue(!executors.contains(driver) && executors.size() == 2, "executor JVMs " + executors + ", driver " + driver);
    }

    @Test void anExecutorKilledMidRoundNeitherFailsTheJobNorChangesTheModel(@TempDir Path dir) {
        Dataset<Row> train = DigitsTraining.frame(spark, DigitsTraining.TRAIN);
        SparkTrainer clean = SparkTrainer.builder(DigitsTraining::mlp, CrossEntropyLoss::new, p -> new Adam(p, 2e-3))
                .workers(2).averagingFrequency(8).epochs(1).batchSize(32).build();
        clean.fit(train);
        Path marker = dir.resolve("killed");
        SparkTrainer killed = SparkTrainer.builder(DigitsTraining::mlp, CrossEntropyLoss::new, p -> new Adam(p, 2e-3))
                .workers(2).averagingFrequency(8).epochs(1).batchSize(32).roundHook(new FailOnce(marker, 0, 1, 1, true, false)).build();
        killed.fit(train);
        assertTrue(FailOnce.fired(marker), "no executor was killed");
        double d = TensorState.of(clean.model().stateDict()).maxAbsDiff(TensorState.of(killed.model().stateDict()));
        assertTrue(d < 1e-6, "the run with a killed executor differs from the clean one by " + d);
        assertTrue(killed.evaluate(DigitsTraining.TEST).accuracy() > 0.5);
    }
}
