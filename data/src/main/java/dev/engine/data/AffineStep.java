package dev.engine.data;

import dev.engine.api.EngineException;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * A fitted per-feature affine map {@code y = x * scale[j] + shift[j]}: the common form of
 * {@link Standardize}, {@link MinMaxScale}, {@link Scale} and {@link ImageNormalize}. NaN stays NaN.
 */
abstract class AffineStep extends Preprocessor {
    final int[] shape;      // null until fitted
    final float[] scale;
    final float[] shift;

    AffineStep(int[] shape, float[] scale, float[] shift) {
        this.shape = shape;
        this.scale = scale;
        this.shift = shift;
        if (shape != null) {
            int n = Dataset.product(shape);
            if (scale.length != n || shift.length != n) {
                throw new EngineException(kind() + ": " + scale.length + " scales and " + shift.length
                        + " shifts for " + n + " features");
            }
        }
    }

    @Override public boolean isFitted() { return shape != null; }

    @Override public int[] inputShape() { requireFitted(); return shape.clone(); }

    @Override public int[] outputShape() { return inputShape(); }

    /** The fitted per-feature multipliers. */
    public float[] scale() { requireFitted(); return scale.clone(); }

    /** The fitted per-feature offsets (added after scaling). */
    public float[] shift() { requireFitted(); return shift.clone(); }

    @Override
    void transformRow(float[] in, int inOff, float[] out, int outOff) {
        for (int j = 0; j < scale.length; j++) out[outOff + j] = in[inOff + j] * scale[j] + shift[j];
    }

    @Override
    void writeState(DataOutput out) throws IOException {
        StateIo.writeInts(out, shape);
        StateIo.writeFloats(out, scale);
        StateIo.writeFloats(out, shift);
    }

    /** Reads {shape, scale, shift}: {@code [0]} shape, {@code [1]} scale, {@code [2]} shift. */
    static Object[] readAffine(DataInput in) throws IOException {
        int[] shape = StateIo.readInts(in);
        float[] scale = StateIo.readFloats(in);
        float[] shift = StateIo.readFloats(in);
        long n = 1;
        for (int d : shape) {
            StateIo.check(d > 0, "bad shape");
            n *= d;
        }
        StateIo.check(shape.length > 0 && scale.length == n && shift.length == n, "affine state does not match its shape");
        return new Object[] {shape, scale, shift};
    }

    /** Identity scale/shift arrays for {@code n} features. */
    static float[][] identity(int n) {
        float[] s = new float[n];
        java.util.Arrays.fill(s, 1f);
        return new float[][] {s, new float[n]};
    }
}
