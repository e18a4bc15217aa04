package dev.engine.data;

import dev.engine.api.EngineException;
import java.io.DataInput;
import java.io.IOException;

/**
 * Min-max scaling: each selected feature is mapped linearly so that the training minimum becomes
 * {@code lo} and the training maximum {@code hi} (default 0 and 1); values outside the training range
 * land outside [lo, hi]. A constant feature is shifted to {@code lo}. Missing values are ignored when
 * fitting and stay missing. By default every non-categorical column is scaled.
 *
 * <pre>{@code
 * MinMaxScale m = new MinMaxScale().fit(train);           // to [0, 1]
 * MinMaxScale sym = new MinMaxScale(-1, 1).fit(train);    // to [-1, 1]
 * }</pre>
 */
public final class MinMaxScale extends AffineStep {
    private final Columns columns;
    private final float lo, hi;

    /** Scales every non-categorical column to [0, 1]. */
    public MinMaxScale() { this(0, 1); }

    /** Scales every non-categorical column to [lo, hi]. */
    public MinMaxScale(float lo, float hi) { this(Columns.byDefault(Columns.Default.NUMERIC), lo, hi, null, null, null); }

    private MinMaxScale(Columns columns, float lo, float hi, int[] shape, float[] scale, float[] shift) {
        super(shape, scale, shift);
        if (!(lo < hi)) throw new EngineException("min-max range must have lo < hi: [" + lo + ", " + hi + "]");
        this.columns = columns;
        this.lo = lo;
        this.hi = hi;
    }

    /** Scales only the named columns to [lo, hi]. */
    public static MinMaxScale columns(float lo, float hi, String... names) {
        return new MinMaxScale(Columns.of(names, Columns.Default.NUMERIC), lo, hi, null, null, null);
    }

    /** Scales only these columns to [lo, hi]. */
    public static MinMaxScale columns(float lo, float hi, int... indices) {
        return new MinMaxScale(Columns.of(indices, Columns.Default.NUMERIC), lo, hi, null, null, null);
    }

    @Override public String kind() { return "minmax"; }

    @Override
    public MinMaxScale fit(Dataset train) {
        int w = train.featureSize();
        float[][] id = identity(w);
        float[] x = train.rawFeatures();
        for (int j : columns.resolve(train, kind())) {
            double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
            for (int i = j; i < x.length; i += w) {
                if (Float.isNaN(x[i])) continue;
                min = Math.min(min, x[i]);
                max = Math.max(max, x[i]);
            }
            if (min > max) continue;   // no values
            double s = max > min ? (hi - lo) / (max - min) : 1.0;
            id[0][j] = (float) s;
            id[1][j] = (float) (lo - min * s);
        }
        return new MinMaxScale(columns, lo, hi, train.featureShape(), id[0], id[1]);
    }

    static MinMaxScale read(DataInput in) throws IOException {
        float lo = in.readFloat(), hi = in.readFloat();
        Object[] a = readAffine(in);
        return new MinMaxScale(Columns.byDefault(Columns.Default.NUMERIC), lo, hi, (int[]) a[0], (float[]) a[1], (float[]) a[2]);
    }

    @Override
    void writeState(java.io.DataOutput out) throws IOException {
        out.writeFloat(lo);
        out.writeFloat(hi);
        super.writeState(out);
    }
}
