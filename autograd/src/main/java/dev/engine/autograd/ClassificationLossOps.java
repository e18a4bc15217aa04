package dev.engine.autograd;

import dev.engine.api.DType;
import dev.engine.api.DTypeException;
import dev.engine.api.ElementwiseOp;
import dev.engine.api.ElementwiseProgram;
import dev.engine.api.IndexOutOfRangeException;
import dev.engine.api.ShapeException;
import dev.engine.api.Shapes;

/**
 * Cross-entropy from logits (one fused kernel call computes the loss and the gradient together) and the
 * negative log-likelihood from log-probabilities (gather / scatter-add).
 */
final class ClassificationLossOps {
    private ClassificationLossOps() {}

    private static final ElementwiseProgram MUL = ElementwiseProgram.single(ElementwiseOp.MUL, 0);
    private static final ElementwiseProgram NLL;

    static {
        var b = ElementwiseProgram.builder(2);   // r0 = picked log-prob, r1 = row weight
        NLL = b.build(b.op(ElementwiseOp.WHERE, 1, b.op(ElementwiseOp.NEG, b.op(ElementwiseOp.MUL, 0, 1)), b.opImm(ElementwiseOp.CONST, 0)));
    }

    /** Logits [N, C] or [N, C, d1, ...] as rows x C (class axis moved last); targets [N] or [N, d1, ...]. */
    private static Tensor rowsOf(String op, Tensor logits, Tensor targets) {
        ElementwiseOps.checkFloating(op, logits);
        if (targets.dtype() != DType.I64) throw new DTypeException(op + ": targets must be I64 class indices, got " + targets.dtype());
        long[] ls = logits.shape(), ts = targets.shape();
        if (logits.dim() == 1 && targets.dim() == 0) return logits.reshape(1, ls[0]);
        boolean ok = logits.dim() >= 2 && targets.dim() == logits.dim() - 1 && ts[0] == ls[0];
        for (int i = 2; ok && i < ls.length; i++) ok = ts[i - 1] == ls[i];
        if (!ok) throw new ShapeException(op + ": logits " + Shapes.str(ls) + " and targets " + Shapes.str(ts)
                + " do not match (expected logits [N, C, ...] and targets [N, ...])");
        if (logits.dim() == 2) return logits;
        int[] perm = new int[logits.dim()];
        perm[0] = 0;
        for (int i = 2; i < perm.length; i++) perm[i - 1] = i;
        perm[perm.length - 1] = 1;
        return logits.permute(perm).reshape(-1, ls[1]);
    }

    private static void checkWeight(String op, Tensor logits, Tensor w, long c) {
        if (w == null) return;
        ElementwiseOps.checkPair(op, logits, w);
        if (w.dim() != 1 || w.shape()[0] != c) throw new ShapeException(op + ": class weights " + Shapes.str(w.shape()) + " must be [" + c + "]");
    }

    /** Reduces per-row losses; returns {reduced value, scale tensor for backward or null}. */
    private static Tensor[] reduce(Tensor loss, Tensor rowWeight, Reduction r, long[] noneShape) {
        return switch (r) {
            case NONE -> new Tensor[]{loss.reshape(noneShape), null};
            case SUM -> new Tensor[]{loss.sum(), null};
            case MEAN -> {
                Tensor sw = rowWeight.sum();
                yield new Tensor[]{loss.sum().div(sw), sw};
            }
        };
    }

    /** Upstream gradient per row ([rows, 1], to broadcast over classes). */
    private static Tensor rowGrad(Tensor g, Tensor sumWeight, Reduction r, long rows) {
        return switch (r) {
            case NONE -> g.reshape(rows, 1);
            case SUM -> g.reshape(1, 1);
            case MEAN -> g.div(sumWeight).reshape(1, 1);
        };
    }

    static Tensor crossEntropy(Tensor logits, Tensor targets, Tensor weight, long ignoreIndex, double labelSmoothing, Reduction reduction) {
        logits.checkOpen();
        targets.checkOpen();
        Tensor x = rowsOf("crossEntropy", logits.detach(), targets).dense();
        long rows = x.shape()[0], cols = x.shape()[1];
        checkWeight("crossEntropy", logits, weight, cols);
        Tensor t = targets.dense();
        Tensor w = weight == null ? null : weight.detach().dense();
        Tensor loss = Tensor.empty(x.backend(), x.dtype(), rows), rw = Tensor.empty(x.backend(), x.dtype(), rows);
        boolean grad = GradMode.isEnabled() && logits.requiresGrad();
        Tensor gl = grad ? Tensor.empty(x.backend(), x.dtype(), rows, cols) : null;
        x.backend().crossEntropy(x.buffer(), t.buffer(), w == null ? null : w.buffer(), rows, cols, labelSmoothing, ignoreIndex,
                loss.buffer(), rw.buffer(), gl == null ? null : gl.buffer());
        Tensor[] red;
        try (GradMode ng = GradMode.noGrad()) {
            red = reduce(loss, rw, reduction, targets.shape());
        }
        if (!grad) return red[0];
        Tensor out = red[0].detach();
        return out.recordedBy(new CrossEntropyBackward(logits, gl, red[1], reduction, rows));
    }

