package dev.engine.autograd;

import dev.engine.api.ShapeException;
import dev.engine.api.Shapes;

/** Layer norm and batch norm on the backend's fused normalisation kernels, with their gradient rules. */
final class NormOps {
    private NormOps() {}

    private static void checkParam(String op, Tensor x, Tensor p, String what, long n) {
        if (p == null) return;
        ElementwiseOps.checkPair(op, x, p);
        if (p.numel() != n) throw new ShapeException(op + ": " + what + " " + Shapes.str(p.shape()) + " must have " + n + " elements");
    }

    // ---- layer norm -------------------------------------------------------------------------------

    static Tensor layerNorm(Tensor x, long[] normalizedShape, Tensor gamma, Tensor beta, double eps) {
        x.checkOpen();
        ElementwiseOps.checkFloating("layerNorm", x);
        long[] xs = x.shape();
        int k = normalizedShape.length;
        boolean ok = k >= 1 && k <= xs.length;
        for (int i = 0; ok && i < k; i++) ok = xs[xs.length - k + i] == normalizedShape[i];
        if (!ok) throw new ShapeException("layerNorm: input " + Shapes.str(xs) + " does not end in normalized shape " + Shapes.str(normalizedShape));
        long cols = Shapes.numel(normalizedShape), rows = cols == 0 ? 0 : x.numel() / cols;
        checkParam("layerNorm", x, gamma, "weight", cols);
        checkParam("layerNorm", x, beta, "bias", cols);
        Tensor xd = x.detach().dense();
        Tensor gd = gamma == null ? null : gamma.detach().dense(), bd = beta == null ? null : beta.detach().dense();
        Tensor y = Tensor.empty(x.backend(), x.dtype(), xs);
        Tensor mean = Tensor.empty(x.backend(), x.dtype(), rows), rstd = Tensor.empty(x.backend(), x.dtype(), rows);
        x.backend().layerNormForward(xd.buffer(), gd == null ? null : gd.buffer(), bd == null ? null : bd.buffer(), rows, cols, eps,
                y.buffer(), mean.buffer(), rstd.buffer());
        return y.recordedBy(new LayerNormBackward(x, gamma, beta, xd, gd, mean, rstd, rows, cols));
    }

    private static final class LayerNormBackward extends Node {
        final long rows, cols;

        LayerNormBackward(Tensor x, Tensor gamma, Tensor beta, Tensor xd, Tensor gd, Tensor mean, Tensor rstd, long rows, long cols) {
            super(x, gamma, beta);
            this.rows = rows; this.cols = cols;
            save(xd, gd, mean, rstd);
        }

        @Override public String name() { return "layerNorm"; }

        @Override protected Tensor[] backward(Tensor gy) {
            Tensor xd = saved(0), gd = saved(1), mean = saved(2), rstd = saved(3);
            Tensor g = gy.dense();
            Tensor gx = Tensor.empty(xd.backend(), xd.dtype(), xd.shape());
            Tensor gg = inputs[1] != null && needsGrad(1) ? Tensor.empty(xd.backend(), xd.dtype(), inputs[1].shape()) : null;
            Tensor gb = inputs[2] != null && needsGrad(2) ? Tensor.empty(xd.backend(), xd.dtype(), inputs[2].shape()) : null;
            xd.backend().layerNormBackward(xd.buffer(), g.buffer(), gd == null ? null : gd.buffer(), mean.buffer(), rstd.buffer(), rows, cols,
                    gx.buffer(), gg == null ? null : gg.buffer(), gb == null ? null : gb.buffer());
            return new Tensor[]{needsGrad(0) ? gx : null, gg, gb};
        }
    }

    // ---- batch norm -------------------------------------------------------------------------------

