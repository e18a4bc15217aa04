package dev.engine.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.data.Dataset;
import dev.engine.data.Idx;
import dev.engine.data.Split;
import dev.engine.inference.Prediction;
import dev.engine.inference.Predictor;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Fashion-MNIST MLP bundle (784-64-10, raw pixels scaled by the bundle's own preprocessing, two epochs on the
 * first 10,000 training rows) scored on local[4] gives every one of the 10,000 test rows exactly the plain
 * Predictor's answer. Skipped where Fashion-MNIST is not installed.
 */
class FashionScoringTest {
    @Test void everyTestRowScoresExactlyAsThePlainPredictor(@TempDir Path dir) {
        FashionData.assumeInstalled();
        long t0 = System.nanoTime();
        Split s = FashionData.load();
        Path bundle = FashionBundle.create(dir.resolve("fashion-mlp.bundle"), 10_000, 2, 64);
        Dataset test = s.test();
        Prediction[] expected = new Prediction[test.size()];
        int correct = 0;
        try (Predictor p = Predictor.load(bundle)) {
            for (int i = 0; i < test.size(); i++) {
                expected[i] = p.predict(test.row(i));   // one row at a time, the plain loop
                if (expected[i].label().equals(Idx.FASHION_MNIST_CLASSES.get(test.label(i)))) correct++;
            }
        }
        long t1 = System.nanoTime();
        SparkSession spark = SparkSessions.local("local[4]");
        try {
            List<Row> rows = new EnginePredictor().setModelPath(bundle.toUri().toString()).setInputCol("features").setBatchSize(256)
                    .setEngineThreads(1).setOutputCols("predicted", "probability")
                    .transform(FashionData.frame(spark, test, 8)).select("id", "predicted", "probability").collectAsList();
            assertEquals(test.size(), rows.size());
            boolean[] seen = new boolean[test.size()];
            for (Row r : rows) {
                int id = r.getInt(0);
                seen[id] = true;
                assertEquals(expected[id].label(), r.getString(1), "row " + id);
                assertEquals(expected[id].probability(), r.getDouble(2), 0.0, "row " + id);
            }
            for (int i = 0; i < seen.length; i++) assertTrue(seen[i], "row " + i + " missing");
        } finally {
            spark.stop();
        }
        double accuracy = (double) correct / test.size();
        System.out.printf(Locale.ROOT, "fashion scoring: bundle test accuracy %.4f; train + plain loop %.1f s, spark scoring %.1f s%n",
                accuracy, (t1 - t0) / 1e9, (System.nanoTime() - t1) / 1e9);
        assertTrue(accuracy > 0.75, "the bundle is not a real classifier: accuracy " + accuracy);
    }
}
