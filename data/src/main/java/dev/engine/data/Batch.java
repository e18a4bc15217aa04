package dev.engine.data;

import dev.engine.api.EngineException;
import java.util.Arrays;

/**
 * One mini-batch from a {@link DataLoader}: {@code size()} rows of features, row-major, of shape
 * {@code [size, ...featureShape]}, with their class labels or regression targets and the dataset row
 * indices they came from. The arrays belong to the receiver (each batch has its own).
 *
 * <pre>{@code
 * for (Batch b : loader) {
 *     float[] x = b.features();   // b.shape() == [32, 64]: 32 rows of 64 floats, row-major
 *     int[] y = b.labels();       // 32 labels
 *     step(x, b.shape(), y);      // e.g. wrap x in a tensor of that shape
 * }
 * }</pre>
 */
public final class Batch {
    private final float[] features;
    private final int[] shape;
    private final int[] labels;
    private final float[] targets;
    private final int[] indices;

    Batch(float[] features, int[] shape, int[] labels, float[] targets, int[] indices) {
        this.features = features;
        this.shape = shape;
        this.labels = labels;
        this.targets = targets;
        this.indices = indices;
    }

    /** Number of rows in this batch (the last one may be smaller unless drop-last). */
    public int size() { return shape[0]; }

    /** The features, {@code size() * product(featureShape)} floats, row-major (not a copy). */
    public float[] features() { return features; }

    /** {@code [size, ...featureShape]}. */
    public int[] shape() { return shape.clone(); }

    /** The shape of one row. */
    public int[] featureShape() { return Arrays.copyOfRange(shape, 1, shape.length); }

    /** Whether the batch has class labels. */
    public boolean hasLabels() { return labels != null; }

    /** The class labels, one per row (not a copy); fails for a batch without labels. */
    public int[] labels() {
        if (labels == null) throw new EngineException("this batch has no class labels");
        return labels;
    }

    /** Whether the batch has regression targets. */
    public boolean hasTargets() { return targets != null; }

    /** The regression targets, {@code size() * targetWidth} floats (not a copy); fails without targets. */
    public float[] targets() {
        if (targets == null) throw new EngineException("this batch has no regression targets");
        return targets;
    }

    /** The dataset rows of this batch, in batch order (not a copy). */
    public int[] indices() { return indices; }

    @Override
    public String toString() { return "Batch" + Arrays.toString(shape); }
}
