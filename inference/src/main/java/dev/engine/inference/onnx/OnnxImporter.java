package dev.engine.inference.onnx;

import dev.engine.api.ElementwiseOp;
import dev.engine.api.ElementwiseProgram;
import dev.engine.api.EngineException;
import dev.engine.api.ModelFormatException;
import dev.engine.graph.Graph;
import dev.engine.graph.Tracer;
import dev.engine.graph.Value;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns a parsed ONNX model into the graph IR through a {@link Tracer}: every ONNX value is either a
 * {@link Value} of the graph (it depends on the input) or a {@link ConstTensor} known now, so shape
 * subgraphs fold away as they are read. Ops on graph values map onto IR nodes ({@link OnnxOps}); the
 * batch axis (axis 0 of the first input) stays dynamic, other symbolic dims take the example's sizes.
 * Further graph inputs (e.g. a key-padding mask) become further named model inputs sharing that batch; their
 * other dims must be fixed, and a bool one is fed as F32 0/1.
 *
 * <pre>{@code
 * Graph g = OnnxImporter.toGraph(OnnxProto.parse(bytes), modelDir, null);
 * }</pre>
 */
final class OnnxImporter {
    static final long MIN_OPSET = 13, MAX_OPSET = 21;

    final Tracer tracer = new Tracer();
    final Map<String, Object> env = new HashMap<>();
    final Map<String, Integer> uses = new HashMap<>();
    final Set<OnnxProto.Node> absorbed = new HashSet<>();
    final Map<String, OnnxProto.Node> producers = new HashMap<>();
    final Map<String, List<OnnxProto.Node>> consumers = new HashMap<>();
    /** Zero padding a Pad node left to its only consumer (a Conv, or a pool without pads): {{top, left}, {bottom, right}}. */
    final Map<OnnxProto.Node, long[][]> deferredPads = new HashMap<>();
    final long opset;
    long batch;
    Value inputValue;
    private final Path baseDir;
    private int unnamed;

    private OnnxImporter(long opset, Path baseDir) { this.opset = opset; this.baseDir = baseDir; }

    /** The graph of {@code m}; {@code example} (may be null) gives sizes for symbolic input dims, its first axis the traced batch. */
    static Graph toGraph(OnnxProto.Model m, Path baseDir, long[] example) {
        if (m.opset() < MIN_OPSET || m.opset() > MAX_OPSET)
            throw new ModelFormatException("onnx: opset " + m.opset() + " is not supported (opsets " + MIN_OPSET + " to " + MAX_OPSET + " are)");
        OnnxImporter im = new OnnxImporter(m.opset(), baseDir);
        try {
            return im.run(m.graph(), example);
        } catch (ModelFormatException e) {
            throw e;
        } catch (EngineException e) { // a shape the IR rejects: still a property of the file
            throw new ModelFormatException("onnx: " + e.getMessage(), e);
        }
    }

    private Graph run(OnnxProto.Graph g, long[] example) {
        for (OnnxProto.Tensor init : g.initializers()) {
            String what = "initializer '" + init.name() + "'";
            if (init.name().isEmpty()) throw new ModelFormatException("onnx: an initializer has no name");
            if (env.put(init.name(), TensorData.decode(init, baseDir, "onnx " + what)) != null)
                throw new ModelFormatException("onnx: " + what + " is defined twice");
        }
        List<OnnxProto.ValueInfo> real = new ArrayList<>();
        for (OnnxProto.ValueInfo v : g.inputs()) if (!env.containsKey(v.name())) real.add(v);
        if (real.isEmpty()) throw new ModelFormatException("onnx: the graph has no input besides initializers");
        if (g.outputs().size() != 1)
            throw new ModelFormatException("onnx: the graph has " + g.outputs().size() + " outputs; exactly one is supported");
        OnnxProto.ValueInfo in = real.get(0);
        inputValue = real.size() == 1 ? tracer.input(inputShape(in, example)) : tracer.input(in.name(), inputShape(in, example));
        env.put(in.name(), inputValue);
        for (OnnxProto.ValueInfo extra : real.subList(1, real.size())) env.put(extra.name(), tracer.input(extra.name(), extraShape(extra)));
        for (OnnxProto.Node n : g.nodes()) {
            for (String s : n.outputs()) if (!s.isEmpty()) producers.put(s, n);
            for (String s : n.inputs()) if (!s.isEmpty()) {
                uses.merge(s, 1, Integer::sum);
                consumers.computeIfAbsent(s, k -> new ArrayList<>()).add(n);
            }
        }
        uses.merge(g.outputs().get(0).name(), 1, Integer::sum);
        List<OnnxProto.Node> nodes = OnnxPatterns.rewrite(g.nodes(), this, g.outputs().get(0).name());
        OnnxOps ops = new OnnxOps(this);
        Set<String> done = new HashSet<>();
        for (OnnxProto.Node n : nodes) {
            if (absorbed.contains(n)) continue;
            if (!n.domain().isEmpty())
                throw new ModelFormatException("onnx: unsupported op " + n.label() + " of domain '" + n.domain() + "' (opset " + opset + ")");
            for (String o : n.outputs())
                if (!o.isEmpty() && (env.containsKey(o) || !done.add(o)))
                    throw new ModelFormatException("onnx: value '" + o + "' of " + n.label() + " is produced twice");
            ops.convert(n);
        }
        String out = g.outputs().get(0).name();
        Object y = env.get(out);
        if (y == null) throw new ModelFormatException("onnx: the graph output '" + out + "' is never produced");
        if (y instanceof BatchMoved b) throw new ModelFormatException("onnx: the graph output '" + out + "' is " + b + "; outputs must keep the batch first");
        Value v = y instanceof Value val ? val : constantValue((ConstTensor) y);
        return tracer.build(v);
    }

