package dev.engine.data;

import dev.engine.api.EngineException;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One-hot encoding: each encoded column is replaced, in place, by one 0/1 column per category seen in
 * the training rows (sorted by name for categorical columns read from CSV, by value for numeric
 * ones). A category not seen in training, or a missing value, gives all zeros. Output columns are named
 * {@code column=category}. By default all categorical columns are encoded; rows must be flat.
 *
 * <p>For {@link #transform(float[])} a raw row carries, in an encoded categorical column, the code of
 * the category in this step's vocabulary ({@link #categories(int)}); {@link #apply(Dataset)} recodes
 * a dataset's own codes by name first, so files with different category sets line up.
 *
 * <pre>{@code
 * Dataset d = Csv.read(path).labelColumn("y").categorical("color").build();   // color: blue, red
 * OneHotEncode enc = new OneHotEncode().fit(train);
 * Dataset x = enc.apply(test);   // color -> color=blue, color=red
 * }</pre>
 */
public final class OneHotEncode extends Preprocessor {
    private final Columns columns;
    private final int[] shape;          // null until fitted
    private final int[] cols;
    private final CategoryVocab[] vocabs;
    private final int outWidth;

    /** Encodes every categorical column. */
    public OneHotEncode() { this(Columns.byDefault(Columns.Default.CATEGORICAL), null, null, null); }

    private OneHotEncode(Columns columns, int[] shape, int[] cols, CategoryVocab[] vocabs) {
        this.columns = columns;
        this.shape = shape;
        this.cols = cols;
        this.vocabs = vocabs;
        int w = 0;
        if (shape != null) {
            w = shape[0] - cols.length;
            for (CategoryVocab v : vocabs) w += v.size();
        }
        this.outWidth = w;
    }

    /** Encodes the named columns (categorical or numeric). */
    public static OneHotEncode columns(String... names) {
        return new OneHotEncode(Columns.of(names, Columns.Default.CATEGORICAL), null, null, null);
    }

    /** Encodes these columns (categorical or numeric). */
    public static OneHotEncode columns(int... indices) {
        return new OneHotEncode(Columns.of(indices, Columns.Default.CATEGORICAL), null, null, null);
    }

    @Override public String kind() { return "one-hot"; }

    @Override
    public OneHotEncode fit(Dataset train) {
        int[] c = Encoders.resolve(train, columns, kind());
        CategoryVocab[] v = new CategoryVocab[c.length];
        for (int k = 0; k < c.length; k++) v[k] = CategoryVocab.fit(train, c[k]);
        return new OneHotEncode(columns, train.featureShape(), c, v);
    }

    @Override public boolean isFitted() { return shape != null; }

    @Override public int[] inputShape() { requireFitted(); return shape.clone(); }

    @Override public int[] outputShape() { requireFitted(); return new int[] {outWidth}; }

    /** The categories of input column {@code column}, in the order of its output columns. */
    public List<String> categories(int column) {
        requireFitted();
        int k = Arrays.binarySearch(cols, column);
        if (k < 0) throw new EngineException("column " + column + " is not one-hot encoded; encoded: " + Arrays.toString(cols));
        return vocabs[k].names;
    }

    @Override Dataset prepare(Dataset d) { return CategoryVocab.recodeAll(d, cols, vocabs); }

    @Override
    void transformRow(float[] in, int inOff, float[] out, int outOff) {
        int p = outOff, k = 0;
        for (int j = 0; j < shape[0]; j++) {
            if (k < cols.length && cols[k] == j) {
                CategoryVocab v = vocabs[k++];
                Arrays.fill(out, p, p + v.size(), 0f);
                int idx = v.indexOf(in[inOff + j]);
                if (idx >= 0) out[p + idx] = 1f;
                p += v.size();
            } else {
                out[p++] = in[inOff + j];
            }
        }
    }

    @Override
    List<String> outputColumnNames(List<String> in) {
        if (in.isEmpty()) return in;
        List<String> out = new ArrayList<>(outWidth);
        int k = 0;
        for (int j = 0; j < in.size(); j++) {
            if (k < cols.length && cols[k] == j) {
                for (String c : vocabs[k].names) out.add(in.get(j) + "=" + c);
                k++;
            } else {
                out.add(in.get(j));
            }
        }
        return out;
    }

    @Override
    Map<Integer, List<String>> outputCategories(Map<Integer, List<String>> in) {
        Map<Integer, List<String>> out = new TreeMap<>();
        int p = 0, k = 0;
        for (int j = 0; j < shape[0]; j++) {
            if (k < cols.length && cols[k] == j) {
                p += vocabs[k++].size();
            } else {
                if (in.containsKey(j)) out.put(p, in.get(j));
                p++;
            }
        }
        return out;
    }

    @Override
    void writeState(DataOutput out) throws IOException { Encoders.write(out, shape, cols, vocabs); }

    static OneHotEncode read(DataInput in) throws IOException {
        Encoders.State s = Encoders.read(in);
        return new OneHotEncode(Columns.byDefault(Columns.Default.CATEGORICAL), s.shape(), s.cols(), s.vocabs());
    }
}
