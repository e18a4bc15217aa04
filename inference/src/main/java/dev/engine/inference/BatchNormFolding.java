package dev.engine.inference;

import dev.engine.graph.Const;
import dev.engine.graph.Graph;
import dev.engine.graph.Node;
import dev.engine.graph.OpKind;
import dev.engine.api.ElementwiseOp;
import dev.engine.api.ElementwiseProgram;
import java.util.ArrayList;
import java.util.List;

/**
 * Folds an eval-mode BatchNorm ({@code y = x*scale + shift} per channel) into the Linear or Conv2d that
 * feeds it: {@code W'[o] = W[o]*scale[o]}, {@code b' = b*scale + shift}. Also folds a constant
 * {@code x*s} or {@code x+s} (one instruction) the same way. Applies only when the linear/conv has no
 * fused activation or residual yet, its output feeds nothing else, and (for Linear) the channel axis is
 * the feature axis (2-D output).
 *
 * <pre>{@code
 * Graph g2 = new BatchNormFolding().apply(g);   // conv1 -> bn1 becomes "conv1+bn1"
 * }</pre>
 */
public final class BatchNormFolding implements GraphPass {
    @Override public String name() { return "fold-batchnorm"; }

    @Override public Graph apply(Graph g) {
        Graph cur = g;
        boolean changed = true;
        while (changed) {
            changed = false;
            List<Node> nodes = cur.nodes();
            for (int i = 0; i < nodes.size(); i++) {
                Node bn = nodes.get(i);
                float[] scale, shift;
                if (bn.kind() == OpKind.BATCHNORM) {
                    scale = bn.constOrNull("scale").data();
                    shift = bn.constOrNull("shift").data();
                } else if (bn.kind() == OpKind.ELEMENTWISE && isScalarAffine(bn.program())) {
                    continue; // handled below once the producer is known (needs its channel count)
                } else continue;
                Node p = cur.producer(bn.input(0));
                if (!foldable(cur, p)) continue;
                cur = replace(cur, p, bn, fold(p, bn, scale, shift));
                changed = true;
                break;
            }
            if (changed) continue;
            for (Node e : nodes) {
                if (e.kind() != OpKind.ELEMENTWISE || !isScalarAffine(e.program())) continue;
                Node p = cur.producer(e.input(0));
                if (!foldable(cur, p)) continue;
                int c = (int) channels(p);
                float[] scale = new float[c], shift = new float[c];
                boolean mul = e.program().op(0) == ElementwiseOp.MUL_SCALAR;
                double imm = e.program().immediateAt(0);
                java.util.Arrays.fill(scale, mul ? (float) imm : 1f);
                java.util.Arrays.fill(shift, mul ? 0f : (float) imm);
                cur = replace(cur, p, e, fold(p, e, scale, shift));
                changed = true;
                break;
            }
        }
        return cur;
    }

    static boolean isScalarAffine(ElementwiseProgram p) {
        return p.instructions() == 1 && p.inputs() == 1
                && (p.op(0) == ElementwiseOp.MUL_SCALAR || p.op(0) == ElementwiseOp.ADD_SCALAR);
    }

    private static boolean foldable(Graph g, Node p) {
        if (p == null || (p.kind() != OpKind.LINEAR && p.kind() != OpKind.CONV2D)) return false;
        if (p.constOrNull("weight") == null || p.inputs().size() > 1 || p.activation() != dev.engine.api.Activation.NONE) return false;
        if (p.kind() == OpKind.LINEAR && p.output().rank() != 2) return false;
        return g.uses(p.output()) == 1;
    }

    private static long channels(Node p) {
        return p.constOrNull("weight").shape()[0];
    }

    private static Node fold(Node p, Node bn, float[] scale, float[] shift) {
        Const w = p.constOrNull("weight");
        int out = (int) w.shape()[0];
        if (scale.length != out) throw new IllegalStateException("batch norm channels " + scale.length + " vs " + out);
        int per = w.numel() / out;
        float[] nw = w.data().clone();
        for (int o = 0; o < out; o++) for (int j = 0; j < per; j++) nw[o * per + j] = (float) ((double) nw[o * per + j] * scale[o]);
        Const b = p.constOrNull("bias");
        float[] nb = new float[out];
        for (int o = 0; o < out; o++) nb[o] = (float) ((b == null ? 0.0 : b.data()[o]) * scale[o] + shift[o]);
        return p.toBuilder().name(p.name() + "+" + bn.name()).output(bn.output())
                .constant("weight", new Const(nw, w.shape())).constant("bias", new Const(nb, out)).build();
    }

    /** Puts {@code fused} where {@code consumer} was and drops {@code producer}. */
    static Graph replace(Graph g, Node producer, Node consumer, Node fused) {
        List<Node> out = new ArrayList<>();
        for (Node n : g.nodes()) {
            if (n == producer) continue;
            out.add(n == consumer ? fused : n);
        }
        return new Graph(out, g.input(), g.output());
    }
}
