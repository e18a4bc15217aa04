package dev.engine.data;

import dev.engine.api.EngineException;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Ordinal encoding: each encoded column's value becomes the index of its category among the
 * categories seen in training (sorted by name for categorical columns, by value for numeric ones).
 * A category not seen in training becomes -1; a missing value stays NaN (impute it afterwards). By
 * default all categorical columns are encoded; rows must be flat.
 *
 * <pre>{@code
 * OrdinalEncode enc = new OrdinalEncode().fit(train);   // size: L, M, S -> 0, 1, 2
 * Dataset x = enc.apply(test);                          // test codes recoded by name
 * }</pre>
 */
public final class OrdinalEncode extends Preprocessor {
    private final Columns columns;
    private final int[] shape;
    private final int[] cols;
    private final CategoryVocab[] vocabs;

    /** Encodes every categorical column. */
    public OrdinalEncode() { this(Columns.byDefault(Columns.Default.CATEGORICAL), null, null, null); }

    private OrdinalEncode(Columns columns, int[] shape, int[] cols, CategoryVocab[] vocabs) {
        this.columns = columns;
        this.shape = shape;
        this.cols = cols;
        this.vocabs = vocabs;
    }

    /** Encodes the named columns (categorical or numeric). */
    public static OrdinalEncode columns(String... names) {
        return new OrdinalEncode(Columns.of(names, Columns.Default.CATEGORICAL), null, null, null);
    }

    /** Encodes these columns (categorical or numeric). */
    public static OrdinalEncode columns(int... indices) {
        return new OrdinalEncode(Columns.of(indices, Columns.Default.CATEGORICAL), null, null, null);
    }

    @Override public String kind() { return "ordinal"; }

    @Override
    public OrdinalEncode fit(Dataset train) {
        int[] c = Encoders.resolve(train, columns, kind());
        CategoryVocab[] v = new CategoryVocab[c.length];
        for (int k = 0; k < c.length; k++) v[k] = CategoryVocab.fit(train, c[k]);
        return new OrdinalEncode(columns, train.featureShape(), c, v);
    }

    @Override public boolean isFitted() { return shape != null; }

    @Override public int[] inputShape() { requireFitted(); return shape.clone(); }

    @Override public int[] outputShape() { return inputShape(); }

    /** The categories of input column {@code column}: category {@code i} is encoded as {@code i}. */
    public List<String> categories(int column) {
        requireFitted();
        int k = Arrays.binarySearch(cols, column);
        if (k < 0) throw new EngineException("column " + column + " is not ordinal-encoded; encoded: " + Arrays.toString(cols));
        return vocabs[k].names;
    }

    @Override Dataset prepare(Dataset d) { return CategoryVocab.recodeAll(d, cols, vocabs); }

    @Override
    void transformRow(float[] in, int inOff, float[] out, int outOff) {
        System.arraycopy(in, inOff, out, outOff, shape[0]);
        for (int k = 0; k < cols.length; k++) {
            int idx = vocabs[k].indexOf(in[inOff + cols[k]]);
            out[outOff + cols[k]] = idx == -2 ? Float.NaN : idx;
        }
    }

    @Override
    Map<Integer, List<String>> outputCategories(Map<Integer, List<String>> in) {
        Map<Integer, List<String>> out = new TreeMap<>(in);
        for (int k = 0; k < cols.length; k++) out.put(cols[k], vocabs[k].names);
        return out;
    }

    @Override
    void writeState(DataOutput out) throws IOException { Encoders.write(out, shape, cols, vocabs); }

    static OrdinalEncode read(DataInput in) throws IOException {
        Encoders.State s = Encoders.read(in);
        return new OrdinalEncode(Columns.byDefault(Columns.Default.CATEGORICAL), s.shape(), s.cols(), s.vocabs());
    }
}
