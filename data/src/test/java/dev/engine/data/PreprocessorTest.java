package dev.engine.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.EngineException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each step: fitted on training rows, checked against hand-computed values. Saving is in PipelineTest. */
class PreprocessorTest {
    static final float NaN = Float.NaN;
    static final float EPS = 1e-5f;

    static Dataset rows(int width, float... x) {
        return Dataset.unlabeled(x, new int[] {width});
    }

    @Test
    void standardizeUsesTrainingMeanAndPopulationStd() {
        Standardize s = new Standardize().fit(rows(2, 1, 10, 2, 20, 3, 60));
        // col0: mean 2, std sqrt(2/3); col1: mean 30, std sqrt(1400/3)
        assertArrayEquals(new float[] {2.4494897f, 0f}, s.transform(new float[] {4, 30}), EPS);
        assertArrayEquals(new float[] {2, 30}, s.mean(), EPS);
        Dataset test = s.apply(rows(2, 2, 51.60247f));
        assertArrayEquals(new float[] {0, 1}, test.features(), EPS);
        // a constant column maps to 0, NaN stays NaN, and NaN is ignored when fitting
        Standardize c = new Standardize().fit(rows(2, 5, 1, 5, NaN, 5, 3));
        float[] out = c.transform(new float[] {5, NaN});
        assertEquals(0f, out[0]);
        assertTrue(Float.isNaN(out[1]));
        assertArrayEquals(new float[] {0, 1}, c.transform(new float[] {5, 3}), EPS);
    }

    @Test
    void minMaxScaleMapsTrainingRange() {
        MinMaxScale m = new MinMaxScale().fit(rows(2, 1, 10, 2, 20, 3, 60));
        assertArrayEquals(new float[] {1.5f, 0.4f}, m.transform(new float[] {4, 30}), EPS);
        MinMaxScale sym = new MinMaxScale(-1, 1).fit(rows(2, 1, 10, 2, 20, 3, 60));
        assertArrayEquals(new float[] {0f, -1f}, sym.transform(new float[] {2, 10}), EPS);
        MinMaxScale only = MinMaxScale.columns(0, 1, 1).fit(rows(2, 1, 10, 2, 20, 3, 60));
        assertArrayEquals(new float[] {7f, 1f}, only.transform(new float[] {7, 60}), EPS);
    }

    @Test
    void scaleNeedsNoFit() {
        Dataset d = new Scale(0.5f, 1f).apply(rows(1, 4, 8));
        assertArrayEquals(new float[] {3, 5}, d.features());
        assertArrayEquals(new float[] {1f / 16 * 8}, new Scale(1f / 16).fit(rows(1, 0)).transform(new float[] {8}));
    }

    @Test
    void imputeStrategies() {
        Dataset train = rows(2, 1, NaN, 2, 4, 9, 6, NaN, 6);
        float[] missing = {NaN, NaN};
        assertArrayEquals(new float[] {4, 16f / 3}, Impute.mean().fit(train).transform(missing), EPS);
        assertArrayEquals(new float[] {2, 6}, Impute.median().fit(train).transform(missing), EPS);
        assertArrayEquals(new float[] {1, 6}, Impute.mostFrequent().fit(train).transform(missing), EPS);
        assertArrayEquals(new float[] {-1, -1}, Impute.constant(-1).fit(train).transform(missing), EPS);
        Impute one = Impute.median().columns(1).fit(train);
        float[] r = one.transform(missing);
        assertTrue(Float.isNaN(r[0]));
        assertEquals(6f, r[1]);
        assertArrayEquals(new float[] {7, 8}, Impute.mean().fit(train).transform(new float[] {7, 8}));
        assertEquals(0, Impute.mean().fit(train).apply(train).countMissing());
        EngineException e = assertThrows(EngineException.class,
                () -> Impute.mean().fit(rows(2, 1, NaN, 2, NaN)));
        assertTrue(e.getMessage().contains("column 1"), e.getMessage());
    }

    @Test
    void imputeUsesMostFrequentCategoryForCategoricalColumns() {
        Dataset d = Csv.parse("c,x\nb,1\na,2\nb,3\n,NA\n", "c.csv").categorical("c").build();
        float[] f = Impute.mean().fit(d).transform(new float[] {NaN, NaN});
        assertEquals(1f, f[0]);   // "b" (code 1), not the mean of the codes
        assertEquals(2f, f[1]);
    }

    static final String TRAIN = "color,size,y\nred,1,0\nblue,2,1\nred,3,0\n";
    static final String TEST = "color,size,y\nred,6,0\nyellow,5,1\n,4,1\n";

