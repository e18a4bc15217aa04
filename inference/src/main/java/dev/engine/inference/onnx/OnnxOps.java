package dev.engine.inference.onnx;

import dev.engine.api.ElementwiseOp;
import dev.engine.api.ElementwiseProgram;
import dev.engine.api.ModelFormatException;
import dev.engine.graph.Tracer;
import dev.engine.graph.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;

/**
 * One ONNX node at a time onto the IR: dispatches by op type, folds ops whose inputs are all known in Java
 * ({@link ConstOps}), handles sources and shape arithmetic (Constant, Shape, Cast, ConstantOfShape, Range)
 * and elementwise math itself, and hands layout ops to {@link LayoutOps} and layers to {@link LayerOps}.
 * Whatever the IR cannot express fails with a {@link ModelFormatException} naming the op, the node and the opset.
 *
 * <pre>{@code
 * new OnnxOps(importer).convert(node);   // defines the node's outputs in the importer's environment
 * }</pre>
 */
final class OnnxOps extends OnnxNodeContext {
    private static final Map<String, ElementwiseOp> UNARY = Map.ofEntries(Map.entry("Relu", ElementwiseOp.RELU),
            Map.entry("Sigmoid", ElementwiseOp.SIGMOID), Map.entry("Tanh", ElementwiseOp.TANH), Map.entry("Exp", ElementwiseOp.EXP),
            Map.entry("Log", ElementwiseOp.LOG), Map.entry("Sqrt", ElementwiseOp.SQRT), Map.entry("Neg", ElementwiseOp.NEG),
            Map.entry("Reciprocal", ElementwiseOp.RECIPROCAL), Map.entry("Abs", ElementwiseOp.ABS), Map.entry("Sign", ElementwiseOp.SIGN),
            Map.entry("Softplus", ElementwiseOp.SOFTPLUS), Map.entry("Sin", ElementwiseOp.SIN), Map.entry("Cos", ElementwiseOp.COS));
    private static final Map<String, ElementwiseOp> BINARY = Map.of("Add", ElementwiseOp.ADD, "Sub", ElementwiseOp.SUB,
            "Mul", ElementwiseOp.MUL, "Div", ElementwiseOp.DIV, "Pow", ElementwiseOp.POW, "Max", ElementwiseOp.MAXIMUM,
            "Min", ElementwiseOp.MINIMUM, "Equal", ElementwiseOp.EQ, "Less", ElementwiseOp.LT, "Greater", ElementwiseOp.GT);
    private static final java.util.Set<String> READS_MOVED = java.util.Set.of("Transpose", "Squeeze", "Unsqueeze", "Gather", "Shape", "Concat", "Reshape", "LSTM", "GRU", "RNN");
    private static final Map<String, ElementwiseOp> BINARY2 = Map.of("LessOrEqual", ElementwiseOp.LE, "GreaterOrEqual", ElementwiseOp.GE);

    private final LayoutOps layout;
    private final LayerOps layers;
    private final ActivationOps activations;
    private final ResizeOps resize;
    private final ReduceOps reductions;
    private final RecurrentOps recurrent;

    OnnxOps(OnnxImporter im) {
        super(im);
        layout = new LayoutOps(im);
        layers = new LayerOps(im);
        activations = new ActivationOps(im);
        resize = new ResizeOps(im);
        reductions = new ReduceOps(im);
        recurrent = new RecurrentOps(im);
    }

