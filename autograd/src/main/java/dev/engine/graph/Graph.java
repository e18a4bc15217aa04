package dev.engine.graph;

import dev.engine.api.EngineException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An immutable graph of {@link Node}s in topological (execution) order with one or more inputs and one
 * output value. Built by a {@link Tracer}, rewritten by passes (each returns a new graph), executed by a
 * {@code dev.engine.inference.FrozenModel}.
 *
 * <p>Every INPUT node is a model input, named by its node name. {@link #input()} is "the" input (a model's
 * data, whose first axis is the batch); further INPUT nodes (e.g. a key-padding mask) follow it in
 * {@link #inputs()} in node order and share its batch axis. Passes keep INPUT nodes, so a graph's inputs
 * survive every rewrite.
 *
 * <pre>{@code
 * Tracer t = new Tracer();
 * Value x = t.input(1, 4);
 * Graph g = t.build(t.relu(t.linear(x, w, 2, 4, b)));
 * System.out.println(g);   // one line per node
 * }</pre>
 */
public final class Graph {
    private final List<Node> nodes;
    private final Value input;
    private final List<Value> inputs;
    private final List<String> inputNames;
    private final Value output;

    /**
     * Checks that every node reads only values produced earlier, that {@code input} is produced by an INPUT
     * node, that the INPUT nodes have distinct names and that the output is produced.
     */
    public Graph(List<Node> nodes, Value input, Value output) {
        this.nodes = List.copyOf(nodes);
        this.input = input;
        this.output = output;
        Set<Integer> defined = new HashSet<>();
        List<Value> ins = new ArrayList<>();
        List<String> names = new ArrayList<>();
        boolean sawInput = false;
        for (Node n : this.nodes) {
            for (Value v : n.inputs())
                if (!defined.contains(v.id()))
                    throw new EngineException("graph: node '" + n.name() + "' reads " + v + " before it is produced");
            if (!defined.add(n.output().id()))
                throw new EngineException("graph: value " + n.output() + " is produced twice (again by '" + n.name() + "')");
            if (n.kind() == OpKind.INPUT) {
                if (names.contains(n.name())) throw new EngineException("graph: two inputs are named '" + n.name() + "'");
                boolean main = n.output().equals(input);
                sawInput |= main;
                ins.add(main ? 0 : ins.size(), n.output());  // the main input first, the others in node order
                names.add(main ? 0 : names.size(), n.name());
            }
        }
        if (!sawInput) throw new EngineException("graph: no INPUT node produces the input " + input);
        if (!defined.contains(output.id())) throw new EngineException("graph: output " + output + " is never produced");
        this.inputs = List.copyOf(ins);
        this.inputNames = List.copyOf(names);
    }

    public List<Node> nodes() { return nodes; }
    /** The main input (the first of {@link #inputs()}). */
    public Value input() { return input; }
    /** Every input: the main one, then the other INPUT nodes' values in node order. */
    public List<Value> inputs() { return inputs; }
    /** The inputs' names (their INPUT nodes' names), in {@link #inputs()} order. */
    public List<String> inputNames() { return inputNames; }
    public Value output() { return output; }

    /** The node producing {@code v}, or null. */
    public Node producer(Value v) {
        for (Node n : nodes) if (n.output().equals(v)) return n;
        return null;
    }

    /** Every value id to the nodes that read it (in order; a node reading twice appears twice). */
    public Map<Integer, List<Node>> consumers() {
        Map<Integer, List<Node>> m = new HashMap<>();
        for (Node n : nodes) for (Value v : n.inputs()) m.computeIfAbsent(v.id(), k -> new ArrayList<>()).add(n);
        return m;
    }

    /** How many times {@code v} is read, counting the graph output as one read. */
    public int uses(Value v) {
        int u = v.equals(output) ? 1 : 0;
        for (Node n : nodes) for (Value i : n.inputs()) if (i.equals(v)) u++;
        return u;
    }

    /** A value id not used by this graph yet. */
    public int nextValueId() {
        int m = input.id();
        for (Node n : nodes) m = Math.max(m, n.output().id());
        return m + 1;
    }

    /** The same nodes with {@code from} replaced by {@code to} everywhere it is read (and as output). */
    public Graph replaceUses(List<Node> newNodes, Value from, Value to) {
        List<Node> out = new ArrayList<>(newNodes.size());
        for (Node n : newNodes) {
            if (n.inputs().contains(from)) {
                List<Value> ins = new ArrayList<>(n.inputs());
                ins.replaceAll(v -> v.equals(from) ? to : v);
                out.add(n.toBuilder().inputs(ins).build());
            } else out.add(n);
        }
        return new Graph(out, input, output.equals(from) ? to : output);
    }

    /** Total constant elements held by the nodes (weights). */
    public long constantElements() {
        long s = 0;
        for (Node n : nodes) for (Const c : n.consts().values()) s += c.numel();
        return s;
    }

    @Override public String toString() {
        StringBuilder sb = new StringBuilder("graph(input").append(inputs.size() == 1 ? "=" + input : "s=" + inputs).append(", output=").append(output).append(")\n");
        for (Node n : nodes) sb.append("  ").append(n).append('\n');
        return sb.toString();
    }
}
