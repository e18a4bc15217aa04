package dev.engine.api;

/**
 * A (batch of) row-major matrices inside a buffer: element offset of the first, leading dimension, and
 * the element distance between consecutive matrices of a batch (0 = the same matrix for every batch).
 *
 * <pre>{@code
 * MatrixRef a = MatrixRef.of(buf, 64);   // offset 0, lda 64, one matrix
 * }</pre>
 */
public record MatrixRef(Buffer buffer, long offset, long ld, long batchStride) {
    public MatrixRef {
        if (buffer == null) throw new EngineException("matrix reference without a buffer");
        if (offset < 0 || ld < 1 || batchStride < 0)
            throw new ShapeException("matrix reference with offset " + offset + ", ld " + ld + ", batch stride " + batchStride);
    }

    public static MatrixRef of(Buffer buffer, long ld) { return new MatrixRef(buffer, 0, ld, 0); }
}