    void convert(OnnxProto.Node node) {
        bind(node);
        layout.bind(node);
        layers.bind(node);
        activations.bind(node);
        resize.bind(node);
        reductions.bind(node);
        recurrent.bind(node);
        String op = n.opType();
        List<Object> ins = new ArrayList<>();
        boolean allConst = true;
        for (int i = 0; i < n.inputs().size(); i++) {
            Object o = im.input(n, i);
            ins.add(o);
            if (o instanceof Value) allConst = false;
        }
        for (int i = 0; i < ins.size(); i++)
            if (ins.get(i) instanceof BatchMoved b && !READS_MOVED.contains(op))
                throw unsupported("input " + i + " ('" + n.inputs().get(i) + "') is " + b + "; only Transpose, Squeeze, Unsqueeze, Gather, Concat, Reshape, Shape"
                        + " and the recurrent layers read such values");
        if (UNARY.containsKey(op) || op.equals("LeakyRelu") || op.equals("Gelu")) { unary(op, ins, allConst); return; }
        if (BINARY.containsKey(op) || BINARY2.containsKey(op) || op.equals("Mod") || op.equals("And") || op.equals("Or")) {
            binary(op, ins, allConst);
            return;
        }
        if (ActivationOps.OPS.contains(op)) { activations.convert(ins); return; }
        switch (op) {
            case "Constant" -> out(constantAttr());
            case "Pad" -> layout.pad(ins);
            case "Tile" -> layout.tile(dyn(ins, 0), k(ins, 1));
            case "DepthToSpace", "SpaceToDepth" -> layout.depthSpace(op.equals("DepthToSpace"), dyn(ins, 0));
            case "CumSum" -> reductions.cumSum(dyn(ins, 0), k(ins, 1));
            case "LSTM", "GRU", "RNN" -> recurrent.convert(ins);
            case "Resize", "Upsample" -> resize.resize(ins);
            case "Identity" -> out(arg(ins, 0));
            case "Dropout" -> {
                if (n.outputs().size() > 1 && im.usesOf(n.outputs().get(1)) > 0) throw unsupported("its mask output is used");
                out(arg(ins, 0));
            }
            case "Shape" -> out(shape(arg(ins, 0)));
            case "Cast" -> cast(arg(ins, 0));
            case "Not" -> out(constOnly(ins, allConst, a -> a == 0 ? 1 : 0, true));
            case "Floor" -> out(constOnly(ins, allConst, Math::floor, false));
            case "Ceil" -> out(constOnly(ins, allConst, Math::ceil, false));
            case "Where" -> where(ins, allConst);
            case "Clip" -> clip(ins, allConst);
            case "Gather" -> layout.gather(ins);
            case "Unsqueeze", "Squeeze" -> layout.squeeze(op.equals("Unsqueeze"), ins);
            case "Reshape" -> layout.reshape(ins);
            case "Flatten" -> layout.flatten(arg(ins, 0));
            case "Concat" -> layout.concat(ins, allConst);
            case "Slice" -> {
                if (arg(ins, 0) instanceof ConstTensor d)
                    out(ConstOps.slice(d, k(ins, 1).asLongs(), k(ins, 2).asLongs(), optLongs(ins, 3), optLongs(ins, 4), what));
                else out(layout.slice(dyn(ins, 0), k(ins, 1).asLongs(), k(ins, 2).asLongs(), optLongs(ins, 3), optLongs(ins, 4)));
            }
            case "Split" -> layout.split(ins);
            case "Transpose" -> layout.transpose(arg(ins, 0));
            case "Expand" -> layout.expand(arg(ins, 0), k(ins, 1));
            case "ConstantOfShape" -> constantOfShape(k(ins, 0));
            case "Range" -> out(ConstOps.range(k(ins, 0), k(ins, 1), k(ins, 2), what));
            case "MatMul" -> layers.matmul(arg(ins, 0), arg(ins, 1));
            case "Gemm" -> layers.gemm(ins);
            case "Conv" -> layers.conv(ins);
            case "ConvTranspose" -> layers.convTranspose(ins);
            case "MaxPool", "AveragePool" -> layers.pool(op.equals("MaxPool"), dyn(ins, 0));
            case "GlobalAveragePool" -> reductions.globalPool(false, dyn(ins, 0));
            case "BatchNormalization" -> layers.batchNorm(ins);
            case "LayerNormalization" -> layers.layerNorm(ins);
            case "InstanceNormalization" -> layers.instanceNorm(ins);
            case "Softmax", "LogSoftmax" -> layers.softmax(op.equals("LogSoftmax"), dyn(ins, 0));
            case "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceL1", "ReduceL2", "ReduceSumSquare" -> reductions.reduce(ins);
            case "GlobalMaxPool" -> reductions.globalPool(true, dyn(ins, 0));
            case OnnxAttention.ATTENTION -> layers.attention(ins);
            case OnnxAttention.TORCH_MHA -> layers.torchMultiheadAttention(ins);
            default -> throw new ModelFormatException("onnx: unsupported op " + n.label() + " (opset " + im.opset + ")");
        }
    }

    // ---- sources and shape arithmetic ----

