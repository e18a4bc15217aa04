package dev.engine.data;

import java.io.DataInput;
import java.io.IOException;
import java.util.Arrays;

/**
 * Flattens rows of any shape (e.g. images {@code [1, 28, 28]}) into vectors ({@code [784]}) for dense
 * models. The values and their row-major order are unchanged; it needs no fitting.
 *
 * <pre>{@code
 * Dataset flat = new Flatten().apply(mnistTrain);   // featureShape() == [784]
 * }</pre>
 */
public final class Flatten extends Preprocessor {
    private final int[] shape;

    /** A flatten step. */
    public Flatten() { this(null); }

    private final int size;

    private Flatten(int[] shape) {
        this.shape = shape;
        this.size = shape == null ? 0 : Dataset.product(shape);
    }

    @Override public String kind() { return "flatten"; }

    @Override public Flatten fit(Dataset train) { return new Flatten(train.featureShape()); }

    @Override public boolean isFitted() { return shape != null; }

    @Override public int[] inputShape() { requireFitted(); return shape.clone(); }

    @Override public int[] outputShape() { requireFitted(); return new int[] {Dataset.product(shape)}; }

    @Override boolean fitsWithoutStatistics() { return true; }

    @Override
    void transformRow(float[] in, int inOff, float[] out, int outOff) {
        System.arraycopy(in, inOff, out, outOff, size);
    }

    @Override
    void writeState(java.io.DataOutput out) throws IOException { StateIo.writeInts(out, shape); }

    static Flatten read(DataInput in) throws IOException {
        int[] shape = StateIo.readInts(in);
        StateIo.check(shape.length > 0 && Arrays.stream(shape).allMatch(d -> d > 0), "bad shape");
        return new Flatten(shape);
    }
}
