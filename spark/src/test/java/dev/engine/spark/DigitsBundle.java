package dev.engine.spark;

import dev.engine.autograd.Generator;
import dev.engine.autograd.Tensor;
import dev.engine.data.Dataset;
import dev.engine.data.Digits;
import dev.engine.data.Pipeline;
import dev.engine.data.PipelineTransform;
import dev.engine.data.Scale;
import dev.engine.data.Split;
import dev.engine.inference.Bundle;
import dev.engine.inference.Freezer;
import dev.engine.inference.FrozenModel;
import dev.engine.inference.PostProcessor;
import dev.engine.nn.Linear;
import dev.engine.nn.ReLU;
import dev.engine.nn.Sequential;
import dev.engine.nn.loss.CrossEntropyLoss;
import dev.engine.optim.Adam;
import dev.engine.train.Trainer;
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
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** A small digits classifier (64-32-10, pixels scaled by the bundle's own preprocessing), trained once per JVM. */
final class DigitsBundle {
    private static Path path;

    private DigitsBundle() {}

    static synchronized Path get() throws Exception {
        if (path != null) return path;
        Split s = Digits.trainTestSplit();
        Pipeline prep = Pipeline.of(new Scale(1f / 16)).fit(s.train());
        Dataset train = prep.applyTraining(s.train());
        Generator g = new Generator(7);
        Sequential net = new Sequential(new Linear(64, 32, g), new ReLU(), new Linear(32, 10, g));
        Trainer.builder(net, new CrossEntropyLoss(), new Adam(net.parameters(), 1e-2)).epochs(3).batchSize(32).seed(1).build().fit(train);
        Path dir = Files.createTempDirectory("engine-spark-test");
        dir.toFile().deleteOnExit();
        Path p = dir.resolve("digits.bundle");
        try (FrozenModel frozen = Freezer.freeze(net, Tensor.zeros(1, 64))) {
            Bundle.save(p, frozen, new PipelineTransform(prep), PostProcessor.softmax(Digits.load().classNames()));
        }
        p.toFile().deleteOnExit();
        path = p;
        return p;
    }

    /** All 1,797 raw digits rows: id, the pixels as a Vector, as array<float>, as array<double> and as p0..p63. */
    static org.apache.spark.sql.Dataset<Row> frame(SparkSession spark, int partitions) {
        Dataset d = Digits.load();
        List<StructField> fields = new ArrayList<>(List.of(
                DataTypes.createStructField("id", DataTypes.IntegerType, false),
                DataTypes.createStructField("label_true", DataTypes.IntegerType, false),
                DataTypes.createStructField("features", SQLDataTypes.VectorType(), true),
                DataTypes.createStructField("arr", DataTypes.createArrayType(DataTypes.FloatType), true),
                DataTypes.createStructField("arrd", DataTypes.createArrayType(DataTypes.DoubleType), true)));
        for (int j = 0; j < 64; j++) fields.add(DataTypes.createStructField("p" + j, DataTypes.DoubleType, true));
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < d.size(); i++) rows.add(RowFactory.create(values(i, d.label(i), d.row(i))));
        return spark.createDataFrame(rows, new StructType(fields.toArray(new StructField[0]))).repartition(partitions);
    }

    static Object[] values(int id, int label, float[] px) {
        Object[] v = new Object[5 + 64];
        double[] dv = new double[px.length];
        Float[] fa = new Float[px.length];
        Double[] da = new Double[px.length];
        for (int j = 0; j < px.length; j++) { dv[j] = px[j]; fa[j] = px[j]; da[j] = (double) px[j]; }
        v[0] = id; v[1] = label; v[2] = Vectors.dense(dv); v[3] = fa; v[4] = da;
        for (int j = 0; j < 64; j++) v[5 + j] = (double) px[j];
        return v;
    }
}