    private ConstTensor constantAttr() {
        if (n.attributes().size() != 1) throw unsupported("needs exactly one value attribute");
        OnnxProto.Attribute a = n.attributes().values().iterator().next();
        return switch (a.name()) {
            case "value" -> {
                if (a.t() == null) throw unsupported("attribute 'value' holds no tensor");
                yield TensorData.decode(a.t(), null, what + " value");
            }
            case "value_float" -> ConstTensor.floats(new long[0], new float[]{a.f()});
            case "value_floats" -> ConstTensor.floats(new long[]{a.floats().length}, a.floats());
            case "value_int" -> ConstTensor.ints(new long[0], new long[]{a.i()});
            case "value_ints" -> ConstTensor.ints(new long[]{a.ints().length}, a.ints());
            default -> throw unsupported("attribute '" + a.name() + "' is not supported");
        };
    }

    private ConstTensor shape(Object x) {
        long[] s = x instanceof Value v ? v.shape() : x instanceof BatchMoved bm ? bm.shape() : ((ConstTensor) x).shape();
        int batchAxis = x instanceof Value ? 0 : x instanceof BatchMoved bm ? bm.batchAxis() : -1;
        int r = s.length;
        long start = attrInt("start", 0), end = attrInt("end", r);
        int a = (int) Math.max(0, Math.min(r, start < 0 ? start + r : start)), b = (int) Math.max(0, Math.min(r, end < 0 ? end + r : end));
        int len = Math.max(0, b - a);
        long[] d = Arrays.copyOfRange(s, a, a + len);
        boolean[] m = new boolean[len];
        if (batchAxis >= a && batchAxis < a + len) m[batchAxis - a] = true;
        return ConstTensor.ints(new long[]{len}, d, m);
    }

    private void cast(Object x) {
        long to = attrInt("to", Long.MIN_VALUE);
        boolean toFloat = TensorData.isFloat((int) to);
        if (x instanceof ConstTensor c) {
            out(toFloat ? ConstTensor.floats(c.shape(), c.asFloats())
                    : ConstTensor.ints(c.shape(), to == OnnxProto.BOOL ? bools(c) : c.asLongs(), c.batch()));
            return;
        }
        Value v = (Value) x;
        if (!toFloat && !v.equals(im.inputValue))
            throw unsupported("casting a computed value to integer type " + to + " is not supported (values are float)");
        out(v);
    }

    private static long[] bools(ConstTensor c) {
        long[] r = new long[c.size()];
        for (int i = 0; i < r.length; i++) r[i] = c.get(i) != 0 ? 1 : 0;
        return r;
    }

    private ConstTensor constOnly(List<Object> ins, boolean allConst, DoubleUnaryOperator f, boolean intResult) {
        if (!allConst) throw unsupported("only constant inputs are supported");
        ConstTensor c = k(ins, 0);
        if (intResult || c.isInt()) {
            long[] r = new long[c.size()];
            for (int i = 0; i < r.length; i++) r[i] = (long) f.applyAsDouble(c.get(i));
            return ConstTensor.ints(c.shape(), r);
        }
        float[] r = new float[c.size()];
        for (int i = 0; i < r.length; i++) r[i] = (float) f.applyAsDouble(c.get(i));
        return ConstTensor.floats(c.shape(), r);
    }

    private void constantOfShape(ConstTensor shape) {
        long[] s = shape.asLongs();
        ConstOps.cap(s, what);
        int count = (int) ConstTensor.numel(s, what);
        OnnxProto.Attribute a = attr("value");
        ConstTensor v = a == null || a.t() == null ? ConstTensor.floats(new long[]{1}, new float[]{0}) : TensorData.decode(a.t(), null, what + " value");
        if (v.size() != 1) throw unsupported("value must hold one element");
        if (v.isInt()) { long[] r = new long[count]; Arrays.fill(r, v.l()[0]); out(ConstTensor.ints(s, r)); }
        else { float[] r = new float[count]; Arrays.fill(r, v.f()[0]); out(ConstTensor.floats(s, r)); }
    }

    // ---- elementwise ----

    private void unary(String op, List<Object> ins, boolean allConst) {
        Object x = arg(ins, 0);
        ElementwiseOp e;
        double imm = 0;
        if (op.equals("LeakyRelu")) { e = ElementwiseOp.LEAKY_RELU; imm = attrFloat("alpha", 0.01f); }
        else if (op.equals("Gelu")) {
            String approx = attrString("approximate", "none");
            if (!approx.equals("none") && !approx.equals("tanh")) throw unsupported("approximate='" + approx + "'");
            e = approx.equals("tanh") ? ElementwiseOp.GELU_TANH : ElementwiseOp.GELU;
        } else e = UNARY.get(op);
        if (allConst) { // fold on the CPU backend, like ConstantFolding would
            ConstTensor c = (ConstTensor) x;
            out(ConstTensor.floats(c.shape(), FoldOnBackend.run(single(e, imm), List.of(c), c.shape())));
            return;
        }
        out(im.named(n).unary((Value) x, e, imm, op.toLowerCase()));
    }

