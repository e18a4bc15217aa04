package dev.engine.inference;

import dev.engine.graph.Value;
import dev.engine.graph.Graph;
import dev.engine.graph.Node;
import dev.engine.graph.OpKind;
import dev.engine.graph.Const;
import dev.engine.api.Backend;
import dev.engine.api.Backends;
import dev.engine.api.Buffer;
import dev.engine.api.BufferView;
import dev.engine.api.DType;
import dev.engine.api.ElementwiseOp;
import dev.engine.api.ElementwiseProgram;
import dev.engine.api.Layout;
import dev.engine.api.Shapes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Evaluates elementwise nodes (and adds) whose operands are all constants once, at freeze time, on the
 * CPU backend, turning them into constants; and applies simple algebra: {@code x*1}, {@code x+0} and
 * {@code x^1} become no-ops (removed).
 *
 * <pre>{@code
 * Graph g2 = new ConstantFolding().apply(g);   // mul(const a, const b) is now one constant
 * }</pre>
 */
public final class ConstantFolding implements GraphPass {
    private final Backend backend;

    public ConstantFolding() { this(null); }

    /** Folds on {@code backend} (null: the CPU backend). */
    public ConstantFolding(Backend backend) { this.backend = backend; }

    @Override public String name() { return "constant-folding"; }

    @Override public Graph apply(Graph g) {
        Graph cur = g;
        for (int guard = 0; guard < 10_000; guard++) {
            Graph next = step(cur);
            if (next == null) return cur;
            cur = next;
        }
        return cur;
    }

    private Graph step(Graph g) {
        List<Node> nodes = g.nodes();
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            if (n.kind() != OpKind.ELEMENTWISE && n.kind() != OpKind.ADD) continue;
            if (n.kind() == OpKind.ELEMENTWISE && isNeutral(n.program()) && Arrays.equals(n.input(0).shape(), n.output().shape())) {
                List<Node> rest = new ArrayList<>(nodes);
                rest.remove(i);
                return g.replaceUses(rest, n.output(), n.input(0));
            }
            boolean allConst = true;
            List<Const> operands = new ArrayList<>();
            for (Value v : n.inputs()) {
                Node p = g.producer(v);
                if (p == null || p.kind() != OpKind.CONSTANT) { allConst = false; break; }
                operands.add(p.constOrNull("value"));
            }
            if (!allConst) continue;
            ElementwiseProgram prog = n.kind() == OpKind.ADD ? ElementwiseProgram.single(ElementwiseOp.ADD, 0) : n.program();
            Const folded = evaluate(prog, operands, n.output().shape());
            List<Node> out = new ArrayList<>(nodes);
            out.set(i, Node.builder(OpKind.CONSTANT, n.output()).name(n.name() + "(folded)").constant("value", folded).build());
            return new DeadCodeElimination().apply(new Graph(out, g.input(), g.output()));
        }
        return null;
    }

    /** True for a one-instruction program that leaves its operand unchanged. */
    static boolean isNeutral(ElementwiseProgram p) {
        if (p.instructions() != 1 || p.inputs() != 1) return false;
        ElementwiseOp op = p.op(0);
        double imm = p.immediateAt(0);
        return op == ElementwiseOp.IDENTITY || (op == ElementwiseOp.MUL_SCALAR && imm == 1) || (op == ElementwiseOp.ADD_SCALAR && imm == 0)
                || (op == ElementwiseOp.POW_SCALAR && imm == 1);
    }

    private Const evaluate(ElementwiseProgram p, List<Const> operands, long[] outShape) {
        Backend be = backend != null ? backend : Backends.cpu();
        List<Buffer> bufs = new ArrayList<>();
        try {
            BufferView[] ins = new BufferView[operands.size()];
            for (int i = 0; i < ins.length; i++) {
                Const c = operands.get(i);
                Buffer b = be.allocate(DType.F32, Math.max(1, c.numel()));
                bufs.add(b);
                be.copyIn(c.data(), 0, b, 0, c.numel());
                ins[i] = new BufferView(b, Layout.contiguous(c.shape()).broadcastTo(outShape));
            }
            int n = Shapes.numelInt(outShape);
            Buffer out = be.allocate(DType.F32, Math.max(1, n));
            bufs.add(out);
            be.elementwise(p, ins, BufferView.of(out, outShape));
            float[] r = new float[n];
            be.copyOut(out, 0, r, 0, n);
            return new Const(r, outShape);
        } finally {
            for (Buffer b : bufs) b.close();
        }
    }
}
