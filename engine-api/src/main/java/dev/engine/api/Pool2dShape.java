package dev.engine.api;

/**
 * Geometry of 2-D max or average pooling over NCHW input. Padding must be at most half the window.
 *
 * <pre>{@code
 * var p = new Pool2dShape(1, 6, 28, 28, 2, 2, 2, 2, 0, 0, true);
 * p.outH();   // 14
 * }</pre>
 */
public record Pool2dShape(long n, long c, long h, long w, int kernelH, int kernelW, int strideH, int strideW,
                          int padH, int padW, boolean countIncludePad) {
    public Pool2dShape {
        if (n < 0 || c < 1 || h < 1 || w < 1)
            throw new ShapeException("pool2d: bad input sizes n=" + n + " c=" + c + " h=" + h + " w=" + w);
        if (kernelH < 1 || kernelW < 1 || strideH < 1 || strideW < 1 || padH < 0 || padW < 0)
            throw new ShapeException("pool2d: kernel " + kernelH + "x" + kernelW + ", stride " + strideH + "x" + strideW + " must be >= 1, padding >= 0");
        if (2 * padH > kernelH || 2 * padW > kernelW)
            throw new ShapeException("pool2d: padding " + padH + "x" + padW + " must be at most half the kernel " + kernelH + "x" + kernelW);
        if (h + 2L * padH < kernelH || w + 2L * padW < kernelW)
            throw new ShapeException("pool2d: kernel " + kernelH + "x" + kernelW + " larger than padded input " + (h + 2L * padH) + "x" + (w + 2L * padW));
    }

    public long outH() { return (h + 2L * padH - kernelH) / strideH + 1; }
    public long outW() { return (w + 2L * padW - kernelW) / strideW + 1; }
    public long[] outputShape() { return new long[]{n, c, outH(), outW()}; }
}
