package dev.engine.autograd;

import dev.engine.api.DType;
import dev.engine.api.Epilogue;
import dev.engine.api.Layout;
import dev.engine.api.MatrixRef;
import dev.engine.api.ShapeException;
import dev.engine.api.Shapes;
import java.util.Arrays;

/**
 * Matrix products on the backend's GEMM: transposed operands are passed as GEMM transposes (no copy),
 * leading dims of an N-d input times a 2-d weight collapse into one GEMM, and broadcast batch dims become
 * one strided batched GEMM. Also the fused {@code linear} (x W^T + b with the bias in the epilogue).
 */
final class MatMulOp {
    private MatMulOp() {}

    /** A 2-d (or batch of 2-d) operand as GEMM sees it. */
    private record Operand(Tensor t, boolean trans, long ld, long batchStride) {}

    /** GEMM view of the last two dims of {@code t} (whose batch dims were already collapsed to one stride). */
    private static Operand operand(Tensor t, long batchStride) {
        Layout l = t.layout();
        int r = l.rank();
        long rows = l.shape(r - 2), cols = l.shape(r - 1), s0 = l.stride(r - 2), s1 = l.stride(r - 1);
        if ((s1 == 1 || cols == 1) && s0 >= Math.max(cols, 1)) return new Operand(t, false, Math.max(s0, 1), batchStride);
        if ((s0 == 1 || rows == 1) && s1 >= Math.max(rows, 1)) return new Operand(t, true, Math.max(s1, 1), batchStride);
        Tensor c = t.detach().contiguous();
        return new Operand(c, false, Math.max(cols, 1), batchStride == 0 ? 0 : rows * cols);
    }

    static Tensor matmul(Tensor a, Tensor b) {
        ElementwiseOps.checkPair("matmul", a, b);
        if (a.dtype().isHalf()) return Autocast.halfProduct(a.dtype(), () -> matmul(Autocast.f32(a), Autocast.f32(b)));
        if (a.dim() == 0 || b.dim() == 0)
            throw new ShapeException("matmul: both operands need at least 1 dim, got " + Shapes.str(a.shape()) + " and " + Shapes.str(b.shape()));
        if (a.dim() == 1) return matmul(a.unsqueeze(0), b).squeeze(-2);
        if (b.dim() == 1) return matmul(a, b.unsqueeze(1)).squeeze(-1);
        long[] as = a.shape(), bs = b.shape();
        long k = as[as.length - 1];
        if (bs[bs.length - 2] != k)
            throw new ShapeException("matmul: inner dims differ: " + Shapes.str(as) + " @ " + Shapes.str(bs) + " (" + k + " vs " + bs[bs.length - 2] + ")");
        Tensor y = b.dim() == 2 ? flatMatmul(a.detach(), b.detach()) : batchedMatmul(a.detach(), b.detach());
        return y.recordedBy(new Backward(a, b, Autocast.precisionFor(y.dtype())));
    }

    /** [..., k] @ [k, n]: leading dims folded into the rows of one GEMM. */
    private static Tensor flatMatmul(Tensor a, Tensor b) {
        long[] as = a.shape();
        long k = as[as.length - 1], n = b.shape()[1];
        Tensor a2 = a.dim() == 2 ? a : a.reshape(-1, k);
        long m = a2.shape()[0];
        long[] outShape = as.clone();
        outShape[outShape.length - 1] = n;
        Tensor y = Tensor.empty(a.backend(), a.dtype(), outShape);
        gemm(operand(a2, 0), operand(b, 0), y, m, n, k, 1, Epilogue.NONE);
        return y;
    }

