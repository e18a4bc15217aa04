package dev.engine.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.EngineException;
import dev.engine.data.Digits;
import dev.engine.inference.Prediction;
import dev.engine.inference.Predictor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Distributed scoring on local[2] gives every row exactly the single-process Predictor's answer. */
class EnginePredictorTest {
    static SparkSession spark;
    static Path bundle;
    static Prediction[] expected;

    @BeforeAll static void start() throws Exception {
        spark = SparkSessions.local("local[2]");
        bundle = DigitsBundle.get();
        var d = Digits.load();
        expected = new Prediction[d.size()];
        try (Predictor p = Predictor.load(bundle)) {
            for (int i = 0; i < d.size(); i++) expected[i] = p.predict(d.row(i));   // one row at a time, the plain loop
        }
    }

    @AfterAll static void stop() { spark.stop(); }

    private static EnginePredictor predictor() {
        return new EnginePredictor().setModelPath(bundle.toUri().toString()).setOutputCols("label", "probability", "scores").setBatchSize(100);
    }

    private static void assertExact(List<Row> rows) {
        assertEquals(Digits.SIZE, rows.size());
        boolean[] seen = new boolean[Digits.SIZE];
        for (Row r : rows) {
            int id = r.getInt(r.fieldIndex("id"));
            seen[id] = true;
            Prediction e = expected[id];
            assertEquals(e.label(), r.getString(r.fieldIndex("label")), "row " + id);
            assertEquals(e.probability(), r.getDouble(r.fieldIndex("probability")), 0.0, "row " + id);
            double[] s = ((Vector) r.get(r.fieldIndex("scores"))).toArray();
            float[] es = e.scores();
            for (int j = 0; j < es.length; j++) assertEquals(es[j], (float) s[j], 0f, "row " + id + " score " + j);
        }
        for (int i = 0; i < seen.length; i++) assertTrue(seen[i], "row " + i + " missing");
    }

    @Test void everyInputKindGivesExactlyThePlainPredictorsAnswerForEveryRow() {
        Dataset<Row> df = DigitsBundle.frame(spark, 5).cache();
        assertExact(predictor().setInputCol("features").transform(df).collectAsList());
        assertExact(predictor().setInputCol("arr").setBatchSize(1).transform(df).collectAsList());
        assertExact(predictor().setInputCol("arrd").setBatchSize(1000).transform(df).collectAsList());
        String[] cols = new String[64];
        for (int j = 0; j < 64; j++) cols[j] = "p" + j;
        assertExact(predictor().setInputCols(cols).transform(df).collectAsList());
        df.unpersist();
    }

    private Dataset<Row> withBadRows() {
        Dataset<Row> good = DigitsBundle.frame(spark, 2).limit(20);
        List<Row> bad = new ArrayList<>();
        Object[] shortRow = DigitsBundle.values(9001, 0, new float[64]);
        shortRow[3] = new Float[]{1f, 2f};
        bad.add(RowFactory.create(shortRow));
        Object[] nullRow = DigitsBundle.values(9002, 0, new float[64]);
        nullRow[3] = null;
        bad.add(RowFactory.create(nullRow));
        Object[] infRow = DigitsBundle.values(9003, 0, new float[64]);
        ((Float[]) infRow[3])[5] = Float.POSITIVE_INFINITY;
        bad.add(RowFactory.create(infRow));
        return good.union(spark.createDataFrame(bad, good.schema())).coalesce(1);
    }

    @Test void invalidRowsFailNamingTheRowOrAreSkippedOrKept() {
        Dataset<Row> df = withBadRows();
        Exception e = assertThrows(Exception.class, () -> predictor().setInputCol("arr").transform(df).collectAsList());
        Throwable c = e;
        while (c != null && !(c instanceof InvalidRowException)) c = c.getCause();
        assertTrue(c != null, "no InvalidRowException in " + e);
        assertTrue(c.getMessage().contains("partition 0, row 20 has 2 values"), c.getMessage());

        List<Row> skipped = predictor().setInputCol("arr").setHandleInvalid("skip").transform(df).collectAsList();
        assertEquals(20, skipped.size());
        for (Row r : skipped) assertTrue(r.getInt(0) < 9000);

        List<Row> kept = predictor().setInputCol("arr").setHandleInvalid("keep").transform(df).collectAsList();
        assertEquals(23, kept.size());
        for (Row r : kept) {
            int id = r.getInt(0);
            int label = r.fieldIndex("label");
            if (id >= 9000) {
                assertNull(r.get(label));
                assertNull(r.get(label + 1));
                assertNull(r.get(label + 2));
            } else {
                assertEquals(expected[id].label(), r.getString(label));
            }
        }
    }

    @Test void badConfigurationFailsOnTheDriverNamingTheProblem() {
        Dataset<Row> df = DigitsBundle.frame(spark, 1);
        EngineException e = assertThrows(EngineException.class, () -> predictor().setInputCol("nope").transform(df));
        assertTrue(e.getMessage().contains("no input column 'nope'"), e.getMessage());
        e = assertThrows(EngineException.class, () -> predictor().setInputCol("id").transform(df));
        assertTrue(e.getMessage().contains("must be an ML Vector"), e.getMessage());
        e = assertThrows(EngineException.class, () -> predictor().setInputCol("arr").setInputCols("p0").transform(df));
        assertTrue(e.getMessage().contains("exactly one of inputCol and inputCols"), e.getMessage());
        e = assertThrows(EngineException.class, () -> predictor().setInputCol("arr").setOutputCols("id").transform(df));
        assertTrue(e.getMessage().contains("'id' already exists"), e.getMessage());
        e = assertThrows(EngineException.class, () -> predictor().setInputCol("arr").setModelPath(bundle.resolveSibling("missing.bundle").toUri().toString()).transform(df));
        assertTrue(e.getMessage().contains("not found"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> predictor().setHandleInvalid("ignore"));
    }

    @Test void savedAndLoadedInsideAPipeline(@TempDir Path dir) throws Exception {
        Pipeline pipeline = new Pipeline().setStages(new PipelineStage[]{predictor().setInputCol("features").setBatchSize(64).setHandleInvalid("skip")});
        Dataset<Row> df = DigitsBundle.frame(spark, 3);
        PipelineModel model = pipeline.fit(df);
        String where = dir.resolve("pipeline").toUri().toString();
        model.write().overwrite().save(where);
        PipelineModel loaded = PipelineModel.load(where);
        EnginePredictor stage = (EnginePredictor) loaded.stages()[0];
        assertEquals(64, stage.getBatchSize());
        assertEquals("skip", stage.getHandleInvalid());
        assertArrayEquals(new String[]{"label", "probability", "scores"}, stage.getOutputCols());
        assertExact(loaded.transform(df).collectAsList());
        EnginePredictor alone = EnginePredictor.load(dir.resolve("pipeline/stages/0_" + stage.uid()).toUri().toString());
        assertEquals(bundle.toUri().toString(), alone.getModelPath());
    }
}
