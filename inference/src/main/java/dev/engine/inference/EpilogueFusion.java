package dev.engine.inference;

import dev.engine.graph.Value;
import dev.engine.graph.Graph;
import dev.engine.graph.Node;
import dev.engine.graph.OpKind;
import dev.engine.api.Activation;
import dev.engine.api.ElementwiseOp;
import dev.engine.api.ElementwiseProgram;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Fuses what follows a Linear or Conv2d into its kernel's epilogue: the bias is already there; a following
 * residual {@code add} (Linear only: the GEMM epilogue adds a matrix) and a following activation
 * (ReLU, leaky ReLU, GELU, sigmoid, tanh, ReLU6, and hard swish and SiLU also as {@code y * gate(y)}) are absorbed, so {@code linear1 -> add -> relu} runs as one GEMM
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
                if (p.output().equals(cur.output())) continue;
                Graph gated = fuseGated(cur, p);
                if (gated != null) { cur = gated; changed = true; break; }
                if (cur.uses(p.output()) != 1) continue;
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

    /**
     * {@code y * gate(y)} after the layer, the gate a node read only by a multiply that also reads the layer's
     * output, becomes the layer's activation: a sigmoid gate is SiLU, a hard sigmoid with slope 1/6 and offset
     * 1/2 is hard swish (as PyTorch exports both); null when the pattern is not there.
     */
    private static Graph fuseGated(Graph g, Node p) {
        if (g.uses(p.output()) != 2) return null;
        Node gate = null, mul = null;
        for (Node n : g.nodes()) {
            if (!n.inputs().contains(p.output())) continue;
            if (n.kind() != OpKind.ELEMENTWISE) return null;
            if (n.inputs().size() == 1) gate = n;
            else if (n.inputs().size() == 2 && n.program().instructions() == 1 && n.program().op(0) == ElementwiseOp.MUL) mul = n;
        }
        if (gate == null || mul == null || g.uses(gate.output()) != 1 || gate.output().equals(g.output())
                || !mul.inputs().contains(gate.output()) || !Arrays.equals(mul.output().shape(), p.output().shape())) return null;
        Activation a = gate.program().instructions() == 1 && gate.program().op(0) == ElementwiseOp.SIGMOID ? Activation.SILU
                : isHardSwishGate(gate.program()) ? Activation.HARD_SWISH : null;
        if (a == null) return null;
        Node fused = p.toBuilder().name(label(p) + "+" + a.name().toLowerCase().replace("_", "")).output(mul.output())
                .string("activation", a.name()).build();
        List<Node> out = new ArrayList<>();
        for (Node n : g.nodes()) {
            if (n == p || n == gate) continue;
            out.add(n == mul ? fused : n);
        }
        return new Graph(out, g.input(), g.output());
    }

    /** A one-input chain clamp(x * 1/6 + 1/2, 0, 1) (ONNX's HardSigmoid as hard swish uses it), each step reading the last. */
    static boolean isHardSwishGate(ElementwiseProgram p) {
        ElementwiseOp[] want = {ElementwiseOp.MUL_SCALAR, ElementwiseOp.ADD_SCALAR, ElementwiseOp.CLAMP_MIN, ElementwiseOp.CLAMP_MAX};
        double[] imm = {1.0 / 6, 0.5, 0, 1};
        if (p.inputs() != 1 || p.instructions() != want.length) return false;
        int prev = 0;  // register of the input
        for (int i = 0; i < want.length; i++) {
            int at = i * ElementwiseProgram.INSTRUCTION_INTS;
            if (p.op(i) != want[i] || (float) p.immediateAt(i) != (float) imm[i] || p.codeAt(at + 2) != prev) return false;
            prev = p.codeAt(at + 1);
        }
        return p.result() == prev;
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
