package dev.engine.data;

/**
 * A fitted per-row preprocessing step (scaling, encoding) stored in a bundle and applied to raw input
 * rows before the model. Implementations must be immutable (a {@link Predictor} calls them from many
 * threads) and loadable by {@link RowTransforms#load(String, byte[])} from their {@link #type()} and
 * {@link #save()} bytes; a new kind adds one case there (no reflection).
 *
 * <pre>{@code
 * RowTransform scale = AffineTransform.of(new float[]{1 / 16f}, new float[]{0});
 * float[] x = scale.apply(rawPixels);
 * }</pre>
 */
public interface RowTransform {
    /** The transformed row (a new array). */
    float[] apply(float[] row);

    /** The fitted state as bytes. */
    byte[] save();

    /** The name {@link RowTransforms#load} dispatches on. */
    default String type() { return getClass().getSimpleName(); }

    /** Input features expected (-1 when any length is accepted). */
    default int inputSize() { return -1; }
}
