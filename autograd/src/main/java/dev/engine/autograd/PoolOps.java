package dev.engine.autograd;

import dev.engine.api.DType;
import dev.engine.api.Pool2dShape;
import dev.engine.api.ShapeException;
import dev.engine.api.Shapes;

/** Max, average and adaptive-average 2-D pooling over NCHW input, each with its gradient rule. */
final class PoolOps {
    private PoolOps() {}

    private static Pool2dShape shape(String op, Tensor x, int[] k, int[] s, int[] p, boolean countIncludePad) {
        ElementwiseOps.checkFloating(op, x);
        if (x.dim() != 4) throw new ShapeException(op + ": input must be [N, C, H, W], got " + Shapes.str(x.shape()));
        long[] xs = x.shape();
        return new Pool2dShape(xs[0], xs[1], xs[2], xs[3], k[0], k[1], s[0], s[1], p[0], p[1], countIncludePad);
    }

    static Tensor maxPool2d(Tensor x, int[] kernel, int[] stride, int[] padding) {
        x.checkOpen();
        if (x.dim() == 3) return maxPool2d(x.unsqueeze(0), kernel, stride, padding).squeeze(0);
        Pool2dShape g = shape("maxPool2d", x, kernel, stride, padding, false);
        Tensor xd = x.detach().dense();
        Tensor y = Tensor.empty(x.backend(), x.dtype(), g.outputShape());
        if (!GradMode.isEnabled() || !x.requiresGrad()) {  // nothing will ask for the gradient: values only
            x.backend().maxPool2dForward(g, xd.buffer(), y.buffer(), null);
            return y;
        }
        Tensor idx = Tensor.empty(x.backend(), DType.I64, g.outputShape());
        x.backend().maxPool2dForward(g, xd.buffer(), y.buffer(), idx.buffer());
        return y.recordedBy(new MaxBackward(x, idx, g));
    }

    private static final class MaxBackward extends Node {
        final Pool2dShape g;

        MaxBackward(Tensor x, Tensor idx, Pool2dShape g) { super(x); this.g = g; save(idx); }

        @Override public String name() { return "maxPool2d"; }

        @Override protected Tensor[] backward(Tensor gy) {
            Tensor idx = saved(0), gd = gy.dense();
            Tensor gx = Tensor.empty(gy.backend(), gy.dtype(), g.n(), g.c(), g.h(), g.w());
            gy.backend().maxPool2dBackward(g, gd.buffer(), idx.buffer(), gx.buffer());
            return new Tensor[]{gx};
        }
    }

    static Tensor avgPool2d(Tensor x, int[] kernel, int[] stride, int[] padding, boolean countIncludePad) {
        x.checkOpen();
        if (x.dim() == 3) return avgPool2d(x.unsqueeze(0), kernel, stride, padding, countIncludePad).squeeze(0);
        Pool2dShape g = shape("avgPool2d", x, kernel, stride, padding, countIncludePad);
        Tensor xd = x.detach().dense();
        Tensor y = Tensor.empty(x.backend(), x.dtype(), g.outputShape());
        x.backend().avgPool2dForward(g, xd.buffer(), y.buffer());
        return y.recordedBy(new AvgBackward(x, g));
    }

    private static final class AvgBackward extends Node {
        final Pool2dShape g;

        AvgBackward(Tensor x, Pool2dShape g) { super(x); this.g = g; }

        @Override public String name() { return "avgPool2d"; }

        @Override protected Tensor[] backward(Tensor gy) {
            Tensor gd = gy.dense();
            Tensor gx = Tensor.empty(gy.backend(), gy.dtype(), g.n(), g.c(), g.h(), g.w());
            gy.backend().avgPool2dBackward(g, gd.buffer(), gx.buffer());
            return new Tensor[]{gx};
        }
    }

    static Tensor adaptiveAvgPool2d(Tensor x, long oh, long ow) {
        x.checkOpen();
        if (x.dim() == 3) return adaptiveAvgPool2d(x.unsqueeze(0), oh, ow).squeeze(0);
        ElementwiseOps.checkFloating("adaptiveAvgPool2d", x);
        if (x.dim() != 4) throw new ShapeException("adaptiveAvgPool2d: input must be [N, C, H, W], got " + Shapes.str(x.shape()));
        long[] s = x.shape();
        Tensor xd = x.detach().dense();
        Tensor y = Tensor.empty(x.backend(), x.dtype(), s[0], s[1], oh, ow);
        x.backend().adaptiveAvgPool2dForward(xd.buffer(), y.buffer(), s[0] * s[1], s[2], s[3], oh, ow);
        return y.recordedBy(new AdaptiveBackward(x, oh, ow));
    }

    private static final class AdaptiveBackward extends Node {
        final long[] in;
        final long oh, ow;

        AdaptiveBackward(Tensor x, long oh, long ow) { super(x); in = x.shape(); this.oh = oh; this.ow = ow; }

        @Override public String name() { return "adaptiveAvgPool2d"; }

        @Override protected Tensor[] backward(Tensor gy) {
            Tensor gd = gy.dense();
            Tensor gx = Tensor.empty(gy.backend(), gy.dtype(), in);
            gy.backend().adaptiveAvgPool2dBackward(gd.buffer(), gx.buffer(), in[0] * in[1], in[2], in[3], oh, ow);
            return new Tensor[]{gx};
        }
    }
}
