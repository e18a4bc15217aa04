package dev.engine.autograd;

import dev.engine.api.DType;
import dev.engine.api.DTypeException;
import dev.engine.api.ShapeException;
import dev.engine.api.Shapes;

/** Index selection along an axis through the row gather / scatter-add kernels. */
final class IndexOps {
    private IndexOps() {}

    static Tensor indexSelect(Tensor x, int axis, Tensor index) {
        x.checkOpen();
        if (index.dtype() != DType.I64) throw new DTypeException("indexSelect: index must be I64, got " + index.dtype());
        if (index.dim() != 1) throw new ShapeException("indexSelect: index must be 1-D, got " + Shapes.str(index.shape()));
        if (x.dim() == 0) throw new ShapeException("indexSelect: cannot index a 0-d tensor");
        int a = Shapes.axis("indexSelect", axis, x.dim());
        // move the axis to the front so each index picks one contiguous row
        Tensor front = (a == 0 ? x.detach() : x.detach().transpose(0, a)).dense();
        long rows = front.shape()[0], rowLen = rows == 0 ? 0 : front.numel() / rows;
        long n = index.shape()[0];
        long[] outFront = front.shape();
        outFront[0] = n;
        Tensor y = Tensor.empty(x.backend(), x.dtype(), outFront);
        Tensor idx = index.dense();
        x.backend().gatherRows(front.buffer(), rows, rowLen, idx.buffer(), n, y.buffer());
        Tensor out = a == 0 ? y : y.transpose(0, a);
        return out.recordedBy(new Backward(x, idx, a));
    }

    private static final class Backward extends Node {
        final int axis;
        final long[] inShape;

        Backward(Tensor x, Tensor idx, int axis) {
            super(x);
            this.axis = axis;
            inShape = x.shape();
            save(idx);
        }

        @Override public String name() { return "indexSelect"; }

        @Override protected Tensor[] backward(Tensor g) {
            Tensor idx = saved(0);
            Tensor gFront = (axis == 0 ? g : g.transpose(0, axis)).dense();
            long[] front = inShape.clone();
            front[0] = inShape[axis];
            front[axis] = inShape[0];
            Tensor gx = Tensor.full(g.backend(), g.dtype(), 0, front);
            long rows = front[0], rowLen = rows == 0 ? 0 : gx.numel() / rows;
            g.backend().scatterAddRows(gFront.buffer(), idx.buffer(), idx.numel(), rowLen, gx.buffer(), rows);
            return new Tensor[]{axis == 0 ? gx : gx.transpose(0, axis)};
        }
    }
}
