package dev.engine.inference;

import dev.engine.graph.Value;
import dev.engine.graph.Graph;
import dev.engine.graph.Node;
import dev.engine.graph.OpKind;
import dev.engine.api.ElementwiseOp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Removes what inference does not need: dropout and identity nodes, reshapes/flattens that do not change
 * the shape, single-instruction IDENTITY programs, and every node whose output never reaches the graph
 * output.
 *
 * <pre>{@code
 * Graph g2 = new DeadCodeElimination().apply(g);   // dropout1 and identity1 gone
 * }</pre>
 */
public final class DeadCodeElimination implements GraphPass {
    @Override public String name() { return "dce"; }

    @Override public Graph apply(Graph g) {
        Graph cur = g;
        boolean changed = true;
        while (changed) {
            changed = false;
            for (Node n : cur.nodes()) {
                if (isNoOp(n)) {
                    List<Node> rest = new ArrayList<>(cur.nodes());
                    rest.remove(n);
                    cur = cur.replaceUses(rest, n.output(), n.input(0));
                    changed = true;
                    break;
                }
            }
        }
        Set<Integer> live = new HashSet<>();
        live.add(cur.output().id());
        List<Node> nodes = cur.nodes();
        boolean[] keep = new boolean[nodes.size()];
        for (int i = nodes.size() - 1; i >= 0; i--) {
            Node n = nodes.get(i);
            if (n.kind() == OpKind.INPUT || live.contains(n.output().id())) {
                keep[i] = true;
                for (Value v : n.inputs()) live.add(v.id());
            }
        }
        List<Node> out = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) if (keep[i]) out.add(nodes.get(i));
        return new Graph(out, cur.input(), cur.output());
    }

    static boolean isNoOp(Node n) {
        switch (n.kind()) {
            case DROPOUT: case IDENTITY: return true;
            case RESHAPE: case FLATTEN: return Arrays.equals(n.input(0).shape(), n.output().shape());
            case ELEMENTWISE:
                return n.program().instructions() == 1 && n.program().op(0) == ElementwiseOp.IDENTITY && n.inputs().size() == 1
                        && Arrays.equals(n.input(0).shape(), n.output().shape());
            default: return false;
        }
    }
}