    private static final class CrossEntropyBackward extends Node {
        final Reduction reduction;
        final long rows;
        final long[] shape;

        CrossEntropyBackward(Tensor logits, Tensor gradRows, Tensor sumWeight, Reduction reduction, long rows) {
            super(logits);
            this.reduction = reduction; this.rows = rows; this.shape = logits.shape();
            save(gradRows, sumWeight);
        }

        @Override public String name() { return "crossEntropy"; }

        @Override protected Tensor[] backward(Tensor g) {
            Tensor gl = saved(0);
            Tensor scale = rowGrad(g, saved(1), reduction, rows);
            Tensor gx = ElementwiseOps.run(MUL, gl.shape(), gl.dtype(), gl, scale);
            return new Tensor[]{unrows(gx, shape)};
        }
    }

    /** Inverse of {@link #rowsOf}: rows x C back to the logits' shape. */
    private static Tensor unrows(Tensor g, long[] shape) {
        if (shape.length <= 2) return g.reshape(shape);
        long[] moved = new long[shape.length];
        moved[0] = shape[0];
        for (int i = 2; i < shape.length; i++) moved[i - 1] = shape[i];
        moved[shape.length - 1] = shape[1];
        int[] perm = new int[shape.length];
        perm[0] = 0;
        perm[1] = shape.length - 1;
        for (int i = 2; i < shape.length; i++) perm[i] = i - 1;
        return g.reshape(moved).permute(perm).contiguous();
    }

    // ---- NLL --------------------------------------------------------------------------------------

    static Tensor nll(Tensor logProbs, Tensor targets, Tensor weight, long ignoreIndex, Reduction reduction) {
        logProbs.checkOpen();
        targets.checkOpen();
        Tensor x = rowsOf("nllLoss", logProbs.detach(), targets).dense();
        long rows = x.shape()[0], cols = x.shape()[1];
        checkWeight("nllLoss", logProbs, weight, cols);
        long[] t = targets.toLongArray();
        double[] cw = weight == null ? null : weight.toDoubleArray();
        long[] flat = new long[t.length];
        double[] rw = new double[t.length];
        for (int i = 0; i < t.length; i++) {
            if (t[i] == ignoreIndex) continue;
            if (t[i] < 0 || t[i] >= cols) throw new IndexOutOfRangeException("nllLoss: target " + t[i] + " at row " + i + " is outside [0, " + cols + ")");
            flat[i] = i * cols + t[i];
            rw[i] = cw == null ? 1 : cw[(int) t[i]];
        }
        Tensor idx = Tensor.ofLongs(x.backend(), flat, rows);
        Tensor negW = Tensor.of(x.backend(), rw, rows).to(x.dtype());
        Tensor picked = Tensor.empty(x.backend(), x.dtype(), rows);
        x.backend().gatherRows(x.buffer(), rows * cols, 1, idx.buffer(), rows, picked.buffer());
        Tensor red;
        Tensor sumW;
        try (GradMode ng = GradMode.noGrad()) {
            // -w * picked, and exactly 0 for ignored rows even when the gathered value is -inf
            Tensor loss = ElementwiseOps.run(NLL, picked.shape(), picked.dtype(), picked, negW);
            Tensor[] r = reduce(loss, negW, reduction, targets.shape());
            red = r[0];
            sumW = r[1];
        }
        if (!GradMode.isEnabled() || !logProbs.requiresGrad()) return red;
        return red.detach().recordedBy(new NllBackward(logProbs, idx, negW, sumW, reduction, rows, cols));
    }

    private static final class NllBackward extends Node {
        final Reduction reduction;
        final long rows, cols;
        final long[] shape;

        NllBackward(Tensor logProbs, Tensor idx, Tensor w, Tensor sumW, Reduction reduction, long rows, long cols) {
            super(logProbs);
            this.reduction = reduction; this.rows = rows; this.cols = cols; this.shape = logProbs.shape();
            save(idx, w, sumW);
        }

        @Override public String name() { return "nllLoss"; }

        @Override protected Tensor[] backward(Tensor g) {
            Tensor idx = saved(0), w = saved(1);
            Tensor perRow = rowGrad(g, saved(2), reduction, rows).reshape(-1).mul(w).neg();
            if (perRow.numel() != rows) perRow = perRow.expand(rows);
            Tensor src = perRow.dense();
            Tensor gx = Tensor.full(g.backend(), g.dtype(), 0, rows, cols);
            g.backend().scatterAddRows(src.buffer(), idx.buffer(), rows, 1, gx.buffer(), rows * cols);
            return new Tensor[]{unrows(gx, shape)};
        }
    }
}