    /**
     * Batch norm over axis 1 of x [N, C, ...]. In training, uses batch statistics and updates the running
     * stats in place (when given); otherwise normalises with the running stats.
     */
    static Tensor batchNorm(Tensor x, Tensor runningMean, Tensor runningVar, Tensor gamma, Tensor beta, boolean training,
                            double momentum, double eps) {
        x.checkOpen();
        ElementwiseOps.checkFloating("batchNorm", x);
        if (x.dim() < 2) throw new ShapeException("batchNorm: input must be [N, C, ...], got " + Shapes.str(x.shape()));
        long[] xs = x.shape();
        long n = xs[0], c = xs[1], hw = 1;
        for (int i = 2; i < xs.length; i++) hw *= xs[i];
        if (!training && (runningMean == null || runningVar == null))
            throw new ShapeException("batchNorm: evaluation mode needs running mean and variance");
        if (training && n * hw <= 1)
            throw new ShapeException("batchNorm: training needs more than one value per channel, got input " + Shapes.str(xs));
        checkParam("batchNorm", x, gamma, "weight", c);
        checkParam("batchNorm", x, beta, "bias", c);
        checkParam("batchNorm", x, runningMean, "running_mean", c);
        checkParam("batchNorm", x, runningVar, "running_var", c);
        if (runningMean != null && !runningMean.isContiguous() || runningVar != null && !runningVar.isContiguous())
            throw new ShapeException("batchNorm: running statistics must be contiguous");
        Tensor xd = x.detach().dense();
        Tensor gd = gamma == null ? null : gamma.detach().dense(), bd = beta == null ? null : beta.detach().dense();
        Tensor y = Tensor.empty(x.backend(), x.dtype(), xs);
        Tensor sm = Tensor.empty(x.backend(), x.dtype(), c), sr = Tensor.empty(x.backend(), x.dtype(), c);
        x.backend().batchNormForward(xd.buffer(), gd == null ? null : gd.buffer(), bd == null ? null : bd.buffer(),
                runningMean == null ? null : runningMean.dense().buffer(), runningVar == null ? null : runningVar.dense().buffer(),
                n, c, hw, training, momentum, eps, y.buffer(), sm.buffer(), sr.buffer());
        return y.recordedBy(new BatchNormBackward(x, gamma, beta, xd, gd, sm, sr, n, c, hw, training));
    }

    private static final class BatchNormBackward extends Node {
        final long n, c, hw;
        final boolean training;

        BatchNormBackward(Tensor x, Tensor gamma, Tensor beta, Tensor xd, Tensor gd, Tensor sm, Tensor sr, long n, long c, long hw, boolean training) {
            super(x, gamma, beta);
            this.n = n; this.c = c; this.hw = hw; this.training = training;
            save(xd, gd, sm, sr);
        }

        @Override public String name() { return "batchNorm"; }

        @Override protected Tensor[] backward(Tensor gy) {
            Tensor xd = saved(0), gd = saved(1), sm = saved(2), sr = saved(3);
            boolean wantG = inputs[1] != null && needsGrad(1), wantB = inputs[2] != null && needsGrad(2);
            if (!training) return evalBackward(gy, xd, gd, sm, sr, wantG, wantB);
            Tensor g = gy.dense();
            Tensor gx = Tensor.empty(xd.backend(), xd.dtype(), xd.shape());
            Tensor gg = wantG ? Tensor.empty(xd.backend(), xd.dtype(), inputs[1].shape()) : null;
            Tensor gb = wantB ? Tensor.empty(xd.backend(), xd.dtype(), inputs[2].shape()) : null;
            xd.backend().batchNormBackward(xd.buffer(), g.buffer(), gd == null ? null : gd.buffer(), sm.buffer(), sr.buffer(), n, c, hw,
                    gx.buffer(), gg == null ? null : gg.buffer(), gb == null ? null : gb.buffer());
            return new Tensor[]{needsGrad(0) ? gx : null, gg, gb};
        }

        /** With fixed (running) statistics the op is affine per channel: y = (x - mu) * rstd * gamma + beta. */
        private Tensor[] evalBackward(Tensor gy, Tensor xd, Tensor gd, Tensor sm, Tensor sr, boolean wantG, boolean wantB) {
            long[] bshape = new long[xd.dim()];
            java.util.Arrays.fill(bshape, 1);
            bshape[1] = c;
            int[] axes = new int[xd.dim() - 1];
            axes[0] = 0;
            for (int i = 2; i < xd.dim(); i++) axes[i - 1] = i;
            Tensor rs = sr.reshape(bshape);
            Tensor scale = gd == null ? rs : rs.mul(gd.reshape(bshape));
            Tensor gx = needsGrad(0) ? gy.mul(scale) : null;
            Tensor gg = wantG ? gy.mul(xd.sub(sm.reshape(bshape)).mul(rs)).sum(axes, false).reshape(inputs[1].shape()) : null;
            Tensor gb = wantB ? gy.sum(axes, false).reshape(inputs[2].shape()) : null;
            return new Tensor[]{gx, gg, gb};
        }
    }
}
