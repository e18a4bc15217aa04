package dev.engine.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The 8x8 handwritten digits shipped with the engine (UCI "Optical Recognition of Handwritten Digits",
 * E. Alpaydin and C. Kaynak, CC BY 4.0; see {@code DIGITS_LICENSE.txt} beside the data): 1,797 images,
 * features {@code [64]} with pixel values 0..16 (scale with {@code new Scale(1f / 16)}), labels 0..9,
 * class names "0".."9", column names {@code p0..p63}.
 *
 * <pre>{@code
 * Split s = Digits.trainTestSplit();   // first 1,437 rows train, last 360 test
 * Pipeline prep = Pipeline.of(new Scale(1f / 16)).fit(s.train());
 * }</pre>
 */
public final class Digits {
    /** Number of rows. */
    public static final int SIZE = 1797;
    /** Rows of the standard training part (the first ones); the remaining 360 are the test part. */
    public static final int TRAIN_SIZE = 1437;

    private static final String RESOURCE = "digits.csv";
    private static volatile Dataset cached;

    private Digits() {}

    /** All 1,797 rows, in file order. */
    public static Dataset load() {
        Dataset d = cached;
        if (d != null) return d;
        InputStream in = Digits.class.getResourceAsStream(RESOURCE);
        if (in == null) throw new dev.engine.api.EngineException("digits: classpath resource dev/engine/data/" + RESOURCE + " is missing");
        List<String> classes = new ArrayList<>();
        for (int c = 0; c < 10; c++) classes.add(Integer.toString(c));
        d = Csv.read(in, "classpath:dev/engine/data/" + RESOURCE).header(false).labelColumn(0).classNames(classes).build()
                .withColumnNames(Dataset.defaultNames("p", 64));
        if (d.size() != SIZE || d.featureSize() != 64) {
            throw new DataFormatException("classpath:dev/engine/data/" + RESOURCE + ": expected " + SIZE + " rows of 64 pixels, got " + d);
        }
        cached = d;
        return d;
    }

    /** The standard split: the first 1,437 rows for training, the last 360 for test; validation empty. */
    public static Split trainTestSplit() {
        Dataset d = load();
        int[] train = new int[TRAIN_SIZE], test = new int[SIZE - TRAIN_SIZE];
        for (int i = 0; i < TRAIN_SIZE; i++) train[i] = i;
        for (int i = 0; i < test.length; i++) test[i] = TRAIN_SIZE + i;
        return new Split(d.subset(train), d.subset(new int[0]), d.subset(test));
    }
}
