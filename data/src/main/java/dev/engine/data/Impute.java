package dev.engine.data;

import dev.engine.api.EngineException;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Fills missing values (NaN) with a value learned from the training rows: the mean, the median, the
 * most frequent value, or a constant. Categorical columns are always filled with their most frequent
 * category unless the strategy is a constant. A selected column with no value at all in the training
 * rows is an error at fit time. By default every column is imputed.
 *
 * <pre>{@code
 * Impute imp = Impute.median().fit(train);
 * Dataset complete = imp.apply(test);              // no NaN left in the imputed columns
 * Impute zeros = Impute.constant(0).columns("bonus");
 * }</pre>
 */
public final class Impute extends Preprocessor {
    /** How the fill value of a column is chosen. */
    public enum Strategy { MEAN, MEDIAN, MOST_FREQUENT, CONSTANT }

    private final Strategy strategy;
    private final float constant;
    private final Columns columns;
    private final int[] shape;      // null until fitted
    private final float[] fill;     // per feature; NaN = leave alone
    private final Map<Integer, List<String>> vocab;   // training vocabularies of categorical columns

    private Impute(Strategy strategy, float constant, Columns columns, int[] shape, float[] fill, Map<Integer, List<String>> vocab) {
        this.strategy = strategy;
        this.constant = constant;
        this.columns = columns;
        this.shape = shape;
        this.fill = fill;
        this.vocab = vocab;
    }

    private static Impute of(Strategy s, float c) { return new Impute(s, c, Columns.byDefault(Columns.Default.ALL), null, null, Map.of()); }

    /** Fills with the training mean of the column. */
    public static Impute mean() { return of(Strategy.MEAN, 0); }

    /** Fills with the training median of the column. */
    public static Impute median() { return of(Strategy.MEDIAN, 0); }

    /** Fills with the most frequent training value of the column (the smallest one on ties). */
    public static Impute mostFrequent() { return of(Strategy.MOST_FREQUENT, 0); }

    /** Fills with {@code value}. */
    public static Impute constant(float value) {
        if (!Float.isFinite(value)) throw new EngineException("impute constant must be finite: " + value);
        return of(Strategy.CONSTANT, value);
    }

    /** The same strategy on the named columns only. */
    public Impute columns(String... names) { return new Impute(strategy, constant, Columns.of(names, Columns.Default.ALL), null, null, Map.of()); }

    /** The same strategy on these columns only. */
    public Impute columns(int... indices) { return new Impute(strategy, constant, Columns.of(indices, Columns.Default.ALL), null, null, Map.of()); }

    @Override public String kind() { return "impute"; }

    @Override public boolean isFitted() { return shape != null; }

    @Override public int[] inputShape() { requireFitted(); return shape.clone(); }

    @Override public int[] outputShape() { return inputShape(); }

    /** The fitted fill value per feature (NaN where the column is not imputed). */
    public float[] fillValues() { requireFitted(); return fill.clone(); }

    @Override
    public Impute fit(Dataset train) {
        int w = train.featureSize();
        float[] f = new float[w];
        Arrays.fill(f, Float.NaN);
        float[] x = train.rawFeatures();
        for (int j : columns.resolve(train, kind())) {
            if (strategy == Strategy.CONSTANT) { f[j] = constant; continue; }
            float[] v = new float[train.size()];
            int c = 0;
            for (int i = j; i < x.length; i += w) if (!Float.isNaN(x[i])) v[c++] = x[i];
            if (c == 0) {
                throw new EngineException("impute: " + train.describeColumn(j) + " has no values in the "
                        + train.size() + " training rows to learn a fill value from");
            }
            v = Arrays.copyOf(v, c);
            Strategy s = train.isCategorical(j) ? Strategy.MOST_FREQUENT : strategy;
            f[j] = switch (s) {
                case MEAN -> mean(v);
                case MEDIAN -> median(v);
                default -> mostFrequent(v);
            };
        }
        return new Impute(strategy, constant, columns, train.featureShape(), f, train.categoricalColumns());
    }

    /** Category codes of other data are matched to the training vocabulary by name before filling. */
    @Override Dataset prepare(Dataset d) { return CategoryVocab.align(d, vocab); }

    @Override
    void transformRow(float[] in, int inOff, float[] out, int outOff) {
        for (int j = 0; j < fill.length; j++) {
            float v = in[inOff + j];
            out[outOff + j] = Float.isNaN(v) ? fill[j] : v;
        }
    }

    @Override
    void writeState(DataOutput out) throws IOException {
        out.writeUTF(strategy.name());
        out.writeFloat(constant);
        StateIo.writeInts(out, shape);
        StateIo.writeFloats(out, fill);
        StateIo.writeCategories(out, vocab);
    }

    static Impute read(DataInput in) throws IOException {
        Strategy s;
        try {
            s = Strategy.valueOf(in.readUTF());
        } catch (IllegalArgumentException e) {
            throw new IOException("unknown impute strategy");
        }
        float c = in.readFloat();
        int[] shape = StateIo.readInts(in);
        float[] fill = StateIo.readFloats(in);
        StateIo.check(shape.length > 0 && Arrays.stream(shape).allMatch(d -> d > 0) && fill.length == Dataset.product(shape),
                "impute state does not match its shape");
        Map<Integer, List<String>> vocab = StateIo.readCategories(in, fill.length);
        return new Impute(s, c, Columns.byDefault(Columns.Default.ALL), shape, fill, vocab);
    }

    private static float mean(float[] v) {
        double s = 0;
        for (float f : v) s += f;
        return (float) (s / v.length);
    }

    private static float median(float[] v) {
        Arrays.sort(v);
        int m = v.length / 2;
        return v.length % 2 == 1 ? v[m] : (float) ((v[m - 1] + (double) v[m]) / 2);
    }

    private static float mostFrequent(float[] v) {
        Map<Float, Integer> count = new HashMap<>();
        for (float f : v) count.merge(f, 1, Integer::sum);
        float best = Float.NaN;
        int bc = 0;
        for (Map.Entry<Float, Integer> e : count.entrySet()) {
            if (e.getValue() > bc || (e.getValue() == bc && e.getKey() < best)) {
                best = e.getKey();
                bc = e.getValue();
            }
        }
        return best;
    }
}
