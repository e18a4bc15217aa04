package dev.engine.inference;

import dev.engine.graph.Traceable;
import dev.engine.data.RowTransform;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.EngineException;
import dev.engine.api.ModelFormatException;
import dev.engine.api.ShapeException;
import dev.engine.data.Dataset;
import dev.engine.data.Impute;
import dev.engine.data.Pipeline;
import dev.engine.data.PipelineTransform;
import dev.engine.data.Standardize;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** Every bad argument to the embedding API is an EngineException naming the problem; no NaN comes back. */
class PredictorErrorsTest {
    @TempDir Path dir;

    private static final List<String> LABELS = List.of("a", "b", "c");

    private Path save(RowTransform pre) {
        Path p = dir.resolve("m.model");
        try (FrozenModel m = Freezer.freeze(Models.tinyMlp(3, 4, 6, 3), new long[]{1, 4}, FreezeOptions.defaults())) {
            Bundle.save(p, m, pre, PostProcessor.softmax(LABELS));
        }
        return p;
    }

    private static void engineError(Executable call, String contains) {
        Throwable t = assertThrows(Throwable.class, call);
        assertTrue(t instanceof EngineException, "expected an EngineException, got " + t);
        assertTrue(t.getMessage().contains(contains), t.getMessage());
    }

    @Test void badArgumentsRaiseEngineExceptions() throws Exception {
        engineError(() -> Predictor.load(dir.resolve("missing.model")), "not found");
        engineError(() -> Predictor.load(null), "null");
        engineError(() -> Bundle.load(null), "null");
        Path junk = dir.resolve("junk.model");
        Files.writeString(junk, "not a bundle");
        assertThrows(ModelFormatException.class, () -> Predictor.load(junk));
        engineError(() -> Predictor.load(dir), "could not read bundle");
        try (Predictor p = Predictor.load(save(null))) {
            engineError(() -> p.predict((float[]) null), "null");
            engineError(() -> p.predict((float[][]) null), "null");
            engineError(() -> p.predict(new float[][]{{1, 2, 3, 4}, null}), "row 1 is null");
            assertThrows(ShapeException.class, () -> p.predict(new float[]{1, 2, 3}));
            engineError(() -> p.predict(new float[]{1, Float.POSITIVE_INFINITY, 3, 4}), "value 2 is Infinity");
            engineError(() -> p.predict(new float[]{1, Float.NaN, 3, 4}), "no imputer");
            assertEquals(3, p.predict(new float[]{1, 2, 3, 4}).scores().length);
        }
    }

    @Test void bundleBytesLoadLikeTheFileAndBadBytesNameTheirSource() throws Exception {
        Path p = save(null);
        float[][] rows = {{1, 2, 3, 4}, {-1, 0.5f, 2, 0}};
        try (Predictor fromFile = Predictor.load(p);
             Predictor fromBytes = Predictor.load(Files.readAllBytes(p), dev.engine.api.Backends.preferred(), "hdfs:///m.model")) {
            for (float[] r : rows) org.junit.jupiter.api.Assertions.assertArrayEquals(fromFile.predict(r).scores(), fromBytes.predict(r).scores(), 0f);
            float[] x = new float[8];
            System.arraycopy(fromBytes.prepare(rows[0], "a"), 0, x, 0, 4);
            System.arraycopy(fromBytes.prepare(rows[1], "b"), 0, x, 4, 4);
            Prediction[] both = fromBytes.predictPrepared(x, 2);
            org.junit.jupiter.api.Assertions.assertArrayEquals(fromFile.predict(rows[1]).scores(), both[1].scores(), 0f);
            engineError(() -> fromBytes.prepare(new float[]{1, 2}, "partition 3, row 17"), "partition 3, row 17 has 2 features");
            assertThrows(ShapeException.class, () -> fromBytes.predictPrepared(new float[7], 2));
        }
        Throwable t = assertThrows(ModelFormatException.class, () -> Predictor.load("junk".getBytes(), dev.engine.api.Backends.preferred(), "s3://b/m.model"));
        assertTrue(t.getMessage().contains("s3://b/m.model"), t.getMessage());
    }

    @Test void missingValuesGoThroughTheSavedImputer() {
        Dataset train = Dataset.classification(new float[]{1, 2, 3, 4, 3, 6, 5, 8, 7, 10, 9, 12}, new int[]{4}, new int[]{0, 1, 2});
        Pipeline prep = Pipeline.of(Impute.median(), new Standardize()).fit(train);
        try (Predictor p = Predictor.load(save(new PipelineTransform(prep)))) {
            float[] imputed = p.predict(new float[]{Float.NaN, 6, 5, 8}).scores();
            float[] filled = p.predict(new float[]{3, 6, 5, 8}).scores();   // 3 = the median of column 1 (1, 3, 7)
            org.junit.jupiter.api.Assertions.assertArrayEquals(filled, imputed, 0f);
            engineError(() -> p.predict(new float[]{Float.NEGATIVE_INFINITY, 6, 5, 8}), "finite");
        }
    }

    @Test void nonFiniteWeightsAreRefusedAtLoadNamingTheTensor() throws Exception {
        float[] w = new float[12];
        w[5] = Float.NaN;
        Traceable bad = (t, x) -> t.linear(x, w, 3, 4, new float[]{0, 0, 0});
        byte[] bytes;
        try (FrozenModel m = Freezer.freeze(bad, new long[]{1, 4}, FreezeOptions.defaults())) {
            bytes = Bundle.toBytes(m.graph(), null, PostProcessor.softmax(LABELS));
        }
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Bundle.fromBytes(bytes));
        assertTrue(e.getMessage().contains("weight") && e.getMessage().contains("NaN"), e.getMessage());
        Path p = dir.resolve("nan.model");
        Files.write(p, bytes);
        assertThrows(ModelFormatException.class, () -> Predictor.load(p));
    }
}