    private static ElementwiseProgram single(ElementwiseOp op, double imm) { return ElementwiseProgram.single(op, imm); }

    private void binary(String op, List<Object> ins, boolean allConst) {
        Object a = arg(ins, 0), b = arg(ins, 1);
        if (allConst) { out(ConstOps.arithmetic(op, (ConstTensor) a, (ConstTensor) b, what)); return; }
        ElementwiseOp e = BINARY.containsKey(op) ? BINARY.get(op) : BINARY2.get(op);
        if (e == null) throw unsupported("only constant inputs are supported");
        Tracer t = im.named(n);
        Value va = a instanceof Value v ? v : null, vb = b instanceof Value v ? v : null;
        int rank = Math.max(va != null ? va.rank() : 0, vb != null ? vb.rank() : 0);
        for (Object o : new Object[]{a, b}) {
            if (o instanceof ConstTensor c && (c.rank() > rank || (c.rank() == rank && rank > 0 && c.shape()[0] != 1 && c.shape()[0] != im.batch)))
                throw unsupported("constant operand " + Arrays.toString(c.shape()) + " would fix the batch axis");
            if (o instanceof Value v && v.rank() < rank) throw unsupported("graph operands of ranks " + v.rank() + " and " + rank + " (the batch axis must line up)");
        }
        ConstTensor ca = a instanceof ConstTensor c ? c : null, cb = b instanceof ConstTensor c ? c : null;
        ConstTensor scalar = ca != null && ca.size() == 1 ? ca : cb != null && cb.size() == 1 ? cb : null;
        Value x = va != null ? va : vb;
        if (scalar != null) {
            double s = scalar.get(0);
            boolean right = scalar == cb;
            ElementwiseOp so = null;
            double imm = s;
            switch (op) {
                case "Add" -> so = ElementwiseOp.ADD_SCALAR;
                case "Mul" -> so = ElementwiseOp.MUL_SCALAR;
                case "Sub" -> { so = right ? ElementwiseOp.ADD_SCALAR : ElementwiseOp.RSUB_SCALAR; imm = right ? -s : s; }
                case "Pow" -> so = right ? ElementwiseOp.POW_SCALAR : null;
                case "Max" -> so = ElementwiseOp.CLAMP_MIN;
                case "Min" -> so = ElementwiseOp.CLAMP_MAX;
                default -> { }
            }
            if (so != null && x.rank() >= scalar.rank()) { out(t.unary(x, so, imm, op.toLowerCase())); return; }
        }
        if (op.equals("Add") && va != null && vb != null) { out(t.add(va, vb)); return; }
        out(t.elementwise(single(e, 0), asValue(a), asValue(b)));
    }

    private void where(List<Object> ins, boolean allConst) {
        if (allConst) { out(ConstOps.where(k(ins, 0), k(ins, 1), k(ins, 2), what)); return; }
        out(im.named(n).elementwise(single(ElementwiseOp.WHERE, 0), asValue(arg(ins, 0)), asValue(arg(ins, 1)), asValue(arg(ins, 2))));
    }

    private void clip(List<Object> ins, boolean allConst) {
        Object x = arg(ins, 0);
        ConstTensor lo = ins.size() > 1 && ins.get(1) != null ? k(ins, 1) : null, hi = ins.size() > 2 && ins.get(2) != null ? k(ins, 2) : null;
        if (allConst) {
            ConstTensor c = (ConstTensor) x;
            if (lo != null) c = ConstOps.arithmetic("Max", c, lo, what);
            if (hi != null) c = ConstOps.arithmetic("Min", c, hi, what);
            out(c);
            return;
        }
        Value v = (Value) x;
        Tracer t = im.named(n);
        if (lo != null && hi != null && lo.size() == 1 && hi.size() == 1 && lo.get(0) == 0 && hi.get(0) == 6) {
            out(t.unary(v, ElementwiseOp.RELU6, 0, "relu6"));  // the same values as the two clamps, one activation
            return;
        }
        if (lo != null) v = t.unary(v, ElementwiseOp.CLAMP_MIN, lo.get(0), "clip");
        if (hi != null) v = t.unary(v, ElementwiseOp.CLAMP_MAX, hi.get(0), "clip");
        out(v);
    }

}
