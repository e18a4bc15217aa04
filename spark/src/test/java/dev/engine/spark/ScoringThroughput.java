package dev.engine.spark;

import dev.engine.api.Backends;
import dev.engine.data.Digits;
import dev.engine.inference.Predictor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Rows per second of EnginePredictor on local[1], local[2], local[4] against a plain Predictor loop over the
 * same rows (batches of 256, one kernel thread), each measured {@code REPS} times, medians reported. Not a
 * test: run it by hand (README of the spark module). Arguments: rows (default 200000), reps (default 5),
 * model: {@code digits} (the tests' 64-32-10 bundle, rows = the 1,797 digits repeated) or {@code fashion}
 * (a 784-256-128-10 MLP, 1 epoch on 10,000 rows; rows = the 10,000 Fashion-MNIST test images repeated).
 */
public final class ScoringThroughput {
    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 200_000, reps = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        boolean fashion = args.length > 2 && args[2].equals("fashion");
        Path bundle = fashion
                ? FashionBundle.create(java.nio.file.Files.createTempDirectory("throughput").resolve("fashion.bundle"), 10_000, 1, 256, 128)
                : DigitsBundle.get();
        dev.engine.data.Dataset d = fashion ? FashionData.load().test() : Digits.load();
        int width = d.featureSize();
        System.out.printf(Locale.ROOT, "model %s, %d rows of %d values%n", fashion ? "fashion 784-256-128-10" : "digits 64-32-10", n, width);
        float[][] rows = new float[n][];
        for (int i = 0; i < n; i++) rows[i] = d.row(i % d.size());
        Backends.preferred().setThreads(1);
        double[] plain = new double[reps];
        try (Predictor p = Predictor.load(bundle)) {
            for (int r = 0; r < reps; r++) {
                long t0 = System.nanoTime();
                double sum = 0;
                for (int i = 0; i < n; i += 256) {
                    float[][] batch = Arrays.copyOfRange(rows, i, Math.min(n, i + 256));
                    for (var pr : p.predict(batch)) sum += pr.probability();
                }
                plain[r] = n / ((System.nanoTime() - t0) / 1e9);
                if (sum < 0) System.out.println(sum);
            }
        }
        System.out.printf(Locale.ROOT, "plain Predictor loop (batch 256, 1 thread): %.0f rows/s (median of %d; all %s)%n", median(plain), reps, fmt(plain));
        for (int cores : new int[]{1, 2, 4}) {
            SparkSession spark = SparkSessions.local("local[" + cores + "]");
            StructType schema = new StructType().add("id", DataTypes.IntegerType).add("features", SQLDataTypes.VectorType());
            List<Row> list = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                double[] v = new double[width];
                for (int j = 0; j < width; j++) v[j] = rows[i][j];
                list.add(RowFactory.create(i, Vectors.dense(v)));
            }
            Dataset<Row> df = spark.createDataFrame(list, schema).repartition(cores * 2).cache();
            df.count();
            EnginePredictor ep = new EnginePredictor().setModelPath(bundle.toUri().toString()).setInputCol("features").setBatchSize(256).setEngineThreads(1);
            double[] rate = new double[reps], floor = new double[reps];
            for (int r = 0; r < reps + 1; r++) {   // the first round warms up
                long t0 = System.nanoTime();
                ep.transform(df).agg(functions.sum("probability")).collectAsList();
                if (r > 0) rate[r - 1] = n / ((System.nanoTime() - t0) / 1e9);
                // the same path without the model: rows out to Java objects and back, as EnginePredictor takes them
                long t1 = System.nanoTime();
                spark.createDataFrame(df.javaRDD(), schema).agg(functions.sum("id")).collectAsList();
                if (r > 0) floor[r - 1] = n / ((System.nanoTime() - t1) / 1e9);
            }
            System.out.printf(Locale.ROOT, "EnginePredictor local[%d]: %.0f rows/s (median of %d; all %s)%n", cores, median(rate), reps, fmt(rate));
            System.out.printf(Locale.ROOT, "  Spark row round trip without the model, local[%d]: %.0f rows/s (all %s)%n", cores, median(floor), fmt(floor));
            spark.stop();
        }
    }

    private static double median(double[] v) { double[] s = v.clone(); Arrays.sort(s); return s[s.length / 2]; }

    private static String fmt(double[] v) {
        StringBuilder sb = new StringBuilder();
        for (double x : v) sb.append(sb.length() == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.0f", x));
        return sb.toString();
    }
}
