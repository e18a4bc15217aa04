package dev.engine.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.engine.api.EngineException;
import java.util.List;
import org.junit.jupiter.api.Test;

class DatasetTest {
    @Test
    void immutableAccessorsAndSubset() {
        float[] x = {1, 2, 3, 4, 5, 6};
        int[] y = {2, 0, 1};
        Dataset d = Dataset.classification(x, new int[] {2}, y).withColumnNames(List.of("a", "b"))
                .withClassNames(List.of("x", "y", "z"));
        x[0] = 99;        // the dataset copied its input
        y[0] = 0;
        d.features()[1] = 99;   // and hands out copies
        d.featureShape()[0] = 7;
        assertArrayEquals(new float[] {1, 2}, d.row(0));
        assertEquals(2, d.label(0));
        assertArrayEquals(new int[] {2}, d.featureShape());
        assertEquals(3, d.numClasses());
        Dataset s = d.subset(new int[] {2, 0, 2});
        assertArrayEquals(new float[] {5, 6, 1, 2, 5, 6}, s.features());
        assertArrayEquals(new int[] {1, 2, 1}, s.labels());
        assertEquals(List.of("a", "b"), s.columnNames());
        assertEquals(1, d.columnIndex("b"));
        assertEquals(0, d.subset(new int[0]).size());
        // a subset without the highest label keeps the class count of its parent
        Dataset noNames = Dataset.classification(new float[] {1, 2, 3}, new int[] {1}, new int[] {0, 4, 1});
        assertEquals(5, noNames.numClasses());
        assertEquals(5, noNames.subset(new int[] {0, 2}).numClasses());
    }

    @Test
    void invalidConstructionFails() {
        assertThrows(EngineException.class, () -> Dataset.classification(new float[5], new int[] {2}, new int[] {0, 0}));
        assertThrows(EngineException.class, () -> Dataset.classification(new float[4], new int[] {2}, new int[] {0}));
        assertThrows(EngineException.class, () -> Dataset.classification(new float[2], new int[] {2}, new int[] {-1}));
        assertThrows(EngineException.class, () -> Dataset.unlabeled(new float[2], new int[] {0}));
        assertThrows(EngineException.class, () -> Dataset.classification(new float[2], new int[] {2}, new int[] {3})
                .withClassNames(List.of("a", "b")));
        assertThrows(dev.engine.api.IndexOutOfRangeException.class, () -> Dataset.unlabeled(new float[2], new int[] {2}).subset(new int[] {1}));
        assertThrows(EngineException.class, () -> Dataset.unlabeled(new float[2], new int[] {2}).labels());
        assertThrows(EngineException.class, () -> Dataset.unlabeled(new float[2], new int[] {2}).columnIndex("q"));
    }
}
