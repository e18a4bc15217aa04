package dev.engine.api;

/**
 * A buffer seen through a layout: what every strided kernel argument is.
 *
 * <pre>{@code
 * BufferView xt = new BufferView(x, Layout.contiguous(2, 3).transpose(0, 1));
 * }</pre>
 */
public record BufferView(Buffer buffer, Layout layout) {
    public BufferView {
        if (buffer == null) throw new EngineException("buffer view without a buffer");
        if (layout == null) throw new EngineException("buffer view without a layout");
    }

    /** A contiguous view of a whole buffer with the given shape. */
    public static BufferView of(Buffer buffer, long... shape) { return new BufferView(buffer, Layout.contiguous(shape)); }

    public DType dtype() { return buffer.dtype(); }
    public long[] shape() { return layout.shape(); }
}
