package dev.engine.inference.onnx;

import dev.engine.api.ModelFormatException;
import java.util.Arrays;

/**
 * A tensor the importer knows at import time: an initializer, a Constant, or the result of a shape
 * subgraph folded in Java. Float data (any floating ONNX type, held as F32) or integer data (int64,
 * int32, bool, ...) held as long. {@code batch} marks the integer elements that equal the graph's batch
 * size (they came from {@code Shape(input)[0]}), so a Reshape built from them keeps the batch dynamic.
 *
 * <pre>{@code
 * ConstTensor s = ConstTensor.ints(new long[]{2}, new long[]{-1, 256});
 * s.isInt();   // true
 * }</pre>
 */
record ConstTensor(long[] shape, float[] f, long[] l, boolean[] batch) {
    /** The most elements the importer creates for a folded constant (ConstantOfShape, Range, Expand). */
    static final long MAX_FOLDED = 1L << 26;

    ConstTensor {
        shape = shape.clone();
        long n = numel(shape, "constant");
        if ((f == null) == (l == null)) throw new IllegalArgumentException("exactly one of float/int data");
        if ((f != null ? f.length : l.length) != n) throw new IllegalArgumentException("data length does not match " + Arrays.toString(shape));
        if (batch != null && batch.length != n) throw new IllegalArgumentException("batch marks do not match");
    }

    static ConstTensor floats(long[] shape, float[] f) { return new ConstTensor(shape, f, null, null); }
    static ConstTensor ints(long[] shape, long[] l) { return new ConstTensor(shape, null, l, null); }
    static ConstTensor ints(long[] shape, long[] l, boolean[] batch) { return new ConstTensor(shape, null, l, batch); }

    @Override public long[] shape() { return shape.clone(); }
    boolean isInt() { return l != null; }
    int rank() { return shape.length; }
    int size() { return f != null ? f.length : l.length; }
    boolean batchAt(int i) { return batch != null && batch[i]; }

    double get(int i) { return f != null ? f[i] : l[i]; }

    /** The values as floats (integers converted). */
    float[] asFloats() {
        if (f != null) return f;
        float[] r = new float[l.length];
        for (int i = 0; i < r.length; i++) r[i] = l[i];
        return r;
    }

    /** The values as longs (floats truncated toward zero, as ONNX Cast does). */
    long[] asLongs() {
        if (l != null) return l;
        long[] r = new long[f.length];
        for (int i = 0; i < r.length; i++) r[i] = (long) f[i];
        return r;
    }

    /** Element count of {@code shape}; throws naming {@code what} on negative dims or more than 2^31-1 elements. */
    static long numel(long[] shape, String what) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new ModelFormatException(what + ": negative dimension in " + Arrays.toString(shape));
            if (d != 0 && n > Integer.MAX_VALUE / d) throw new ModelFormatException(what + ": shape " + Arrays.toString(shape) + " is too large");
            n *= d;
        }
        if (n > Integer.MAX_VALUE - 8) throw new ModelFormatException(what + ": shape " + Arrays.toString(shape) + " is too large");
        return n;
    }

    static long[] strides(long[] shape) {
        long[] s = new long[shape.length];
        long acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) { s[i] = acc; acc *= shape[i]; }
        return s;
    }

    @Override public String toString() {
        return (isInt() ? "int" : "float") + Arrays.toString(shape) + (size() <= 8 ? (isInt() ? Arrays.toString(l) : Arrays.toString(f)) : "");
    }
}
