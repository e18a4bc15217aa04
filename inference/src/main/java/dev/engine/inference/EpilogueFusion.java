package dev.engine.inference;

import dev.engine.graph.Value;
import dev.engine.graph.Graph;
import dev.engine.graph.Node;
import dev.engine.graph.OpKind;
import dev.engine.api.Activation;
import dev.engine.api.ElementwiseOp;
import dev.engine.api.ElementwiseProgram;
import java.util.Arrays;

/**
 * Fuses what follows a Linear or Conv2d into its kernel's epilogue: the bias is already there; a following
 * residual {@code add} (Linear only: the GEMM epilogue adds a matrix) and a following activation
 * (ReLU, leaky ReLU, GELU, sigmoid, tanh) are absorbed, so {@code linear1 -> add -> relu} runs as one GEMM
 * named "linear1+bias+add+relu". Only outputs read once are fused.
 *
 * <pre>{@code
 * Graph g2 = new EpilogueFusion().apply(g);
 * g2.nodes().get(1).name();   // "linear1+bias+relu"
 * }</pre>
 */
public final class EpilogueFusion implements GraphPass {
    @Override public String name() { return "fuse-epilogue"; }

    @Override public Graph apply(Graph g) {
        Graph cur = g;
        boolean changed = true;
        while (changed) {
            changed = false;
            for (Node p : cur.nodes()) {
                if ((p.kind() != OpKind.LINEAR && p.kind() != OpKind.CONV2D) || p.activation() != Activation.NONE) continue;
                if (cur.uses(p.output()) != 1 || p.output().equals(cur.output())) continue;
                Node c = consumer(cur, p.output());
                if (c == null) continue;
                Node fused = null;
                Activation a = activationOf(c);
                if (a != null && c.inputs().size() == 1 && !(a == Activation.LEAKY_RELU && p.kind() == OpKind.CONV2D)) {
                    Node.Builder b = p.toBuilder().name(label(p) + "+" + a.name().toLowerCase().replace("_", "")).output(c.output())
                            .string("activation", a.name());
                    if (a == Activation.LEAKY_RELU) b.floatAttr("activationParam", c.program().immediateAt(0));
                    fused = b.build();
                } else if (p.kind() == OpKind.LINEAR && p.inputs().size() == 1 && c.kind() == OpKind.ADD) {
                    Value other = c.input(0).equals(p.output()) ? c.input(1) : c.input(0);
                    if (!other.equals(p.output()) && Arrays.equals(other.shape(), p.output().shape())
                            && Arrays.equals(c.output().shape(), p.output().shape()))
                        fused = p.toBuilder().name(label(p) + "+add").output(c.output()).input(other).build();
                }
                if (fused == null) continue;
                cur = BatchNormFolding.replace(cur, p, c, fused);
                changed = true;
                break;
            }
        }
        return cur;
    }

    /** The node's name with "+bias" once when it has a bias. */
    private static String label(Node p) {
        String n = p.name();
        return p.constOrNull("bias") != null && !n.contains("+bias") ? n + "+bias" : n;
    }

    private static Node consumer(Graph g, Value v) {
        for (Node n : g.nodes()) if (n.inputs().contains(v)) return n;
        return null;
    }

    /** The activation a one-instruction elementwise node computes, or null. */
    static Activation activationOf(Node n) {
        if (n.kind() != OpKind.ELEMENTWISE) return null;
        ElementwiseProgram p = n.program();
        if (p.instructions() != 1 || p.inputs() != 1) return null;
        ElementwiseOp op = p.op(0);
        for (Activation a : Activation.values()) if (a != Activation.NONE && a.op() == op) return a;
        return null;
    }
}
