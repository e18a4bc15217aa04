package dev.engine.data;

import java.io.DataInput;
import java.io.IOException;

/**
 * Standardisation: each selected feature becomes {@code (x - mean) / std}, with the mean and the
 * population standard deviation of the training rows (missing values ignored; a constant feature gets
 * std 1). By default every non-categorical column is standardised; on image rows every pixel position
 * is a feature of its own (see {@link ImageNormalize} for per-channel statistics).
 *
 * <pre>{@code
 * Standardize s = new Standardize().fit(train);
 * Dataset testZ = s.apply(test);
 * Standardize some = Standardize.columns("age", "income").fit(train);
 * }</pre>
 */
public final class Standardize extends AffineStep {
    private final Columns columns;

    /** Standardises every non-categorical column. */
    public Standardize() { this(Columns.byDefault(Columns.Default.NUMERIC), null, null, null); }

    private Standardize(Columns columns, int[] shape, float[] scale, float[] shift) {
        super(shape, scale, shift);
        this.columns = columns;
    }

    /** Standardises only the named columns. */
    public static Standardize columns(String... names) {
        return new Standardize(Columns.of(names, Columns.Default.NUMERIC), null, null, null);
    }

    /** Standardises only these columns (flat feature indices). */
    public static Standardize columns(int... indices) {
        return new Standardize(Columns.of(indices, Columns.Default.NUMERIC), null, null, null);
    }

    @Override public String kind() { return "standardize"; }

    @Override
    public Standardize fit(Dataset train) {
        int w = train.featureSize();
        float[][] id = identity(w);
        float[] x = train.rawFeatures();
        for (int j : columns.resolve(train, kind())) {
            double sum = 0, sq = 0;
            long c = 0;
            for (int i = j; i < x.length; i += w) {
                if (Float.isNaN(x[i])) continue;
                sum += x[i];
                c++;
            }
            if (c == 0) continue;
            double mean = sum / c;
            for (int i = j; i < x.length; i += w) {
                if (!Float.isNaN(x[i])) sq += (x[i] - mean) * (x[i] - mean);
            }
            double std = Math.sqrt(sq / c);
            double s = std > 0 ? 1.0 / std : 1.0;
            id[0][j] = (float) s;
            id[1][j] = (float) (-mean * s);
        }
        return new Standardize(columns, train.featureShape(), id[0], id[1]);
    }

    /** The fitted means, per feature (0 for columns left alone). */
    public float[] mean() {
        requireFitted();
        float[] m = new float[scale.length];
        for (int j = 0; j < m.length; j++) m[j] = -shift[j] / scale[j];
        return m;
    }

    static Standardize read(DataInput in) throws IOException {
        Object[] a = readAffine(in);
        return new Standardize(Columns.byDefault(Columns.Default.NUMERIC), (int[]) a[0], (float[]) a[1], (float[]) a[2]);
    }
}
