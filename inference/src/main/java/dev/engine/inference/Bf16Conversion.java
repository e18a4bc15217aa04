package dev.engine.inference;

import dev.engine.graph.Const;
import dev.engine.graph.Graph;
import dev.engine.graph.Node;
import dev.engine.graph.OpKind;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns every Linear node of an optimised graph into a BF16 one: its weight becomes "weightT" ([in, out])
 * with every value rounded to bfloat16 (round to nearest even; still stored as F32 values, which a bundle
 * writes in two bytes each), and the node gets the int attribute "bf16" = 1. Bias, residual and activation
 * stay as fused, in F32. {@link Weights} packs such a weight with {@code Backend.packMatrixBf16};
 * {@link ExecutionContext} runs the node with {@code gemmBf16Packed}.
 *
 * <pre>{@code
 * Graph b = Bf16Conversion.apply(graph);   // Linear nodes now named "...+bf16"
 * }</pre>
 */
final class Bf16Conversion {
    /** The Linear attribute that marks a BF16 node. */
    static final String BF16 = "bf16";

    private Bf16Conversion() {}

    static boolean isBf16(Node n) { return n.kind() == OpKind.LINEAR && n.intOr(BF16, 0) == 1; }

    static Graph apply(Graph g) {
        List<Node> out = new ArrayList<>();
        for (Node n : g.nodes()) {
            Const wt = n.constOrNull("weightT"), w = n.constOrNull("weight");
            if (n.kind() != OpKind.LINEAR || isBf16(n) || (wt == null && w == null)) { out.add(n); continue; }
            Const t = wt != null ? wt : WeightPacking.transpose(w);
            out.add(n.toBuilder().name(n.name() + "+bf16").constant("weight", null).constant("weightT", rounded(t)).ints(BF16, 1).build());
        }
        return new Graph(out, g.input(), g.output());
    }

    /** The values of c rounded to the nearest bfloat16 (ties to even; NaN stays NaN), same shape. */
    static Const rounded(Const c) {
        float[] d = c.data(), r = new float[d.length];
        for (int i = 0; i < d.length; i++) r[i] = round(d[i]);
        return new Const(r, c.shape());
    }

    /** x rounded to the nearest bfloat16, as F32. */
    static float round(float x) {
        if (Float.isNaN(x)) return x;
        int u = Float.floatToRawIntBits(x);
        return Float.intBitsToFloat((u + 0x7fff + ((u >>> 16) & 1)) & 0xffff0000);
    }

    /** Whether x is a bfloat16 value (its low 16 bits zero): what a bundle stores in two bytes. */
    static boolean isBf16Value(float x) { return (Float.floatToRawIntBits(x) & 0xffff) == 0; }
}
