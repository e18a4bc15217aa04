package dev.engine.data;

import dev.engine.api.EngineException;
import java.io.DataInput;
import java.io.IOException;
import java.util.Arrays;

/**
 * Multiplies every feature by a constant (and optionally adds an offset): {@code y = x * factor + offset}.
 * It learns nothing from data, so it can be applied without fitting.
 *
 * <pre>{@code
 * Dataset scaled = new Scale(1f / 16).apply(digits);        // pixels 0..16 -> 0..1
 * Pipeline p = Pipeline.of(new Scale(1f / 255)).fit(train);  // inside a pipeline
 * }</pre>
 */
public final class Scale extends AffineStep {
    private final float factor, offset;

    /** {@code y = x * factor}. */
    public Scale(float factor) { this(factor, 0f); }

    /** {@code y = x * factor + offset}. */
    public Scale(float factor, float offset) { this(factor, offset, null); }

    private Scale(float factor, float offset, int[] shape) {
        super(shape, shape == null ? null : filled(shape, factor), shape == null ? null : filled(shape, offset));
        if (!Float.isFinite(factor) || !Float.isFinite(offset)) {
            throw new EngineException("scale factor and offset must be finite: " + factor + ", " + offset);
        }
        this.factor = factor;
        this.offset = offset;
    }

    @Override public String kind() { return "scale"; }

    @Override public Scale fit(Dataset train) { return new Scale(factor, offset, train.featureShape()); }

    @Override boolean fitsWithoutStatistics() { return true; }

    @Override
    void writeState(java.io.DataOutput out) throws IOException {
        out.writeFloat(factor);
        out.writeFloat(offset);
        StateIo.writeInts(out, shape);
    }

    static Scale read(DataInput in) throws IOException {
        float f = in.readFloat(), o = in.readFloat();
        int[] shape = StateIo.readInts(in);
        StateIo.check(shape.length > 0 && Arrays.stream(shape).allMatch(d -> d > 0), "bad shape");
        return new Scale(f, o, shape);
    }

    private static float[] filled(int[] shape, float v) {
        float[] a = new float[Dataset.product(shape)];
        Arrays.fill(a, v);
        return a;
    }
}