    @Test
    void oneHotRecodesByNameAndZeroesUnknownAndMissing() {
        Dataset train = Csv.parse(TRAIN, "train.csv").labelColumn("y").categorical("color").build();
        Dataset test = Csv.parse(TEST, "test.csv").labelColumn("y").categorical("color").build();
        assertEquals(List.of("red", "yellow"), test.categories(0));   // red is code 0 in the test file
        OneHotEncode enc = new OneHotEncode().fit(train);
        assertEquals(List.of("blue", "red"), enc.categories(0));
        assertArrayEquals(new int[] {3}, enc.outputShape());
        Dataset x = enc.apply(test);
        assertEquals(List.of("color=blue", "color=red", "size"), x.columnNames());
        assertArrayEquals(new float[] {0, 1, 6, 0, 0, 5, 0, 0, 4}, x.features());
        assertArrayEquals(new int[] {0, 1, 1}, x.labels());
        assertFalse(x.isCategorical(0));
        assertArrayEquals(new float[] {1, 0, 9}, enc.transform(new float[] {0, 9}));   // code 0 = blue here
        OneHotEncode num = OneHotEncode.columns("size").fit(train);
        assertArrayEquals(new float[] {1, 0, 1, 0}, num.transform(new float[] {1, 2}));   // color code stays, size=2
        assertEquals(List.of("1", "2", "3"), num.categories(1));
        assertThrows(EngineException.class, () -> new OneHotEncode().fit(rows(1, 1, 2)));
    }

    @Test
    void ordinalEncodesByTrainingVocabulary() {
        Dataset train = Csv.parse(TRAIN, "train.csv").labelColumn("y").categorical("color").build();
        Dataset test = Csv.parse(TEST, "test.csv").labelColumn("y").categorical("color").build();
        OrdinalEncode enc = new OrdinalEncode().fit(train);
        Dataset x = enc.apply(test);
        float[] f = x.features();
        assertEquals(1f, f[0]);    // red
        assertEquals(-1f, f[2]);   // yellow: unseen
        assertTrue(Float.isNaN(f[4]));   // missing stays missing
        assertEquals(List.of("blue", "red"), x.categories(0));
        assertArrayEquals(new float[] {0, 2}, OrdinalEncode.columns(1).fit(train).transform(new float[] {0, 3}));   // size 3 -> rank 2
    }

    @Test
    void deDuplicateDropsOnlyTrainingDuplicates() {
        Dataset d = Dataset.classification(new float[] {1, 2, 1, 2, 3, 4, 1, 2}, new int[] {2}, new int[] {0, 0, 1, 1});
        DeDuplicate dd = new DeDuplicate().fit(d);
        Dataset t = dd.applyTraining(d);
        assertEquals(3, t.size());
        assertArrayEquals(new int[] {0, 1, 1}, t.labels());
        assertArrayEquals(new float[] {1, 2, 3, 4, 1, 2}, t.features());
        assertEquals(4, dd.apply(d).size());
        assertArrayEquals(new float[] {1, 2}, dd.transform(new float[] {1, 2}));
        Dataset r = Dataset.regression(new float[] {1, 1, 1}, new int[] {1}, new float[] {5, 5, 6});
        assertEquals(2, new DeDuplicate().applyTraining(r).size());
    }

    @Test
    void imageNormalizePerChannel() {
        Dataset imgs = Dataset.unlabeled(new float[] {1, 3, 10, 10, 5, 7, 20, 20}, new int[] {2, 1, 2});
        ImageNormalize n = ImageNormalize.fromData().fit(imgs);
        assertArrayEquals(new float[] {4, 15}, n.channelMean(), EPS);
        assertArrayEquals(new float[] {(float) Math.sqrt(5), 5}, n.channelStd(), EPS);
        assertArrayEquals(new float[] {0, 1, 0, 2}, n.transform(new float[] {4, 4 + (float) Math.sqrt(5), 15, 25}), EPS);
        ImageNormalize given = new ImageNormalize(new float[] {1}, new float[] {2});
        Dataset out = given.apply(imgs);
        assertArrayEquals(new float[] {0, 1, 4.5f, 4.5f, 2, 3, 9.5f, 9.5f}, out.features(), EPS);
        assertThrows(EngineException.class, () -> ImageNormalize.fromData().fit(rows(2, 1, 2)));
        assertThrows(EngineException.class, () -> new ImageNormalize(new float[] {0}, new float[] {0}));
    }

    @Test
    void flattenKeepsValuesAndOrder() {
        Dataset imgs = Dataset.classification(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, new int[] {1, 2, 2}, new int[] {3, 4});
        Dataset flat = new Flatten().apply(imgs);
        assertArrayEquals(new int[] {4}, flat.featureShape());
        assertArrayEquals(imgs.features(), flat.features());
        assertArrayEquals(new int[] {3, 4}, flat.labels());
    }

    @Test
    void unfittedStepsAndWrongShapesFailClearly() {
        EngineException e = assertThrows(EngineException.class, () -> new Standardize().transform(new float[] {1}));
        assertTrue(e.getMessage().contains("not fitted"), e.getMessage());
        Standardize s = new Standardize().fit(rows(2, 1, 2));
        assertThrows(EngineException.class, () -> s.transform(new float[] {1, 2, 3}));
        assertThrows(EngineException.class, () -> s.apply(rows(3, 1, 2, 3)));
    }
}
