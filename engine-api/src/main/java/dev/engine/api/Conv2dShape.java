package dev.engine.api;

/**
 * Geometry of a 2-D convolution over NCHW input with KCRS weights ({@code K} filters of
 * {@code C/groups x R x S}). The constructor checks every size and derives the output size.
 *
 * <pre>{@code
 * var g = new Conv2dShape(8, 3, 32, 32, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1);
 * g.outH();   // 32
 * }</pre>
 */
public record Conv2dShape(long n, long c, long h, long w, long k, long r, long s,
                          int strideH, int strideW, int padH, int padW, int dilationH, int dilationW, int groups) {
    public Conv2dShape {
        if (n < 0 || c < 1 || h < 1 || w < 1 || k < 1 || r < 1 || s < 1)
            throw new ShapeException("conv2d: bad sizes n=" + n + " c=" + c + " h=" + h + " w=" + w + " k=" + k + " kernel=" + r + "x" + s);
        if (strideH < 1 || strideW < 1 || dilationH < 1 || dilationW < 1 || padH < 0 || padW < 0)
            throw new ShapeException("conv2d: stride " + strideH + "x" + strideW + ", dilation " + dilationH + "x" + dilationW
                    + " must be >= 1 and padding " + padH + "x" + padW + " >= 0");
        if (groups < 1 || c % groups != 0 || k % groups != 0)
            throw new ShapeException("conv2d: groups=" + groups + " must divide in_channels=" + c + " and out_channels=" + k);
        long oh = (h + 2L * padH - (long) dilationH * (r - 1) - 1) / strideH + 1;
        long ow = (w + 2L * padW - (long) dilationW * (s - 1) - 1) / strideW + 1;
        if (oh < 1 || ow < 1)
            throw new ShapeException("conv2d: kernel " + r + "x" + s + " (dilation " + dilationH + "x" + dilationW + ") larger than padded input "
                    + (h + 2L * padH) + "x" + (w + 2L * padW));
    }

    public long outH() { return (h + 2L * padH - (long) dilationH * (r - 1) - 1) / strideH + 1; }
    public long outW() { return (w + 2L * padW - (long) dilationW * (s - 1) - 1) / strideW + 1; }
    public long[] inputShape() { return new long[]{n, c, h, w}; }
    public long[] weightShape() { return new long[]{k, c / groups, r, s}; }
    public long[] outputShape() { return new long[]{n, k, outH(), outW()}; }
}
