package dev.engine.data;

import dev.engine.api.EngineException;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * One preprocessing step. It is <em>fitted</em> on training data only ({@link #fit(Dataset)} returns a
 * new, fitted instance and leaves this one unchanged) and then <em>applied</em> anywhere: to a whole
 * dataset ({@link #apply(Dataset)}) or to one raw row at inference time ({@link #transform(float[])}).
 * Fitted steps are immutable and thread-safe, and are saved with a {@link Pipeline}.
 *
 * <p>Steps: {@link Standardize}, {@link MinMaxScale}, {@link Scale}, {@link OneHotEncode},
 * {@link OrdinalEncode}, {@link Impute}, {@link DeDuplicate}, {@link ImageNormalize}, {@link Flatten}.
 * Usually they are combined with {@link Pipeline#of(Preprocessor...)}.
 *
 * <pre>{@code
 * Preprocessor std = new Standardize().fit(train);   // means and deviations of the training rows
 * Dataset testStd = std.apply(test);                 // the same transformation on other data
 * float[] x = std.transform(rawRow);                 // one row, e.g. in a deployed model
 * }</pre>
 */
public abstract class Preprocessor {
    Preprocessor() {}   // only this package defines steps, so that saved pipelines can be read back

    /** The stable name under which the step is saved, e.g. {@code "standardize"}. */
    public abstract String kind();

    /** Fits on training rows; returns the fitted step (this instance is unchanged). */
    public abstract Preprocessor fit(Dataset train);

    /** Whether this instance holds fitted state and can be applied. */
    public abstract boolean isFitted();

    /** The row shape the fitted step accepts (fails if not fitted). */
    public abstract int[] inputShape();

    /** The row shape the fitted step produces (fails if not fitted). */
    public abstract int[] outputShape();

    /** Transforms one row of {@code product(inputShape())} floats into a new row of the output shape. */
    public float[] transform(float[] row) {
        requireFitted();
        int in = Dataset.product(inputShape());
        if (row.length != in) {
            throw new EngineException(kind() + ": row has " + row.length + " values, expected " + in
                    + " (input shape " + Arrays.toString(inputShape()) + ")");
        }
        float[] out = new float[Dataset.product(outputShape())];
        transformRow(row, 0, out, 0);
        return out;
    }

    /**
     * Applies the fitted step to every row of {@code data} (inference semantics: no row is dropped).
     * A step that needs no statistics ({@link Scale}, {@link Flatten}, {@link ImageNormalize} with
     * given values) may be applied without fitting.
     */
    public Dataset apply(Dataset data) {
        if (!isFitted() && fitsWithoutStatistics()) return fit(data).apply(data);
        requireFitted();
        if (!Arrays.equals(data.featureShape(), inputShape())) {
            throw new EngineException(kind() + ": dataset rows have shape " + Arrays.toString(data.featureShape())
                    + ", but this step was fitted on shape " + Arrays.toString(inputShape()));
        }
        Dataset d = prepare(data);
        int n = d.size(), inSize = d.featureSize(), outSize = Dataset.product(outputShape());
        float[] x = d.rawFeatures();
        float[] out = new float[Math.multiplyExact(n, outSize)];
        for (int i = 0; i < n; i++) transformRow(x, i * inSize, out, i * outSize);
        return d.withFeatures(out, outputShape(), outputColumnNames(d.columnNames()), outputCategories(d.categoricalColumns()));
    }

    /** Applies the step to training data: like {@link #apply(Dataset)}, but {@link DeDuplicate} drops rows here. */
    public Dataset applyTraining(Dataset data) { return apply(data); }

    // ---- for the steps of this package

    /** Transforms the row at {@code in[inOff..]} into {@code out[outOff..]}. */
    abstract void transformRow(float[] in, int inOff, float[] out, int outOff);

    /** Writes the fitted state (the kind is written by the pipeline). */
    abstract void writeState(DataOutput out) throws IOException;

    /** True when fitting reads only the shape, so apply may fit on the fly. */
    boolean fitsWithoutStatistics() { return false; }

    /** Dataset-level work before the row loop, e.g. recoding category codes into the fitted vocabulary. */
    Dataset prepare(Dataset d) { return d; }

    /** Column names of the output (default: unchanged when the size is unchanged, else none). */
    List<String> outputColumnNames(List<String> in) {
        return Dataset.product(outputShape()) == Dataset.product(inputShape()) ? in : List.of();
    }

    /** Categorical columns of the output (default: unchanged when the size is unchanged, else none). */
    Map<Integer, List<String>> outputCategories(Map<Integer, List<String>> in) {
        return Dataset.product(outputShape()) == Dataset.product(inputShape()) ? in : Map.of();
    }

    void requireFitted() {
        if (!isFitted()) throw new EngineException(kind() + " is not fitted; call fit(trainingData) first");
    }

    @Override
    public String toString() {
        return kind() + (isFitted() ? Arrays.toString(inputShape()) + "->" + Arrays.toString(outputShape()) : "(unfitted)");
    }
}
