package dev.engine.spark;

import dev.engine.api.EngineException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/**
 * The training rows split into one {@link Shard} per worker: row i (in the DataFrame's order) goes to worker
 * i mod workers, and each shard keeps its rows in that order, so a shard lost with its executor is rebuilt
 * with the same content. Kept in memory (spilling to disk) for the whole fit.
 */
final class Shards {
    private final JavaRDD<Shard> rdd;
    private final int features;
    private final int[] rows;

    private Shards(JavaRDD<Shard> rdd, int features, int[] rows) { this.rdd = rdd; this.features = features; this.rows = rows; }

    JavaRDD<Shard> rdd() { return rdd; }
    int features() { return features; }

    /** Batches in an epoch of the largest shard. */
    int maxSteps(int batchSize) {
        int m = 0;
        for (int r : rows) m = Math.max(m, (r + batchSize - 1) / batchSize);
        return m;
    }

    private record Labeled(float[] x, int y) implements Serializable {}

    static Shards of(Dataset<Row> train, SparkTrainer.Config cfg) {
        RowInput in = RowInput.of(train.schema(), cfg.featuresCol, null);
        int label = labelIndex(train, cfg.labelCol);
        int workers = cfg.workers;
        JavaRDD<Shard> rdd = train.javaRDD().zipWithIndex()
                .mapToPair(t -> new Tuple2<>(t._2(), labeled(in, t._1(), label, t._2())))
                .partitionBy(new HashPartitioner(workers))
                .mapPartitions(it -> {
                    List<Tuple2<Long, Labeled>> all = new ArrayList<>();
                    it.forEachRemaining(all::add);
                    all.sort(Comparator.comparingLong(Tuple2::_1));
                    int f = all.isEmpty() ? 0 : all.get(0)._2().x().length;
                    float[] x = new float[all.size() * f];
                    int[] y = new int[all.size()];
                    for (int i = 0; i < all.size(); i++) {
                        Labeled l = all.get(i)._2();
                        if (l.x().length != f)
                            throw new EngineException("spark trainer: row " + all.get(i)._1() + " has " + l.x().length + " features, row "
                                    + all.get(0)._1() + " has " + f);
                        System.arraycopy(l.x(), 0, x, i * f, f);
                        y[i] = l.y();
                    }
                    return List.of(new Shard(x, y, f)).iterator();
                }, true)
                .persist(StorageLevel.MEMORY_AND_DISK());
        List<Shard> sizes = rdd.map(s -> new Shard(new float[0], new int[s.rows], s.features)).collect();
        int features = -1;
        int[] rows = new int[sizes.size()];
        for (int i = 0; i < rows.length; i++) {
            Shard s = sizes.get(i);
            rows[i] = s.rows;
            if (s.rows == 0) continue;
            if (features >= 0 && s.features != features)
                throw new EngineException("spark trainer: workers hold rows of " + features + " and of " + s.features + " features");
            features = s.features;
        }
        if (features <= 0) { rdd.unpersist(false); throw new EngineException("spark trainer: no training rows"); }
        return new Shards(rdd, features, rows);
    }

    /** Validation rows collected to the driver as a local dataset. */
    static dev.engine.data.Dataset local(Dataset<Row> rows, SparkTrainer.Config cfg) {
        RowInput in = RowInput.of(rows.schema(), cfg.featuresCol, null);
        int label = labelIndex(rows, cfg.labelCol);
        List<Row> all = rows.collectAsList();
        if (all.isEmpty()) throw new EngineException("spark trainer: the validation data has no rows");
        int f = -1;
        float[] x = null;
        int[] y = new int[all.size()];
        for (int i = 0; i < all.size(); i++) {
            Labeled l = labeled(in, all.get(i), label, i);
            if (f < 0) { f = l.x().length; x = new float[all.size() * f]; }
            if (l.x().length != f) throw new EngineException("spark trainer: validation row " + i + " has " + l.x().length + " features, expected " + f);
            System.arraycopy(l.x(), 0, x, i * f, f);
            y[i] = l.y();
        }
        int[] shape = cfg.featureShape == null ? new int[]{f} : cfg.featureShape;
        return dev.engine.data.Dataset.classification(x, shape, y);
    }

    private static int labelIndex(Dataset<Row> df, String col) {
        for (StructField f : df.schema().fields()) {
            if (!f.name().equals(col)) continue;
            if (!(f.dataType() instanceof NumericType))
                throw new EngineException("spark trainer: label column '" + col + "' is " + f.dataType().simpleString() + "; it must hold class indices");
            return df.schema().fieldIndex(col);
        }
        throw new EngineException("spark trainer: no label column '" + col + "'; the data has " + List.of(df.schema().fieldNames()));
    }

    private static Labeled labeled(RowInput in, Row r, int label, long index) {
        float[] x = in.read(r);
        if (x == null) throw new EngineException("spark trainer: row " + index + " has no features (null)");
        for (int j = 0; j < x.length; j++)
            if (!Float.isFinite(x[j])) throw new EngineException("spark trainer: row " + index + ", feature " + (j + 1) + " is " + x[j] + "; training rows must be finite");
        Object v = r.get(label);
        if (v == null) throw new EngineException("spark trainer: row " + index + " has no label (null)");
        double d = ((Number) v).doubleValue();
        if (d < 0 || d != Math.rint(d) || d > Integer.MAX_VALUE)
            throw new EngineException("spark trainer: row " + index + " has label " + d + "; labels must be class indices 0, 1, 2, ...");
        return new Labeled(x, (int) d);
    }
}