    private long[] inputShape(OnnxProto.ValueInfo in, long[] example) {
        String what = "onnx: graph input '" + in.name() + "'";
        if (!in.hasShape() || in.dims().length == 0)
            throw new ModelFormatException(what + " has no shape (at least a batch axis is needed)");
        int e = in.elemType();
        if (!TensorData.isFloat(e) && e != OnnxProto.INT64 && e != OnnxProto.INT32)
            throw new ModelFormatException(what + " has element type " + e + "; float and integer (index) inputs are supported");
        long[] d = in.dims();
        if (example != null && example.length != d.length)
            throw new ModelFormatException(what + " has rank " + d.length + " but the example shape " + Arrays.toString(example) + " has rank " + example.length);
        long[] s = new long[d.length];
        for (int i = 0; i < d.length; i++) {
            if (d[i] >= 0) {
                if (example != null && example[i] != d[i] && i > 0)
                    throw new ModelFormatException(what + " dim " + i + " is " + d[i] + ", the example shape says " + example[i]);
                s[i] = d[i];
            } else if (example != null) s[i] = example[i];
            else if (i == 0) s[i] = 1;
            else throw new ModelFormatException(what + " dim " + i + " ('" + in.params()[i] + "') is symbolic: give an example input shape");
            if (s[i] < 1 || s[i] > Integer.MAX_VALUE) throw new ModelFormatException(what + " dim " + i + " is " + s[i]);
        }
        if (example != null && example[0] >= 1) s[0] = example[0];
        ConstTensor.numel(s, what);
        batch = s[0];
        return s;
    }

    /** A further input's shape: its first axis the batch, the others fixed; float, integer or bool (read as F32 0/1). */
    private long[] extraShape(OnnxProto.ValueInfo in) {
        String what = "onnx: graph input '" + in.name() + "'";
        if (!in.hasShape() || in.dims().length == 0) throw new ModelFormatException(what + " has no shape (at least a batch axis is needed)");
        int e = in.elemType();
        if (!TensorData.isFloat(e) && e != OnnxProto.INT64 && e != OnnxProto.INT32 && e != OnnxProto.BOOL)
            throw new ModelFormatException(what + " has element type " + e + "; float, integer and bool inputs are supported");
        long[] s = in.dims().clone();
        s[0] = batch;  // every input shares the first one's batch
        for (int i = 1; i < s.length; i++)
            if (s[i] < 1 || s[i] > Integer.MAX_VALUE)
                throw new ModelFormatException(what + " dim " + i + " is " + (s[i] < 0 ? "symbolic ('" + in.params()[i] + "')" : s[i]) + "; only its batch axis may vary");
        ConstTensor.numel(s, what);
        return s;
    }

    // ---- helpers shared with OnnxOps and OnnxPatterns ----

    /** Input {@code i} of {@code n}: a Value, a ConstTensor, or null when absent/empty. */
    Object input(OnnxProto.Node n, int i) {
        if (i >= n.inputs().size() || n.inputs().get(i).isEmpty()) return null;
        String name = n.inputs().get(i);
        Object o = env.get(name);
        if (o == null) {
            if (producers.containsKey(name))
                throw new ModelFormatException("onnx: " + n.label() + " reads '" + name + "' before it is produced (the graph is cyclic or not sorted)");
            throw new ModelFormatException("onnx: " + n.label() + " reads '" + name + "', which no node, initializer or input defines");
        }
        return o;
    }

    /** A constant known at import time (an initializer or a folded value), or null when not constant. */
    ConstTensor constant(String name) { return env.get(name) instanceof ConstTensor c ? c : null; }

    Value constantValue(ConstTensor c) { return tracer.constant(c.asFloats(), c.shape()); }

    Tracer named(OnnxProto.Node n) {
        String nm = n.name().isEmpty() ? n.opType().toLowerCase() + "_" + (unnamed++) : n.name();
        return tracer.named(nm);
    }

    void define(OnnxProto.Node n, int output, Object v) {
        if (output >= n.outputs().size() || n.outputs().get(output).isEmpty()) return;
        env.put(n.outputs().get(output), v);
    }

    int usesOf(String name) { return uses.getOrDefault(name, 0); }

    static ElementwiseProgram single(ElementwiseOp op, double imm) { return ElementwiseProgram.single(op, imm); }
}
