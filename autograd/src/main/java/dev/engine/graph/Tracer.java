package dev.engine.graph;

import dev.engine.api.Activation;
import dev.engine.api.DType;
import dev.engine.api.ElementwiseOp;
import dev.engine.api.ElementwiseProgram;
import dev.engine.api.EngineException;
import dev.engine.api.ShapeException;
import dev.engine.api.Shapes;
import dev.engine.autograd.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Records a forward pass as a {@link Graph}: each call adds one node and returns its output {@link Value}.
 * Weights are copied to the Java heap as constants, so the graph owns them and no tensor or scope has to
 * outlive the trace. Nodes get readable names ("linear1", "relu2") unless they are recorded through a
 * {@link #named} view. Not thread-safe (one trace runs on one thread).
 *
 * <pre>{@code
 * Tracer t = new Tracer();
 * Value x = t.input(1, 784);
 * Value h = t.relu(t.named("fc1").linear(x, w1, 512, 784, b1));
 * Graph g = t.build(t.named("fc2").linear(h, w2, 10, 512, b2));
 * }</pre>
 */
public final class Tracer {
    /** The recording, shared by a tracer and its {@link #named} views. */
    private static final class State {
        final List<Node> nodes = new ArrayList<>();
        final Map<String, Integer> counters = new HashMap<>();
        final List<String> inputNames = new ArrayList<>();
        int nextId;
        Value input;
    }

    private final State st;
    private final String fixedName;

    public Tracer() { this(new State(), null); }

    private Tracer(State st, String fixedName) { this.st = st; this.fixedName = fixedName; }

    /**
     * A view of this tracer whose calls name their node {@code name} (e.g. the layer's field name):
     * {@code t.named("bn1").batchNorm(t.named("conv1").conv2d(x, ...), ...)} names both nodes right.
     */
    public Tracer named(String name) { return new Tracer(st, name); }

    /** The graph input; its first axis is the batch. */
    public Value input(long... shape) {
        if (st.input != null) throw new EngineException("tracer: the graph already has an input");
        if (shape.length == 0) throw new ShapeException("tracer: input needs at least a batch axis");
        st.input = add(Node.builder(OpKind.INPUT, null).ints("shape", shape), null, new long[0][]);
        st.inputNames.add(st.nodes.get(st.nodes.size() - 1).name());
        return st.input;
    }

    /**
     * A named input. The first declared input is the graph's main input; later ones (e.g. a key-padding
     * mask [batch, seq]) are further model inputs whose first axis must be the main input's batch, since a
     * frozen model runs them all at one batch size.
     *
     * <pre>{@code
     * Value x = t.input("x", 2, 10, 32), mask = t.input("key_padding_mask", 2, 10);
     * }</pre>
     */
    public Value input(String name, long... shape) {
        InputSpec spec = InputSpec.of(name, shape);
        if (st.inputNames.contains(name)) throw new EngineException("tracer: an input is already named '" + name + "'");
        if (st.input != null && shape[0] != st.input.dim(0))
            throw new ShapeException("tracer: input '" + name + "' " + spec + " must have the batch " + st.input.dim(0) + " of the first input");
        Value v = named(name).add(Node.builder(OpKind.INPUT, null).ints("shape", spec.shape()), null, new long[0][]);
        st.inputNames.add(name);
        if (st.input == null) st.input = v;
        return v;
    }

    /** A constant tensor used as an operand (e.g. a scale in an elementwise op). */
    public Value constant(float[] data, long... shape) {
        return add(Node.builder(OpKind.CONSTANT, null).constant("value", new Const(data.clone(), shape)), null, new long[0][]);
    }

    /** {@code x W^T + bias}: W [out, in] row-major as in PyTorch; bias may be null. */
    public Value linear(Value x, float[] w, long out, long in, float[] bias) {
        Node.Builder b = Node.builder(OpKind.LINEAR, null).input(x).constant("weight", new Const(w.clone(), out, in));
        if (bias != null) b.constant("bias", new Const(bias.clone(), out));
        return add(b, x);
    }

    /** Linear from tensors (weight [out, in], bias [out] or null). */
    public Value linear(Value x, Tensor weight, Tensor bias) {
        long[] s = weight.shape();
        if (s.length != 2) throw new ShapeException("tracer: linear weight must be 2-D, got " + Shapes.str(s));
        return linear(x, weight.toFloatArray(), s[0], s[1], bias == null ? null : bias.toFloatArray());
    }

    /** Square-kernel convolution with equal stride/padding and no dilation or groups. */
    public Value conv2d(Value x, float[] w, long outC, long inC, int kernel, float[] bias, int stride, int padding) {
        return conv2d(x, w, new long[]{outC, inC, kernel, kernel}, bias, new int[]{stride, stride}, new int[]{padding, padding}, new int[]{1, 1}, 1);
    }

    /** Convolution with KCRS weight of shape {@code wShape} ([out, in/groups, kh, kw]). */
    public Value conv2d(Value x, float[] w, long[] wShape, float[] bias, int[] stride, int[] padding, int[] dilation, int groups) {
        Node.Builder b = Node.builder(OpKind.CONV2D, null).input(x).constant("weight", new Const(w.clone(), wShape))
                .ints("stride", stride[0], stride[1]).ints("padding", padding[0], padding[1])
                .ints("dilation", dilation[0], dilation[1]).ints("groups", groups);
        if (bias != null) b.constant("bias", new Const(bias.clone(), wShape[0]));
        return add(b, x);
    }

    /**
     * Transposed convolution with weight of shape {@code wShape} ([in, out/groups, kh, kw], as PyTorch's
     * ConvTranspose2d and ONNX hold it); {@code outputPadding} adds rows/columns at the bottom/right.
     */
    public Value convTranspose2d(Value x, float[] w, long[] wShape, float[] bias, int[] stride, int[] padding, int[] outputPadding,
                                 int[] dilation, int groups) {
        Node.Builder b = Node.builder(OpKind.CONV_TRANSPOSE2D, null).input(x).constant("weight", new Const(w.clone(), wShape))
                .ints("stride", stride[0], stride[1]).ints("padding", padding[0], padding[1])
                .ints("outputPadding", outputPadding[0], outputPadding[1])
                .ints("dilation", dilation[0], dilation[1]).ints("groups", groups);
        if (bias != null) b.constant("bias", new Const(bias.clone(), wShape[1] * groups));
        return add(b, x);
    }

    /** Convolution from tensors. */
    public Value conv2d(Value x, Tensor weight, Tensor bias, int[] stride, int[] padding, int[] dilation, int groups) {
        return conv2d(x, weight.toFloatArray(), weight.shape(), bias == null ? null : bias.toFloatArray(), stride, padding, dilation, groups);
    }

    /**
     * Eval-mode batch norm over axis 1 from its parameters and running statistics (gamma/beta may be
     * null): recorded as {@code x * scale + shift} with {@code scale = gamma / sqrt(var + eps)}.
     */
    public Value batchNorm(Value x, float[] gamma, float[] beta, float[] mean, float[] var, double eps) {
        int c = mean.length;
        if (var.length != c || (gamma != null && gamma.length != c) || (beta != null && beta.length != c))
            throw new ShapeException("tracer: batch norm statistics must all have " + c + " channels");
        float[] scale = new float[c], shift = new float[c];
        for (int i = 0; i < c; i++) {
            double s = (gamma == null ? 1.0 : gamma[i]) / Math.sqrt(var[i] + eps);
            scale[i] = (float) s;
            shift[i] = (float) ((beta == null ? 0.0 : beta[i]) - mean[i] * s);
        }
        return add(Node.builder(OpKind.BATCHNORM, null).input(x).constant("scale", new Const(scale, c)).constant("shift", new Const(shift, c)), x);
    }

    /** Batch norm from a layer's tensors (gamma/beta may be null). */
    public Value batchNorm(Value x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, double eps) {
        return batchNorm(x, floats(gamma), floats(beta), runningMean.toFloatArray(), runningVar.toFloatArray(), eps);
    }

    /** Layer norm from a layer's tensors (gamma/beta may be null). */
    public Value layerNorm(Value x, Tensor gamma, Tensor beta, double eps) { return layerNorm(x, floats(gamma), floats(beta), eps); }

    /** Embedding from a layer's table tensor [vocab, dim]. */
    public Value embedding(Value indices, Tensor table) {
        long[] s = table.shape();
        if (s.length != 2) throw new ShapeException("tracer: embedding table must be 2-D, got " + Shapes.str(s));
        return embedding(indices, table.toFloatArray(), s[0], s[1]);
    }

    private static float[] floats(Tensor t) { return t == null ? null : t.toFloatArray(); }

    /** Layer norm over the last axis (gamma/beta may be null). */
    public Value layerNorm(Value x, float[] gamma, float[] beta, double eps) {
        long d = x.dim(-1);
        Node.Builder b = Node.builder(OpKind.LAYERNORM, null).input(x).floatAttr("eps", eps);
        if (gamma != null) b.constant("gamma", new Const(gamma.clone(), d));
        if (beta != null) b.constant("beta", new Const(beta.clone(), d));
        return add(b, x);
    }

    public Value maxPool2d(Value x, int kernel, int stride, int padding) {
        return add(Node.builder(OpKind.MAXPOOL2D, null).input(x).ints("kernel", kernel, kernel).ints("stride", stride, stride)
                .ints("padding", padding, padding), x);
    }

    public Value avgPool2d(Value x, int kernel, int stride, int padding, boolean countIncludePad) {
        return add(Node.builder(OpKind.AVGPOOL2D, null).input(x).ints("kernel", kernel, kernel).ints("stride", stride, stride)
                .ints("padding", padding, padding).ints("countIncludePad", countIncludePad ? 1 : 0), x);
    }

    /** Max pooling with a (H, W) window, stride and symmetric padding each. */
    public Value maxPool2d(Value x, int[] kernel, int[] stride, int[] padding) {
        return add(Node.builder(OpKind.MAXPOOL2D, null).input(x).ints("kernel", kernel[0], kernel[1]).ints("stride", stride[0], stride[1])
                .ints("padding", padding[0], padding[1]), x);
    }

    /** Average pooling with a (H, W) window, stride and symmetric padding each. */
    public Value avgPool2d(Value x, int[] kernel, int[] stride, int[] padding, boolean countIncludePad) {
        return add(Node.builder(OpKind.AVGPOOL2D, null).input(x).ints("kernel", kernel[0], kernel[1]).ints("stride", stride[0], stride[1])
                .ints("padding", padding[0], padding[1]).ints("countIncludePad", countIncludePad ? 1 : 0), x);
    }

    public Value adaptiveAvgPool2d(Value x, long outH, long outW) {
        return add(Node.builder(OpKind.ADAPTIVEAVGPOOL2D, null).input(x).ints("output", outH, outW), x);
    }

    /** Flattens every axis after the batch. */
    public Value flatten(Value x) { return flatten(x, 1, -1); }

    public Value flatten(Value x, int start, int end) {
        return add(Node.builder(OpKind.FLATTEN, null).input(x).ints("start", start).ints("end", end), x);
    }

    /** Reshapes the non-batch axes (one may be -1). */
    public Value reshape(Value x, long... nonBatchShape) {
        return add(Node.builder(OpKind.RESHAPE, null).input(x).ints("shape", nonBatchShape), x);
    }

    public Value relu(Value x) { return unary(x, ElementwiseOp.RELU, 0, "relu"); }
    public Value gelu(Value x) { return unary(x, ElementwiseOp.GELU, 0, "gelu"); }
    public Value sigmoid(Value x) { return unary(x, ElementwiseOp.SIGMOID, 0, "sigmoid"); }
    public Value tanh(Value x) { return unary(x, ElementwiseOp.TANH, 0, "tanh"); }
    public Value leakyRelu(Value x, double slope) { return unary(x, ElementwiseOp.LEAKY_RELU, slope, "leakyrelu"); }
    public Value mulScalar(Value x, double s) { return unary(x, ElementwiseOp.MUL_SCALAR, s, "mul"); }
    public Value addScalar(Value x, double s) { return unary(x, ElementwiseOp.ADD_SCALAR, s, "addscalar"); }

    /** An activation by enum (NONE records nothing). */
    public Value activation(Value x, Activation a, double param) {
        if (a == Activation.NONE) return x;
        return unary(x, a.op(), a == Activation.LEAKY_RELU ? param : 0, a.name().toLowerCase().replace("_", ""));
    }

    /** One instruction on one operand. */
    public Value unary(Value x, ElementwiseOp op, double imm, String baseName) {
        return add(Node.builder(OpKind.ELEMENTWISE, null).program(ElementwiseProgram.single(op, imm)).input(x), baseName, x.shape());
    }

    /** A (fused) elementwise program over operands (values or {@link #constant constants}), broadcast. */
    public Value elementwise(ElementwiseProgram p, Value... operands) {
        Node.Builder b = Node.builder(OpKind.ELEMENTWISE, null).program(p);
        for (Value v : operands) b.input(v);
        return add(b, operands);
    }

    /** {@code a + b} (broadcast), e.g. a residual connection. */
    public Value add(Value a, Value b) { return add(Node.builder(OpKind.ADD, null).input(a).input(b), a, b); }

    public Value softmax(Value x) { return add(Node.builder(OpKind.SOFTMAX, null).input(x), x); }
    public Value logSoftmax(Value x) { return add(Node.builder(OpKind.LOG_SOFTMAX, null).input(x), x); }
    public Value dropout(Value x, double p) { return add(Node.builder(OpKind.DROPOUT, null).input(x).floatAttr("p", p), x); }
    public Value identity(Value x) { return add(Node.builder(OpKind.IDENTITY, null).input(x), x); }
    public Value matmul(Value a, Value b) { return add(Node.builder(OpKind.MATMUL, null).input(a).input(b), a, b); }

    /** Axes permuted; {@code perm[0]} must be 0 (the batch axis stays first). */
    public Value permute(Value x, long... perm) { return add(Node.builder(OpKind.PERMUTE, null).input(x).ints("perm", perm), x); }

    /** Every {@code step}-th element of [start, end) along non-batch {@code axis}. */
    public Value slice(Value x, int axis, long start, long end, long step) {
        return add(Node.builder(OpKind.SLICE, null).input(x).ints("axis", axis).ints("start", start).ints("end", end).ints("step", step), x);
    }

    /** The inputs joined along non-batch {@code axis}. */
    public Value concat(int axis, Value... xs) {
        Node.Builder b = Node.builder(OpKind.CONCAT, null).ints("axis", axis);
        for (Value v : xs) b.input(v);
        return add(b, xs);
    }

    /**
     * Fused attention of {@code heads} heads over a packed [B, L, 3E] projection (q, k, v side by side);
     * output [B, L, E] with the heads joined. {@code causal}: query i sees keys j <= i.
     */
    public Value attention(Value qkv, long heads, double scale, boolean causal) { return attention(qkv, null, heads, scale, causal); }

    /**
     * As {@link #attention(Value, long, double, boolean)} with a key-padding mask [B, L] (non-zero: key j of
     * batch b is padding and hidden), e.g. a model input; null for none. A query that sees no key gets zeros.
     */
    public Value attention(Value qkv, Value keyPadding, long heads, double scale, boolean causal) {
        Node.Builder b = Node.builder(OpKind.ATTENTION, null).input(qkv).ints("heads", heads).floatAttr("scale", scale).ints("causal", causal ? 1 : 0);
        if (keyPadding == null) return add(b, qkv);
        return add(b.input(keyPadding), qkv, keyPadding);
    }

    /** Fused attention over separate q [B, Lq, E], k [B, Lk, E], v [B, Lk, Ev]; output [B, Lq, Ev]. */
    public Value attention(Value q, Value k, Value v, long heads, double scale, boolean causal) {
        return attention(q, k, v, null, heads, scale, causal);
    }

    /** As {@link #attention(Value, Value, Value, long, double, boolean)} with a key-padding mask [B, Lk] or null. */
    public Value attention(Value q, Value k, Value v, Value keyPadding, long heads, double scale, boolean causal) {
        Node.Builder b = Node.builder(OpKind.ATTENTION, null).input(q).input(k).input(v).ints("heads", heads).floatAttr("scale", scale)
                .ints("causal", causal ? 1 : 0);
        if (keyPadding == null) return add(b, q, k, v);
        return add(b.input(keyPadding), q, k, v, keyPadding);
    }

    /** Looks up rows of {@code table} [vocab, dim]; the input holds indices (as floats). */
    public Value embedding(Value indices, float[] table, long vocab, long dim) {
        return add(Node.builder(OpKind.EMBEDDING, null).input(indices).constant("table", new Const(table.clone(), vocab, dim)), indices);
    }

    /** The graph so far with {@code output} as its result. */
    public Graph build(Value output) {
        if (st.input == null) throw new EngineException("tracer: no input was declared");
        return new Graph(st.nodes, st.input, output);
    }

    private Value add(Node.Builder b, Value... ins) {
        long[][] shapes = new long[ins.length][];
        for (int i = 0; i < ins.length; i++) shapes[i] = ins[i].shape();
        return add(b, null, shapes);
    }

    private Value add(Node.Builder b, String baseName, long[]... shapes) {
        Node probe = b.output(new Value(-1, new long[0], DType.F32)).name("?").build();
        String name = fixedName != null ? fixedName : fresh(baseName != null ? baseName : probe.kind().name().toLowerCase().replace("_", ""));
        b.name(name);
        probe = b.build();
        long batch = probe.kind() == OpKind.INPUT ? probe.ints("shape")[0] : 0;
        long[] shape;
        try {
            shape = ShapeInference.infer(probe, shapes, batch);
        } catch (ArithmeticException e) {
            throw new ShapeException("tracer: " + name + ": shape overflow");
        }
        Value out = new Value(st.nextId++, shape, DType.F32);
        Node n = b.output(out).build();
        st.nodes.add(n);
        return out;
    }

    private String fresh(String base) { return base + st.counters.merge(base, 1, Integer::sum); }
}
