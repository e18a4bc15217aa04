package dev.engine.autograd;

import dev.engine.api.Activation;
import dev.engine.api.Conv2dShape;
import dev.engine.api.DType;
import dev.engine.api.ShapeException;
import dev.engine.api.Shapes;

/** 2-D convolution (NCHW input, KCRS weight) on the backend's conv kernels, with its gradient rule. */
final class ConvOps {
    private ConvOps() {}

    static Tensor conv2d(Tensor x, Tensor w, Tensor b, int[] stride, int[] padding, int[] dilation, int groups) {
        ElementwiseOps.checkPair("conv2d", x, w);
        if (x.dtype().isHalf()) {
            if (b != null) ElementwiseOps.checkPair("conv2d", x, b);
            return Autocast.halfProduct(x.dtype(), () -> conv2d(Autocast.f32(x), Autocast.f32(w), Autocast.f32(b), stride, padding, dilation, groups));
        }
        if (x.dim() == 3) return conv2d(x.unsqueeze(0), w, b, stride, padding, dilation, groups).squeeze(0);
        if (x.dim() != 4) throw new ShapeException("conv2d: input must be [N, C, H, W], got " + Shapes.str(x.shape()));
        if (w.dim() != 4) throw new ShapeException("conv2d: weight must be [K, C/groups, R, S], got " + Shapes.str(w.shape()));
        long[] xs = x.shape(), ws = w.shape();
        if (groups < 1 || ws[1] * groups != xs[1])
            throw new ShapeException("conv2d: input " + Shapes.str(xs) + " has " + xs[1] + " channels but weight " + Shapes.str(ws)
                    + " with groups=" + groups + " expects " + ws[1] * groups);
        if (b != null) {
            ElementwiseOps.checkPair("conv2d", x, b);
            if (b.dim() != 1 || b.shape()[0] != ws[0])
                throw new ShapeException("conv2d: bias " + Shapes.str(b.shape()) + " must be [" + ws[0] + "]");
        }
        Conv2dShape g = new Conv2dShape(xs[0], xs[1], xs[2], xs[3], ws[0], ws[2], ws[3], stride[0], stride[1],
                padding[0], padding[1], dilation[0], dilation[1], groups);
        // under autocast the operands are rounded copies: their F32 products are exact, summed in F32
        DType precision = Autocast.precisionFor(x.dtype());
        Tensor xd = operand(x, precision), wd = operand(w, precision), bd = b == null ? null : b.detach().dense();
        Tensor y = Tensor.empty(x.backend(), x.dtype(), g.outputShape());
        x.backend().conv2dForward(g, xd.buffer(), wd.buffer(), bd == null ? null : bd.buffer(), Activation.NONE, y.buffer());
        return y.recordedBy(new Backward(x, w, b, xd, wd, g, precision));
    }

    private static Tensor operand(Tensor t, DType precision) {
        Tensor d = t.detach().dense();
        return precision == null ? d : Autocast.rounded(d, precision);
    }

    private static final class Backward extends Node {
        final Conv2dShape g;
        final DType precision;

        Backward(Tensor x, Tensor w, Tensor b, Tensor xd, Tensor wd, Conv2dShape g, DType precision) {
            super(x, w, b);
            this.g = g;
            this.precision = precision;
            save(xd, wd);
        }

        @Override public String name() { return "conv2d"; }

        @Override protected Tensor[] backward(Tensor gy) {
            Tensor xd = saved(0), wd = saved(1);
            Tensor gd = operand(gy, precision);
            Tensor gx = null, gw = null, gb = null;
            if (needsGrad(0)) {
                gx = Tensor.empty(xd.backend(), xd.dtype(), g.inputShape());
                xd.backend().conv2dBackwardInput(g, gd.buffer(), wd.buffer(), gx.buffer());
            }
            boolean wantB = inputs[2] != null && needsGrad(2);
            if (needsGrad(1) || wantB) {
                gw = Tensor.empty(xd.backend(), xd.dtype(), g.weightShape());
                gb = wantB ? Tensor.empty(xd.backend(), xd.dtype(), g.k()) : null;
                xd.backend().conv2dBackwardWeight(g, xd.buffer(), gd.buffer(), gw.buffer(), gb == null ? null : gb.buffer());
                if (!needsGrad(1)) gw = null;
            }
            return new Tensor[]{gx, gw, gb};
        }
    }
}