    private static Tensor batchedMatmul(Tensor a, Tensor b) {
        long[] as = a.shape(), bs = b.shape();
        long m = as[as.length - 2], k = as[as.length - 1], n = bs[bs.length - 1];
        long[] batch = Shapes.broadcast("matmul", Arrays.copyOf(as, as.length - 2), Arrays.copyOf(bs, bs.length - 2));
        long count = Shapes.numel(batch);
        Operand oa = operand(collapse(a, batch, m, k), strideOf(collapse(a, batch, m, k)));
        Operand ob = operand(collapse(b, batch, k, n), strideOf(collapse(b, batch, k, n)));
        long[] outShape = Arrays.copyOf(batch, batch.length + 2);
        outShape[batch.length] = m;
        outShape[batch.length + 1] = n;
        Tensor y = Tensor.empty(a.backend(), a.dtype(), outShape);
        gemm(oa, ob, y, m, n, k, count, Epilogue.NONE);
        return y;
    }

    /** Broadcasts to batch + [r, c] and folds the batch dims into one (copying when strides don't allow). */
    private static Tensor collapse(Tensor t, long[] batch, long r, long c) {
        long[] full = Arrays.copyOf(batch, batch.length + 2);
        full[batch.length] = r;
        full[batch.length + 1] = c;
        Layout l = t.layout().broadcastTo(full);
        long count = Shapes.numel(batch);
        long stride = -1;
        boolean ok = true;
        for (int i = batch.length - 1; i >= 0; i--) {
            if (batch[i] == 1) continue;
            long s = l.stride(i);
            if (stride == -1) { stride = s; continue; }
            // the next-outer dim must step exactly over the inner ones
            long inner = 1;
            for (int j = i + 1; j < batch.length; j++) inner *= batch[j];
            if (s != stride * inner) { ok = false; break; }
        }
        if (stride == -1) stride = 0;
        Layout folded = new Layout(new long[]{count, r, c}, new long[]{stride, l.stride(batch.length), l.stride(batch.length + 1)}, l.offset());
        if (ok) return t.viewAs(folded);
        Tensor e = t.viewAs(l).contiguous();
        return e.reshape(count, r, c);
    }

    private static long strideOf(Tensor t3) { return t3.layout().stride(0); }

    private static void gemm(Operand a, Operand b, Tensor y, long m, long n, long k, long batch, Epilogue epi) {
        MatrixRef ra = new MatrixRef(a.t.buffer(), a.t.layout().offset(), a.ld, a.batchStride);
        MatrixRef rb = new MatrixRef(b.t.buffer(), b.t.layout().offset(), b.ld, b.batchStride);
        MatrixRef rc = new MatrixRef(y.buffer(), 0, Math.max(n, 1), m * n);
        DType precision = Autocast.precisionFor(y.dtype());
        if (precision != null) y.backend().gemmRounded(precision, a.trans, b.trans, m, n, k, 1.0, ra, rb, 0.0, rc, batch, epi);
        else y.backend().gemm(a.trans, b.trans, m, n, k, 1.0, ra, rb, 0.0, rc, batch, epi);
    }

    private static final class Backward extends Node {
        final DType precision;

        Backward(Tensor a, Tensor b, DType precision) {
            super(a, b);
            this.precision = precision;
            save(a, b);
        }

        @Override public String name() { return "matmul"; }

        @Override protected Tensor[] backward(Tensor g) {
            try (Autocast scope = Autocast.of(precision)) {
                return gradients(g);
            }
        }

        private Tensor[] gradients(Tensor g) {
            Tensor a = saved(0), b = saved(1);
            Tensor ga = null, gb = null;
            if (a.dim() == 1 || b.dim() == 1) {
                // fall back to the 2-d rule on unsqueezed operands
                Tensor a2 = a.dim() == 1 ? a.unsqueeze(0) : a, b2 = b.dim() == 1 ? b.unsqueeze(1) : b;
                long[] gShape = a2.matmul(b2).shape();
                Tensor g2 = g.reshape(gShape);
                if (needsGrad(0)) ga = g2.matmul(b2.transpose(-1, -2)).reshape(a.shape());
                if (needsGrad(1)) gb = ReductionOps.sumToShape(a2.transpose(-1, -2).matmul(g2), b2.shape()).reshape(b.shape());
                return new Tensor[]{ga, gb};
            }
            if (needsGrad(0)) ga = ReductionOps.sumToShape(g.matmul(b.transpose(-1, -2)), a.shape());
            if (needsGrad(1)) {
                if (b.dim() == 2) {
                    long k = a.shape()[a.dim() - 1], n = b.shape()[1];
                    gb = a.reshape(-1, k).t().matmul(g.reshape(-1, n));
                } else {
                    gb = ReductionOps.sumToShape(a.transpose(-1, -2).matmul(g), b.shape());
                }
            }
            return new Tensor[]{ga, gb};
        }
    }

