package dev.engine.data;

import dev.engine.api.EngineException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * An array read by {@link Npy}: its shape, its dtype name ({@code float32}, {@code float64},
 * {@code int32}, {@code int64}, {@code uint8}) and the values, converted on request.
 *
 * <pre>{@code
 * NpyArray a = Npy.read(Path.of("labels.npy"));
 * if (a.isInteger()) { int[] labels = a.toInts(); }
 * float[] f = a.toFloats();          // any dtype
 * }</pre>
 */
public final class NpyArray {
    private final int[] shape;
    private final String dtype;
    private final ByteBuffer data;   // byte order already set
    private final long size;

    NpyArray(int[] shape, String dtype, ByteBuffer data) {
        this.shape = shape;
        this.dtype = dtype;
        this.data = data;
        long s = 1;
        for (int d : shape) s *= d;
        this.size = s;
    }

    /** The shape; {@code []} for a 0-d (scalar) array. */
    public int[] shape() { return shape.clone(); }

    /** {@code float32}, {@code float64}, {@code int32}, {@code int64} or {@code uint8}. */
    public String dtype() { return dtype; }

    /** Number of elements. */
    public long size() { return size; }

    /** Whether the dtype is an integer type. */
    public boolean isInteger() { return dtype.startsWith("int") || dtype.equals("uint8"); }

    /** All values as floats (C order); int64 and float64 values are rounded to the nearest float. */
    public float[] toFloats() {
        float[] f = new float[checkedSize()];
        for (int i = 0; i < f.length; i++) f[i] = (float) get(i);
        return f;
    }

    /** All values as doubles (C order). */
    public double[] toDoubles() {
        double[] f = new double[checkedSize()];
        for (int i = 0; i < f.length; i++) f[i] = get(i);
        return f;
    }

    /** All values as ints; only for integer dtypes, and int64 values must fit in an int. */
    public int[] toInts() {
        if (!isInteger()) throw new EngineException("toInts() on a " + dtype + " array; use toFloats()");
        int[] r = new int[checkedSize()];
        for (int i = 0; i < r.length; i++) {
            long v = dtype.equals("int64") ? data.getLong(i * 8) : (long) get(i);
            if (v != (int) v) throw new ArithmeticException("value " + v + " at index " + i + " does not fit in an int");
            r[i] = (int) v;
        }
        return r;
    }

    private double get(int i) {
        switch (dtype) {
            case "float32": return data.getFloat(i * 4);
            case "float64": return data.getDouble(i * 8);
            case "int32": return data.getInt(i * 4);
            case "int64": return data.getLong(i * 8);
            case "uint8": return data.get(i) & 0xFF;
            default: throw new AssertionError(dtype);
        }
    }

    private int checkedSize() {
        if (size > Integer.MAX_VALUE - 16) throw new EngineException(size + " elements do not fit in one Java array");
        return (int) size;
    }

    @Override
    public String toString() { return "NpyArray[" + dtype + " " + Arrays.toString(shape) + "]"; }
}
