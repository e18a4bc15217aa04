package dev.engine.autograd;

import dev.engine.api.DType;
import dev.engine.api.DTypeException;
import dev.engine.api.ShapeException;
import dev.engine.api.Shapes;

/** Embedding lookup: rows of a [V, D] table picked by I64 indices (gather), gradient by scatter-add. */
final class EmbeddingOp {
    private EmbeddingOp() {}

    static Tensor embedding(Tensor indices, Tensor weight, long paddingIdx) {
        indices.checkOpen();
        weight.checkOpen();
        if (indices.dtype() != DType.I64) throw new DTypeException("embedding: indices must be I64, got " + indices.dtype());
        ElementwiseOps.checkFloating("embedding", weight);
        if (weight.dim() != 2) throw new ShapeException("embedding: weight must be [num_embeddings, dim], got " + Shapes.str(weight.shape()));
        if (indices.backend() != weight.backend())
            throw new dev.engine.api.DeviceException("embedding: indices on " + indices.device() + " but weight on " + weight.device());
        long v = weight.shape()[0], d = weight.shape()[1], n = indices.numel();
        Tensor idx = indices.dense();
        Tensor wd = weight.detach().dense();
        long[] outShape = java.util.Arrays.copyOf(indices.shape(), indices.dim() + 1);
        outShape[indices.dim()] = d;
        Tensor y = Tensor.empty(weight.backend(), weight.dtype(), outShape);
        weight.backend().gatherRows(wd.buffer(), v, d, idx.buffer(), n, y.buffer());
        return y.recordedBy(new Backward(weight, idx, paddingIdx));
    }

    private static final class Backward extends Node {
        final long[] wShape;
        final long paddingIdx;

        Backward(Tensor weight, Tensor idx, long paddingIdx) {
            super(weight);
            wShape = weight.shape();
            this.paddingIdx = paddingIdx;
            save(idx);
        }

        @Override public String name() { return "embedding"; }

        @Override protected Tensor[] backward(Tensor g) {
            Tensor idx = saved(0), gd = g.dense();
            Tensor gw = Tensor.full(g.backend(), g.dtype(), 0, wShape);
            g.backend().scatterAddRows(gd.buffer(), idx.buffer(), idx.numel(), wShape[1], gw.buffer(), wShape[0]);
            if (paddingIdx >= 0 && paddingIdx < wShape[0]) gw.narrow(0, paddingIdx, 1).fillRaw(0);
            return new Tensor[]{gw};
        }
    }
}