    // ---- linear -----------------------------------------------------------------------------------

    /** {@code x W^T + bias} for x [..., in], W [out, in], bias [out] (may be null): one GEMM with the bias fused. */
    static Tensor linear(Tensor x, Tensor w, Tensor bias) {
        ElementwiseOps.checkPair("linear", x, w);
        if (x.dtype().isHalf()) {
            if (bias != null) ElementwiseOps.checkPair("linear", x, bias);
            return Autocast.halfProduct(x.dtype(), () -> linear(Autocast.f32(x), Autocast.f32(w), Autocast.f32(bias)));
        }
        if (w.dim() != 2) throw new ShapeException("linear: weight must be 2-D [out, in], got " + Shapes.str(w.shape()));
        long in = w.shape()[1], out = w.shape()[0];
        if (x.dim() < 1 || x.shape()[x.dim() - 1] != in)
            throw new ShapeException("linear: input " + Shapes.str(x.shape()) + " does not end in " + in + " features (weight " + Shapes.str(w.shape()) + ")");
        if (bias != null) {
            ElementwiseOps.checkPair("linear", x, bias);
            if (bias.dim() != 1 || bias.shape()[0] != out)
                throw new ShapeException("linear: bias " + Shapes.str(bias.shape()) + " must be [" + out + "]");
        }
        Tensor x2 = x.detach().reshape(-1, in);
        long m = x2.shape()[0];
        long[] outShape = x.shape();
        outShape[outShape.length - 1] = out;
        Tensor y = Tensor.empty(x.backend(), x.dtype(), outShape);
        Tensor bd = bias == null ? null : bias.detach().dense();
        gemm(operand(x2, 0), operand(w.detach().t(), 0), y, m, out, in, 1,
                bd == null ? Epilogue.NONE : new Epilogue(bd.buffer(), null, dev.engine.api.Activation.NONE, 0));
        return y.recordedBy(new LinearBackward(x, w, bias, Autocast.precisionFor(y.dtype())));
    }

    private static final class LinearBackward extends Node {
        final DType precision;

        LinearBackward(Tensor x, Tensor w, Tensor b, DType precision) {
            super(x, w, b);
            this.precision = precision;
            save(x, w);
        }

        @Override public String name() { return "linear"; }

        @Override protected Tensor[] backward(Tensor g) {
            Tensor x = saved(0), w = saved(1);
            long in = w.shape()[1], out = w.shape()[0];
            Tensor g2 = g.reshape(-1, out);
            boolean wantBias = inputs[2] != null && needsGrad(2);
            Tensor gx, gw = null, gb = null;
            try (Autocast scope = Autocast.of(precision)) {
                gx = needsGrad(0) ? g.matmul(w) : null;
                if (needsGrad(1) && wantBias) {
                    gb = Tensor.empty(g.backend(), g.dtype(), out);
                    gw = weightGradient(g2, x.reshape(-1, in), gb);
                } else if (needsGrad(1)) {
                    gw = g2.t().matmul(x.reshape(-1, in));
                }
            }
            if (gb == null && wantBias) gb = g2.sum(0, false);
            return new Tensor[]{gx, gw, gb};
        }
    }

    /** dW = dY^T X for dY [rows, out] and X [rows, in], with db (the column sums of dY) written by the same GEMM. */
    private static Tensor weightGradient(Tensor dy, Tensor x, Tensor db) {
        long rows = dy.shape()[0], out = dy.shape()[1], in = x.shape()[1];
        Tensor gw = Tensor.empty(dy.backend(), dy.dtype(), out, in);
        gemm(operand(dy.t(), 0), operand(x, 0), gw, out, in, rows, 1, Epilogue.biasGradient(db.buffer()));
        return gw;
    }
}
