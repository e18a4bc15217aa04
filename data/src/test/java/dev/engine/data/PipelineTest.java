package dev.engine.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.EngineException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PipelineTest {
    @TempDir Path dir;

    static final String TRAIN = "color,a,b,y\nred,1,10,0\nblue,2,NA,1\nred,3,60,0\nred,3,60,0\ngreen,,20,1\n";
    static final String TEST = "color,a,b,y\nred,6,7,0\nyellow,NA,5,1\nblue,2,,1\n";

    static Dataset csv(String text) {
        return Csv.parse(text, "t.csv").labelColumn("y").categorical("color").build();
    }

    private Pipeline roundTrip(Pipeline p, String name) {
        Path f = dir.resolve(name);
        p.save(f);
        return Pipeline.load(f);
    }

    @Test
    void everyStepSurvivesSaveAndLoadWithIdenticalOutputs() {
        Dataset train = csv(TRAIN), test = csv(TEST);
        List<Preprocessor> tabular = List.of(Impute.median(), Impute.mean(), Impute.mostFrequent(), Impute.constant(3),
                new OneHotEncode(), new OrdinalEncode(), new DeDuplicate(), new Flatten(), new Scale(2, 1));
        int i = 0;
        for (Preprocessor step : tabular) {
            Pipeline p = Pipeline.of(step).fit(train);
            Pipeline q = roundTrip(p, "step" + i++);
            assertArrayEquals(p.apply(test).features(), q.apply(test).features(), step.kind());
            assertArrayEquals(p.applyTraining(train).features(), q.applyTraining(train).features(), step.kind());
        }
        // numeric steps after imputation (they pass NaN through)
        for (Preprocessor step : List.of(new Standardize(), new MinMaxScale(-1, 1), Standardize.columns("a"))) {
            Pipeline p = Pipeline.of(Impute.mean(), step).fit(train);
            Pipeline q = roundTrip(p, "num" + i++);
            assertArrayEquals(p.apply(test).features(), q.apply(test).features(), step.kind());
        }
        Dataset imgs = Dataset.unlabeled(new float[] {1, 3, 10, 10, 5, 7, 20, 20}, new int[] {2, 1, 2});
        for (Preprocessor step : List.of(ImageNormalize.fromData(), new ImageNormalize(new float[] {1, 2}, new float[] {3, 4}))) {
            Pipeline p = Pipeline.of(step, new Flatten()).fit(imgs);
            Pipeline q = roundTrip(p, "img" + i++);
            assertArrayEquals(p.apply(imgs).features(), q.apply(imgs).features());
            assertArrayEquals(new int[] {4}, q.outputShape());
        }
    }

    @Test
    void fullTabularPipelineTransformMatchesApplyAfterReload() {
        Dataset train = csv(TRAIN), test = csv(TEST);
        Pipeline p = Pipeline.of(new DeDuplicate(), Impute.median(), new OneHotEncode(), new Standardize()).fit(train);
        assertArrayEquals(new int[] {3}, p.inputShape());
        assertArrayEquals(new int[] {5}, p.outputShape());   // blue, green, red, a, b
        assertEquals(4, p.applyTraining(train).size());      // the duplicate row is gone
        assertEquals(5, p.apply(train).size());
        Pipeline q = roundTrip(p, "full.pipeline");
        Dataset a = p.apply(test), b = q.apply(test);
        assertArrayEquals(a.features(), b.features());
        assertEquals(List.of("color=blue", "color=green", "color=red", "a", "b"), a.columnNames());
        assertEquals(0, a.countMissing());
        // single-row inference on a raw row: codes in the pipeline's vocabulary (OneHotEncode.categories)
        OneHotEncode enc = (OneHotEncode) q.steps().get(2);
        float red = enc.categories(0).indexOf("red");
        float[] raw = {red, 6, 7};
        assertArrayEquals(a.row(0), q.transform(raw));
        assertArrayEquals(p.transform(raw), q.transform(raw));
    }

    @Test
    void categoryCodesOfOtherFilesAreMatchedByName() {
        Dataset train = csv(TRAIN);   // colors: blue, green, red (red most frequent)
        Dataset other = csv("color,a,b,y\nazure,1,1,0\n,2,2,1\nred,3,3,0\n");   // own codes: azure 0, red 1
        Pipeline p = Pipeline.of(Impute.mostFrequent(), new OneHotEncode()).fit(train);
        assertEquals(List.of("blue", "green", "red"), p.categories(0));
        Pipeline q = roundTrip(p, "cats.pipeline");
        float[] expected = {0, 0, 0, 1, 1,    // azure: unknown, all zeros
                            0, 0, 1, 2, 2,    // missing: imputed as red
                            0, 0, 1, 3, 3};   // red
        assertArrayEquals(expected, p.apply(other).features());
        assertArrayEquals(expected, q.apply(other).features());
        assertArrayEquals(new float[] {0, 0, 1, 2, 2}, q.transform(new float[] {Float.NaN, 2, 2}));
        // a standalone Impute matches names too
        Impute imp = Impute.mostFrequent().fit(train);
        assertEquals("red", imp.apply(other).categories(0).get((int) imp.apply(other).feature(1, 0)));
    }

    @Test
    void laterStepsAreFittedOnDeDuplicatedTrainingRows() {
        Dataset d = Dataset.unlabeled(new float[] {0, 0, 0, 6}, new int[] {1});
        Pipeline p = Pipeline.of(new DeDuplicate(), new Standardize()).fit(d);
        assertEquals(3f, ((Standardize) p.steps().get(1)).mean()[0]);
    }

    @Test
    void saveIsAtomicAndReplacesExistingFile() throws Exception {
        Dataset train = csv(TRAIN);
        Path f = dir.resolve("prep.pipeline");
        Pipeline.of(Impute.mean()).fit(train).save(f);
        Pipeline.of(Impute.constant(7)).fit(train).save(f);
        assertArrayEquals(new float[] {7, 7, 7}, Pipeline.load(f).transform(new float[] {Float.NaN, Float.NaN, Float.NaN}));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(f), s.toList());   // no temporary file left behind
        }
    }

    @Test
    void corruptTruncatedOrForeignFilesAreRejected() throws Exception {
        Path f = dir.resolve("p.pipeline");
        Pipeline.of(new Standardize()).fit(Dataset.unlabeled(new float[] {1, 2, 3}, new int[] {1})).save(f);
        byte[] good = Files.readAllBytes(f);
        byte[] flipped = good.clone();
        flipped[20] ^= 1;
        Files.write(f, flipped);
        DataFormatException e = assertThrows(DataFormatException.class, () -> Pipeline.load(f));
        assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains("checksum"), e.getMessage());
        Files.write(f, java.util.Arrays.copyOf(good, good.length - 10));
        assertThrows(DataFormatException.class, () -> Pipeline.load(f));
        Files.writeString(f, "definitely not a pipeline file");
        assertTrue(assertThrows(DataFormatException.class, () -> Pipeline.load(f)).getMessage().contains("bad magic"));
        assertThrows(EngineException.class, () -> Pipeline.of(new Standardize()).save(f));
    }

    @Test
    void unknownVersionIsReported() {
        Pipeline p = Pipeline.of(new Scale(2)).fit(Dataset.unlabeled(new float[] {1}, new int[] {1}));
        byte[] b = p.toBytes();
        b[11] = 9;   // version int follows the 8-byte magic
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(b, 0, b.length - 8);
        java.nio.ByteBuffer.wrap(b, b.length - 8, 8).putLong(crc.getValue());
        DataFormatException e = assertThrows(DataFormatException.class, () -> Pipeline.fromBytes(b, "v.pipeline"));
        assertTrue(e.getMessage().contains("version 9"), e.getMessage());
    }

    @Test
    void singleRowWithUnimputedMissingValueFailsInsteadOfReturningNaN() {
        Pipeline p = Pipeline.of(new Standardize()).fit(Dataset.unlabeled(new float[] {1, 2, 3, 4}, new int[] {2}));
        EngineException e = assertThrows(EngineException.class, () -> p.transform(new float[] {1, Float.NaN}));
        assertTrue(e.getMessage().contains("Impute"), e.getMessage());
    }

    @Test
    void inputShapeIsChecked() {
        Pipeline p = Pipeline.of(new Scale(2)).fit(Dataset.unlabeled(new float[] {1, 2}, new int[] {2}));
        assertThrows(EngineException.class, () -> p.transform(new float[] {1}));
        assertThrows(EngineException.class, () -> p.apply(Dataset.unlabeled(new float[] {1}, new int[] {1})));
        assertArrayEquals(new float[] {2, 4}, Pipeline.of().fit(Dataset.unlabeled(new float[] {2, 4}, new int[] {2})).transform(new float[] {2, 4}));
    }
}
