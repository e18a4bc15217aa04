package dev.engine.spark;

import dev.engine.data.Dataset;
import dev.engine.data.Idx;
import dev.engine.data.Split;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Assumptions;

/**
 * Fashion-MNIST from the Debian package's directory (as benchmarks' FashionRun reads it), flattened to 784
 * raw pixel values 0..255 per row. Tests that use it are skipped where the directory is absent (CI).
 */
final class FashionData {
    static final Path DIR = Path.of(System.getProperty("fashion.dir", "/usr/share/datasets/fashion-mnist"));
    private static Split split;

    private FashionData() {}

    /** Skips the calling test unless the dataset is installed. */
    static void assumeInstalled() {
        Assumptions.assumeTrue(Files.isDirectory(DIR), "Fashion-MNIST is not installed in " + DIR);
    }

    /** Train (60,000) and test (10,000) rows, features flat [784], raw 0..255. */
    static synchronized Split load() {
        if (split != null) return split;
        Split s = Idx.loadDirectory(DIR);
        split = new Split(flat(s.train()), flat(s.validation()), flat(s.test()));
        return split;
    }

    private static Dataset flat(Dataset d) {
        return Dataset.classification(d.features(), new int[]{d.featureSize()}, d.labels()).withClassNames(Idx.FASHION_MNIST_CLASSES);
    }

    /** The first {@code n} rows. */
    static Dataset head(Dataset d, int n) {
        int[] idx = new int[Math.min(n, d.size())];
        for (int i = 0; i < idx.length; i++) idx[i] = i;
        return d.subset(idx);
    }

    /** Rows as (id int, features Vector, label int), in order. */
    static org.apache.spark.sql.Dataset<Row> frame(SparkSession spark, Dataset d, int partitions) {
        StructType schema = new StructType()
                .add("id", DataTypes.IntegerType, false)
                .add("features", SQLDataTypes.VectorType(), false)
                .add("label", DataTypes.IntegerType, false);
        List<Row> rows = new ArrayList<>(d.size());
        float[] r = new float[d.featureSize()];
        for (int i = 0; i < d.size(); i++) {
            d.copyRow(i, r, 0);
            double[] v = new double[r.length];
            for (int j = 0; j < r.length; j++) v[j] = r[j];
            rows.add(RowFactory.create(i, Vectors.dense(v), d.label(i)));
        }
        return spark.createDataFrame(rows, schema).repartition(partitions);
    }
}
