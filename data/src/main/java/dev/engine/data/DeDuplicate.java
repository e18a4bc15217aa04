package dev.engine.data;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * Drops duplicate training rows: rows whose features and label (or targets) are all equal to an
 * earlier row's (NaN equals NaN here). It acts only on training data, through
 * {@link #applyTraining(Dataset)} (which {@link Pipeline#fit(Dataset)} uses, so later steps are fitted
 * on the de-duplicated rows); on other data and on single rows it changes nothing, so evaluation sets
 * and predictions keep every row.
 *
 * <pre>{@code
 * Pipeline p = Pipeline.of(new DeDuplicate(), new Standardize()).fit(train);
 * Dataset trainClean = p.applyTraining(train);   // duplicates gone
 * Dataset testX = p.apply(test);                 // every test row kept
 * }</pre>
 */
public final class DeDuplicate extends Preprocessor {
    private final int[] shape;

    /** A de-duplication step. */
    public DeDuplicate() { this(null); }

    private DeDuplicate(int[] shape) { this.shape = shape; }

    @Override public String kind() { return "deduplicate"; }

    @Override public DeDuplicate fit(Dataset train) { return new DeDuplicate(train.featureShape()); }

    @Override public boolean isFitted() { return shape != null; }

    @Override public int[] inputShape() { requireFitted(); return shape.clone(); }

    @Override public int[] outputShape() { return inputShape(); }

    @Override boolean fitsWithoutStatistics() { return true; }

    /** The rows of {@code data} without duplicates, first occurrences kept in order. */
    @Override
    public Dataset applyTraining(Dataset data) {
        Dataset d = apply(data);
        int n = d.size(), w = d.featureSize(), tw = d.targetWidth();
        float[] x = d.rawFeatures();
        int[] labels = d.rawLabels();
        float[] targets = d.rawTargets();
        Set<Row> seen = new HashSet<>();
        int[] keep = new int[n];
        int k = 0;
        for (int i = 0; i < n; i++) {
            float[] key = new float[w + tw];
            System.arraycopy(x, i * w, key, 0, w);
            if (tw > 0) System.arraycopy(targets, i * tw, key, w, tw);
            if (seen.add(new Row(key, labels == null ? 0 : labels[i]))) keep[k++] = i;
        }
        return k == n ? d : d.subset(Arrays.copyOf(keep, k));
    }

    @Override
    void transformRow(float[] in, int inOff, float[] out, int outOff) {
        System.arraycopy(in, inOff, out, outOff, Dataset.product(shape));
    }

    @Override
    void writeState(DataOutput out) throws IOException { StateIo.writeInts(out, shape); }

    static DeDuplicate read(DataInput in) throws IOException {
        int[] shape = StateIo.readInts(in);
        StateIo.check(shape.length > 0 && Arrays.stream(shape).allMatch(d -> d > 0), "bad shape");
        return new DeDuplicate(shape);
    }

    private record Row(float[] values, int label) {
        @Override public boolean equals(Object o) {
            return o instanceof Row r && r.label == label && Arrays.equals(r.values, values);
        }

        @Override public int hashCode() { return Arrays.hashCode(values) * 31 + label; }
    }
}
