package dev.engine.inference;

import dev.engine.graph.Graph;
import dev.engine.graph.Node;
import dev.engine.graph.OpKind;
import dev.engine.graph.Const;
import java.util.ArrayList;
import java.util.List;

/**
 * Stores every Linear weight transposed once, as a contiguous {@code W^T} [in, out] ("weightT"), so the
 * GEMM streams B row by row without a transposed read on every call; marks every Conv2d ("packWeight" = 1)
 * so that {@link Weights} uploads its weight through {@code Backend.packConvWeight}, in the layout the
 * backend's convolution reads fastest. With this pass off, both run on the plain weights.
 *
 * <pre>{@code
 * Graph g2 = new WeightPacking().apply(g);   // linear nodes now hold "weightT"
 * }</pre>
 */
public final class WeightPacking implements GraphPass {
    /** The Conv2d attribute that asks for a packed weight. */
    static final String PACK_CONV = "packWeight";

    @Override public String name() { return "pack-weights"; }

    @Override public Graph apply(Graph g) {
        List<Node> out = new ArrayList<>();
        for (Node n : g.nodes()) {
            Const w = n.constOrNull("weight");
            if (n.kind() == OpKind.CONV2D && w != null) { out.add(n.toBuilder().ints(PACK_CONV, 1).build()); continue; }
            if (n.kind() != OpKind.LINEAR || w == null) { out.add(n); continue; }
            out.add(n.toBuilder().constant("weight", null).constant("weightT", transpose(w)).build());
        }
        return new Graph(out, g.input(), g.output());
    }

    /** [r, c] -> [c, r]. */
    static Const transpose(Const w) {
        long[] s = w.shape();
        int r = (int) s[0], c = (int) s[1];
        float[] src = w.data(), t = new float[src.length];
        for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) t[j * r + i] = src[i * c + j];
        return new Const(t, c, r);
    }
}
