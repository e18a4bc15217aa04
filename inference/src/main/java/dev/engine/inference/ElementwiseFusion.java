package dev.engine.inference;

import dev.engine.graph.Value;
import dev.engine.graph.Graph;
import dev.engine.graph.Node;
import dev.engine.graph.OpKind;
import dev.engine.api.ElementwiseOp;
import dev.engine.api.ElementwiseProgram;
import dev.engine.api.EngineException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Fuses chains of elementwise nodes (programs and adds) into one {@link ElementwiseProgram}, so the chain
 * reads its operands once and writes once: {@code relu(x*s + b)} over three nodes becomes one node named
 * "mul1+add1+relu1". A producer is merged into its consumer when the consumer is its only reader and the
 * intermediate is not broadcast; the program limits (inputs, registers, instructions) are respected.
 *
 * <pre>{@code
 * Graph g2 = new ElementwiseFusion().apply(g);
 * }</pre>
 */
public final class ElementwiseFusion implements GraphPass {
    private static final ElementwiseProgram ADD = ElementwiseProgram.single(ElementwiseOp.ADD, 0);

    @Override public String name() { return "fuse-elementwise"; }

    @Override public Graph apply(Graph g) {
        Graph cur = g;
        boolean changed = true;
        while (changed) {
            changed = false;
            for (Node c : cur.nodes()) {
                if (!isElementwise(c)) continue;
                for (Value in : c.inputs()) {
                    Node p = cur.producer(in);
                    if (p == null || !isElementwise(p) || cur.uses(in) != 1 || in.equals(cur.output())) continue;
                    if (!Arrays.equals(in.shape(), c.output().shape())) continue;
                    Node fused = merge(p, c);
                    if (fused == null) continue;
                    cur = BatchNormFolding.replace(cur, p, c, fused);
                    changed = true;
                    break;
                }
                if (changed) break;
            }
        }
        return cur;
    }

    static boolean isElementwise(Node n) { return n.kind() == OpKind.ELEMENTWISE || n.kind() == OpKind.ADD; }

    static ElementwiseProgram programOf(Node n) { return n.kind() == OpKind.ADD ? ADD : n.program(); }

    /** One node computing {@code c(p(...), ...)}, or null when the program would exceed the limits. */
    static Node merge(Node p, Node c) {
        ElementwiseProgram pp = programOf(p), cp = programOf(c);
        List<Value> inputs = new ArrayList<>();
        for (Value v : p.inputs()) if (!inputs.contains(v)) inputs.add(v);
        for (Value v : c.inputs()) if (!v.equals(p.output()) && !inputs.contains(v)) inputs.add(v);
        try {
            ElementwiseProgram.Builder b = ElementwiseProgram.builder(inputs.size());
            int[] pReg = new int[pp.registers()];
            for (int i = 0; i < pp.inputs(); i++) pReg[i] = inputs.indexOf(p.input(i));
            emit(b, pp, pReg);
            int pResult = pReg[pp.result()];
            int[] cReg = new int[cp.registers()];
            for (int i = 0; i < cp.inputs(); i++) cReg[i] = c.input(i).equals(p.output()) ? pResult : inputs.indexOf(c.input(i));
            emit(b, cp, cReg);
            ElementwiseProgram fused = b.build(cReg[cp.result()]);
            return Node.builder(OpKind.ELEMENTWISE, c.output()).name(p.name() + "+" + c.name()).inputs(inputs).program(fused).build();
        } catch (EngineException tooBig) {
            return null;
        }
    }

    /** Appends {@code prog}'s instructions, mapping its registers through {@code reg} (inputs pre-filled). */
    private static void emit(ElementwiseProgram.Builder b, ElementwiseProgram prog, int[] reg) {
        int w = ElementwiseProgram.INSTRUCTION_INTS;
        for (int i = 0; i < prog.instructions(); i++) {
            ElementwiseOp op = prog.op(i);
            int dst = prog.codeAt(i * w + 1);
            int[] src = new int[op.arity()];
            for (int a = 0; a < src.length; a++) src[a] = reg[prog.codeAt(i * w + 2 + a)];
            reg[dst] = b.opImm(op, prog.immediateAt(i), src);
        }
    }
}
