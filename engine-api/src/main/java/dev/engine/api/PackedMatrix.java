package dev.engine.api;

/**
 * A constant F32 matrix of {@code rows x cols} (typically a frozen layer's weight, transposed to
 * {@code [in, out]}) stored once in the layout its backend's {@link Backend#gemmPacked} streams fastest.
 * Made by {@link Backend#packMatrix}; owns its buffer, so close it (or the weights holding it) when done.
 * {@code format} names the layout, so a matrix packed by one backend is refused by another.
 *
 * <pre>{@code
 * try (PackedMatrix w = be.packMatrix(weightT, in, out)) {
 *     be.gemmPacked(batch, MatrixRef.of(x, in), w, MatrixRef.of(y, out), Epilogue.of(bias, Activation.RELU));
 * }
 * }</pre>
 */
public final class PackedMatrix implements AutoCloseable {
    /** The format of the default {@link Backend#packMatrix}: a plain contiguous row-major copy. */
    public static final String ROW_MAJOR = "row-major";

    private final Buffer buffer;
    private final long rows, cols;
    private final String format;

    public PackedMatrix(Buffer buffer, long rows, long cols, String format) {
        if (buffer == null || format == null) throw new EngineException("packed matrix without a buffer or format");
        if (rows < 0 || cols < 0) throw new ShapeException("packed matrix with negative size " + rows + " x " + cols);
        this.buffer = buffer;
        this.rows = rows;
        this.cols = cols;
        this.format = format;
    }

    public Buffer buffer() { return buffer; }
    /** k: the rows of B, the inner dimension of the product. */
    public long rows() { return rows; }
    /** n: the columns of B and of the product. */
    public long cols() { return cols; }
    public String format() { return format; }

    /** Throws unless this matrix was packed in {@code expected} by {@code backend} and is still open. */
    public void check(String op, Backend backend, String expected) {
        KernelChecks.buffer(op, "packed B", backend, buffer, 0);
        if (!format.equals(expected))
            throw new EngineException(op + ": packed B has format '" + format + "' but backend " + backend.name() + " expects '" + expected + "'");
    }

    @Override public void close() { buffer.close(); }

    @Override public String toString() { return "PackedMatrix[" + rows + " x " + cols + ", " + format + "]"; }
}
