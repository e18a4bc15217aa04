package dev.engine.graph;

import dev.engine.api.Activation;
import dev.engine.api.ElementwiseProgram;
import dev.engine.api.EngineException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One operation of the graph IR: a kind, a readable name ("fc1", or after fusion "fc1+bias+relu"), its
 * input values, its output value and attributes: integer lists ({@link #ints}), numbers ({@link #floats}),
 * strings ({@link #strings}), constant tensors ({@link #consts}) and, for elementwise nodes, a program.
 * Immutable; passes derive changed copies with {@link #toBuilder()}.
 *
 * <pre>{@code
 * Node fused = node.toBuilder().name(node.name() + "+relu").string("activation", "RELU").build();
 * }</pre>
 */
public final class Node {
    private final OpKind kind;
    private final String name;
    private final List<Value> inputs;
    private final Value output;
    private final Map<String, long[]> ints;
    private final Map<String, Double> floats;
    private final Map<String, String> strings;
    private final Map<String, Const> consts;
    private final ElementwiseProgram program;

    private Node(Builder b) {
        if (b.kind == null || b.output == null) throw new EngineException("graph node needs a kind and an output");
        this.kind = b.kind;
        this.name = b.name == null ? b.kind.name().toLowerCase() : b.name;
        this.inputs = List.copyOf(b.inputs);
        this.output = b.output;
        this.ints = Collections.unmodifiableMap(new LinkedHashMap<>(b.ints));
        this.floats = Collections.unmodifiableMap(new LinkedHashMap<>(b.floats));
        this.strings = Collections.unmodifiableMap(new LinkedHashMap<>(b.strings));
        this.consts = Collections.unmodifiableMap(new LinkedHashMap<>(b.consts));
        this.program = b.program;
        if (kind == OpKind.ELEMENTWISE && (program == null || program.inputs() != inputs.size()))
            throw new EngineException("elementwise node '" + name + "' needs a program over its " + inputs.size() + " inputs");
    }

    public static Builder builder(OpKind kind, Value output) { return new Builder(kind, output); }

    public OpKind kind() { return kind; }
    public String name() { return name; }
    public List<Value> inputs() { return inputs; }
    public Value input(int i) { return inputs.get(i); }
    public Value output() { return output; }
    public Map<String, long[]> ints() { return ints; }
    public Map<String, Double> floats() { return floats; }
    public Map<String, String> strings() { return strings; }
    public Map<String, Const> consts() { return consts; }
    public ElementwiseProgram program() { return program; }

    /** An integer attribute list; throws naming the node when it is missing. */
    public long[] ints(String key) {
        long[] v = ints.get(key);
        if (v == null) throw new EngineException(kind + " node '" + name + "' lacks attribute '" + key + "'");
        return v.clone();
    }

    public long intOr(String key, long dflt) {
        long[] v = ints.get(key);
        return v == null || v.length == 0 ? dflt : v[0];
    }

    public double floatOr(String key, double dflt) { return floats.getOrDefault(key, dflt); }

    public Const constOrNull(String key) { return consts.get(key); }

    /** The fused activation of a LINEAR/CONV2D node (NONE when absent). */
    public Activation activation() {
        String a = strings.get("activation");
        return a == null ? Activation.NONE : Activation.valueOf(a);
    }

    public Builder toBuilder() {
        Builder b = new Builder(kind, output).name(name);
        b.inputs.addAll(inputs);
        ints.forEach((k, v) -> b.ints.put(k, v.clone()));
        b.floats.putAll(floats);
        b.strings.putAll(strings);
        b.consts.putAll(consts);
        b.program = program;
        return b;
    }

    @Override public String toString() {
        StringBuilder sb = new StringBuilder(name).append(" = ").append(kind.name().toLowerCase()).append('(');
        for (int i = 0; i < inputs.size(); i++) sb.append(i == 0 ? "" : ", ").append(inputs.get(i));
        sb.append(") -> ").append(output);
        ints.forEach((k, v) -> sb.append(' ').append(k).append('=').append(Arrays.toString(v)));
        floats.forEach((k, v) -> sb.append(' ').append(k).append('=').append(v));
        strings.forEach((k, v) -> sb.append(' ').append(k).append('=').append(v));
        consts.forEach((k, v) -> sb.append(' ').append(k).append('=').append(v));
        if (program != null) sb.append(' ').append(program);
        return sb.toString();
    }

    /** Assembles a node. */
    public static final class Builder {
        private OpKind kind;
        private String name;
        private final List<Value> inputs = new ArrayList<>();
        private Value output;
        private final Map<String, long[]> ints = new LinkedHashMap<>();
        private final Map<String, Double> floats = new LinkedHashMap<>();
        private final Map<String, String> strings = new LinkedHashMap<>();
        private final Map<String, Const> consts = new LinkedHashMap<>();
        private ElementwiseProgram program;

        private Builder(OpKind kind, Value output) { this.kind = kind; this.output = output; }

        public Builder kind(OpKind k) { kind = k; return this; }
        public Builder name(String n) { name = n; return this; }
        public Builder output(Value v) { output = v; return this; }
        public Builder input(Value v) { inputs.add(v); return this; }
        public Builder inputs(List<Value> vs) { inputs.clear(); inputs.addAll(vs); return this; }
        public Builder ints(String k, long... v) { ints.put(k, v.clone()); return this; }
        public Builder removeInts(String k) { ints.remove(k); return this; }
        public Builder floatAttr(String k, double v) { floats.put(k, v); return this; }
        public Builder string(String k, String v) { strings.put(k, v); return this; }
        public Builder constant(String k, Const c) { if (c == null) consts.remove(k); else consts.put(k, c); return this; }
        public Builder program(ElementwiseProgram p) { program = p; return this; }
        public Node build() { return new Node(this); }
    }
}
