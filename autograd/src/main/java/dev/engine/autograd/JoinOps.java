package dev.engine.autograd;

import dev.engine.api.EngineException;
import dev.engine.api.ShapeException;
import dev.engine.api.Shapes;
import java.util.ArrayList;
import java.util.List;

/** Concatenation and stacking: one allocation, each input copied into its slice. */
final class JoinOps {
    private JoinOps() {}

    static Tensor cat(List<Tensor> ts, int axis) {
        if (ts == null || ts.isEmpty()) throw new EngineException("cat: no tensors given");
        Tensor first = ts.get(0);
        int rank = first.dim();
        if (rank == 0) throw new ShapeException("cat: zero-dimensional tensors cannot be concatenated; use stack");
        int a = Shapes.axis("cat", axis, rank);
        long[] out = first.shape();
        long total = 0;
        for (int i = 0; i < ts.size(); i++) {
            Tensor t = ts.get(i);
            ElementwiseOps.checkPair("cat", first, t);
            long[] s = t.shape();
            if (s.length != rank) throw new ShapeException("cat: tensor " + i + " has shape " + Shapes.str(s) + ", rank differs from " + Shapes.str(out));
            for (int d = 0; d < rank; d++)
                if (d != a && s[d] != out[d])
                    throw new ShapeException("cat: tensor " + i + " has shape " + Shapes.str(s) + " but tensor 0 has " + Shapes.str(first.shape())
                            + " (only dim " + a + " may differ)");
            total += s[a];
        }
        out[a] = total;
        Tensor y = Tensor.empty(first.backend(), first.dtype(), out);
        long start = 0;
        for (Tensor t : ts) {
            long len = t.shape()[a];
            Tensor dst = y.viewAs(y.layout().narrow(a, start, len));
            y.backend().copy(t.view(), dst.view());
            dst.close();
            start += len;
        }
        return y.recordedBy(new Cat(ts.toArray(new Tensor[0]), a));
    }

    private static final class Cat extends Node {
        final int axis;
        final long[] sizes;

        Cat(Tensor[] ts, int axis) {
            super(ts);
            this.axis = axis;
            sizes = new long[ts.length];
            for (int i = 0; i < ts.length; i++) sizes[i] = ts[i].shape()[axis];
        }

        @Override public String name() { return "cat"; }

        @Override protected Tensor[] backward(Tensor g) {
            Tensor[] r = new Tensor[sizes.length];
            long start = 0;
            for (int i = 0; i < sizes.length; i++) {
                if (needsGrad(i)) r[i] = g.narrow(axis, start, sizes[i]);
                start += sizes[i];
            }
            return r;
        }
    }

    static Tensor stack(List<Tensor> ts, int axis) {
        if (ts == null || ts.isEmpty()) throw new EngineException("stack: no tensors given");
        int rank = ts.get(0).dim();
        int a = axis < 0 ? axis + rank + 1 : axis;
        if (a < 0 || a > rank) throw new ShapeException("stack: axis " + axis + " out of range for rank " + rank);
        List<Tensor> expanded = new ArrayList<>(ts.size());
        for (int i = 0; i < ts.size(); i++) {
            if (!java.util.Arrays.equals(ts.get(i).shape(), ts.get(0).shape()))
                throw new ShapeException("stack: tensor " + i + " has shape " + Shapes.str(ts.get(i).shape()) + " but tensor 0 has "
                        + Shapes.str(ts.get(0).shape()));
            expanded.add(ts.get(i).unsqueeze(a));
        }
        return cat(expanded, a);
    }
}
