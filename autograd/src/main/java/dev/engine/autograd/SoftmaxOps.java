package dev.engine.autograd;

import dev.engine.api.Shapes;

/** Softmax and log-softmax along an axis (the kernel works on the last, contiguous axis). */
final class SoftmaxOps {
    private SoftmaxOps() {}

    static Tensor softmax(Tensor x, int axis, boolean log) {
        String name = log ? "logSoftmax" : "softmax";
        ElementwiseOps.checkFloating(name, x);
        if (x.dim() == 0) return softmax(x.reshape(1), 0, log).reshape();
        int a = Shapes.axis(name, axis, x.dim());
        int last = x.dim() - 1;
        if (a != last) return softmax(x.transpose(a, last), last, log).transpose(a, last);
        Tensor c = x.detach().dense();
        long cols = x.shape()[last], rows = cols == 0 ? 0 : x.numel() / cols;
        Tensor y = Tensor.empty(x.backend(), x.dtype(), x.shape());
        x.backend().softmax(c.buffer(), y.buffer(), rows, cols, log);
        return y.recordedBy(new Backward(x, y, rows, cols, log));
    }

    private static final class Backward extends Node {
        final long rows, cols;
        final boolean log;

        Backward(Tensor x, Tensor y, long rows, long cols, boolean log) {
            super(x);
            this.rows = rows; this.cols = cols; this.log = log;
            save(y);
        }

        @Override public String name() { return log ? "logSoftmax" : "softmax"; }

        @Override protected Tensor[] backward(Tensor g) {
            Tensor y = saved(0);
            Tensor gc = g.dense();
            Tensor gx = Tensor.empty(y.backend(), y.dtype(), y.shape());
            y.backend().softmaxBackward(y.buffer(), gc.buffer(), gx.buffer(), rows, cols, log);
            return new Tensor[]{gx};
        }
    }
}
