package dev.engine.spark;

import dev.engine.autograd.Generator;
import dev.engine.data.Dataset;
import dev.engine.data.Digits;
import dev.engine.data.Pipeline;
import dev.engine.data.Scale;
import dev.engine.data.Split;
import dev.engine.nn.Linear;
import dev.engine.nn.Module;
import dev.engine.nn.ReLU;
import dev.engine.nn.Sequential;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** The digits reference setup (README of shared/data): first 1,437 rows train, last 360 test, pixels / 16, a 64-128-10 MLP. */
final class DigitsTraining {
    static final Dataset TRAIN, TEST;

    static {
        Split s = Digits.trainTestSplit();
        Pipeline prep = Pipeline.of(new Scale(1f / 16)).fit(s.train());
        TRAIN = prep.apply(s.train());
        TEST = prep.apply(s.test());
    }

    private DigitsTraining() {}

    /** The same initial weights every call (seeded), on the driver and on every worker. */
    static Module mlp() {
        Generator g = new Generator(0);
        return new Sequential(new Linear(64, 128, g), new ReLU(), new Linear(128, 10, g));
    }

    /** Rows as (features Vector, label int). */
    static org.apache.spark.sql.Dataset<Row> frame(SparkSession spark, Dataset d) {
        StructType schema = new StructType()
                .add("features", SQLDataTypes.VectorType(), false)
                .add("label", DataTypes.IntegerType, false);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < d.size(); i++) {
            float[] r = d.row(i);
            double[] v = new double[r.length];
            for (int j = 0; j < r.length; j++) v[j] = r[j];
            rows.add(RowFactory.create(Vectors.dense(v), d.label(i)));
        }
        return spark.createDataFrame(rows, schema);
    }
}
