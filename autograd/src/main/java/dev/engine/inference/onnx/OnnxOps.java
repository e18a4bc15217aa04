package dev.engine.inference.onnx;

import dev.engine.api.ElementwiseOp;
import dev.engine.api.ElementwiseProgram;
import dev.engine.api.ModelFormatException;
import dev.engine.inference.Tracer;
import dev.engine.inference.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;

/**
 * One ONNX node at a time onto the IR: ops whose inputs are all known fold in Java ({@link ConstOps});
 * ops on graph values become IR nodes (Gemm/MatMul with a constant weight become Linear, a following
 * constant bias is absorbed; Conv, pools, norms, activations, reshapes map one to one; a last-axis
 * ReduceMean/ReduceSum runs as a GEMM with a constant column). Whatever the IR cannot express fails with a
 * {@link ModelFormatException} naming the op, the node and the opset.
 *
 * <pre>{@code
 * new OnnxOps(importer).convert(node);   // defines the node's outputs in the importer's environment
 * }</pre>
 */
final class OnnxOps {
    private static final Map<String, ElementwiseOp> UNARY = Map.ofEntries(Map.entry("Relu", ElementwiseOp.RELU),
            Map.entry("Sigmoid", ElementwiseOp.SIGMOID), Map.entry("Tanh", ElementwiseOp.TANH), Map.entry("Exp", ElementwiseOp.EXP),
            Map.entry("Log", ElementwiseOp.LOG), Map.entry("Sqrt", ElementwiseOp.SQRT), Map.entry("Neg", ElementwiseOp.NEG),
            Map.entry("Reciprocal", ElementwiseOp.RECIPROCAL), Map.entry("Abs", ElementwiseOp.ABS), Map.entry("Sign", ElementwiseOp.SIGN),
            Map.entry("Softplus", ElementwiseOp.SOFTPLUS), Map.entry("Sin", ElementwiseOp.SIN), Map.entry("Cos", ElementwiseOp.COS));
    private static final Map<String, ElementwiseOp> BINARY = Map.of("Add", ElementwiseOp.ADD, "Sub", ElementwiseOp.SUB,
            "Mul", ElementwiseOp.MUL, "Div", ElementwiseOp.DIV, "Pow", ElementwiseOp.POW, "Max", ElementwiseOp.MAXIMUM,
            "Min", ElementwiseOp.MINIMUM, "Equal", ElementwiseOp.EQ, "Less", ElementwiseOp.LT, "Greater", ElementwiseOp.GT);
    private static final Map<String, ElementwiseOp> BINARY2 = Map.of("LessOrEqual", ElementwiseOp.LE, "GreaterOrEqual", ElementwiseOp.GE);

    private final OnnxImporter im;
    private OnnxProto.Node n;
    private String what;

    OnnxOps(OnnxImporter im) { this.im = im; }

    void convert(OnnxProto.Node node) {
        n = node;
        what = "onnx: " + n.label() + " (opset " + im.opset + ")";
        String op = n.opType();
        List<Object> ins = new ArrayList<>();
        boolean allConst = true;
        for (int i = 0; i < n.inputs().size(); i++) {
            Object o = im.input(n, i);
            ins.add(o);
            if (o instanceof Value) allConst = false;
        }
        if (UNARY.containsKey(op) || op.equals("LeakyRelu") || op.equals("Gelu")) { unary(op, ins, allConst); return; }
        if (BINARY.containsKey(op) || BINARY2.containsKey(op) || op.equals("Mod") || op.equals("And") || op.equals("Or")) {
            binary(op, ins, allConst);
            return;
        }
        switch (op) {
            case "Constant" -> out(constantAttr());
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
            case "Gather" -> gather(ins);
            case "Unsqueeze", "Squeeze" -> squeeze(op.equals("Unsqueeze"), ins);
            case "Reshape" -> reshape(ins);
            case "Flatten" -> flatten(arg(ins, 0));
            case "Concat" -> concat(ins, allConst);
            case "Slice" -> {
                if (arg(ins, 0) instanceof ConstTensor d)
                    out(ConstOps.slice(d, k(ins, 1).asLongs(), k(ins, 2).asLongs(), optLongs(ins, 3), optLongs(ins, 4), what));
                else out(slice(dyn(ins, 0), k(ins, 1).asLongs(), k(ins, 2).asLongs(), optLongs(ins, 3), optLongs(ins, 4)));
            }
            case "Split" -> split(ins);
            case "Transpose" -> transpose(arg(ins, 0));
            case "Expand" -> expand(arg(ins, 0), k(ins, 1));
            case "ConstantOfShape" -> constantOfShape(k(ins, 0));
            case "Range" -> out(ConstOps.range(k(ins, 0), k(ins, 1), k(ins, 2), what));
            case "MatMul" -> matmul(arg(ins, 0), arg(ins, 1));
            case "Gemm" -> gemm(ins);
            case "Conv" -> conv(ins);
            case "MaxPool", "AveragePool" -> pool(op.equals("MaxPool"), dyn(ins, 0));
            case "GlobalAveragePool" -> {
                Value x = dyn(ins, 0);
                if (x.rank() != 4) throw unsupported("input " + Arrays.toString(x.shape()) + " is not NCHW");
                out(im.named(n).adaptiveAvgPool2d(x, 1, 1));
            }
            case "BatchNormalization" -> batchNorm(ins);
            case "LayerNormalization" -> layerNorm(ins);
            case "Softmax", "LogSoftmax" -> softmax(op.equals("LogSoftmax"), dyn(ins, 0));
            case "ReduceMean", "ReduceSum" -> reduce(op.equals("ReduceMean"), ins);
            default -> throw new ModelFormatException("onnx: unsupported op " + n.label() + " (opset " + im.opset + ")");
        }
    }

    // ---- attributes and inputs ----

    private ModelFormatException unsupported(String why) { return new ModelFormatException(what + ": " + why); }

    private OnnxProto.Attribute attr(String name) { return n.attributes().get(name); }

    private long attrInt(String name, long dflt) {
        OnnxProto.Attribute a = attr(name);
        if (a == null) {
            if (dflt == Long.MIN_VALUE) throw unsupported("attribute '" + name + "' is required");
            return dflt;
        }
        if (a.type() != 2) throw unsupported("attribute '" + name + "' must be an int (type " + a.type() + ")");
        return a.i();
    }

    private float attrFloat(String name, float dflt) {
        OnnxProto.Attribute a = attr(name);
        if (a == null) return dflt;
        if (a.type() != 1) throw unsupported("attribute '" + name + "' must be a float (type " + a.type() + ")");
        return a.f();
    }

    private long[] attrInts(String name) {
        OnnxProto.Attribute a = attr(name);
        if (a == null) return null;
        if (a.type() != 7) throw unsupported("attribute '" + name + "' must be ints (type " + a.type() + ")");
        return a.ints();
    }

    private String attrString(String name, String dflt) {
        OnnxProto.Attribute a = attr(name);
        if (a == null) return dflt;
        if (a.type() != 3) throw unsupported("attribute '" + name + "' must be a string (type " + a.type() + ")");
        return a.s();
    }

    private Object arg(List<Object> ins, int i) {
        Object o = i < ins.size() ? ins.get(i) : null;
        if (o == null) throw unsupported("input " + i + " is missing");
        return o;
    }

    private ConstTensor k(List<Object> ins, int i) {
        Object o = arg(ins, i);
        if (!(o instanceof ConstTensor c)) throw unsupported("input " + i + " ('" + n.inputs().get(i) + "') must be a constant (it depends on the graph input)");
        return c;
    }

    private long[] optLongs(List<Object> ins, int i) { return i < ins.size() && ins.get(i) != null ? k(ins, i).asLongs() : null; }

    private Value dyn(List<Object> ins, int i) {
        Object o = arg(ins, i);
        if (o instanceof Value v) return v;
        throw unsupported("input " + i + " is a constant; only graph values are supported here");
    }

    private Value asValue(Object o) { return o instanceof Value v ? v : im.constantValue((ConstTensor) o); }

    private void out(Object v) { im.define(n, 0, v); }

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
        long[] s = x instanceof Value v ? v.shape() : ((ConstTensor) x).shape();
        int r = s.length;
        long start = attrInt("start", 0), end = attrInt("end", r);
        int a = (int) Math.max(0, Math.min(r, start < 0 ? start + r : start)), b = (int) Math.max(0, Math.min(r, end < 0 ? end + r : end));
        int len = Math.max(0, b - a);
        long[] d = Arrays.copyOfRange(s, a, a + len);
        boolean[] m = new boolean[len];
        if (x instanceof Value && a == 0 && len > 0) m[0] = true;
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
        if (lo != null) v = t.unary(v, ElementwiseOp.CLAMP_MIN, lo.get(0), "clip");
        if (hi != null) v = t.unary(v, ElementwiseOp.CLAMP_MAX, hi.get(0), "clip");
        out(v);
    }

    // ---- layout ----

    private void gather(List<Object> ins) {
        Object data = arg(ins, 0), idx = arg(ins, 1);
        long axis = attrInt("axis", 0);
        if (data instanceof ConstTensor d && idx instanceof ConstTensor i) { out(ConstOps.gather(d, i, axis, what)); return; }
        if (data instanceof ConstTensor d && idx instanceof Value i && d.rank() == 2 && (axis == 0 || axis == -2) && !d.isInt()) {
            out(im.named(n).embedding(i, d.f(), d.shape()[0], d.shape()[1]));
            return;
        }
        if (data instanceof Value v && idx instanceof ConstTensor i && i.size() == 1 && i.rank() <= 1) { // x[:, ..., k, ...]
            int ax = ConstOps.axis(axis, v.rank(), what);
            if (ax == 0) throw unsupported("gathering along the batch axis is not supported");
            long j = i.asLongs()[0] < 0 ? i.asLongs()[0] + v.dim(ax) : i.asLongs()[0];
            if (j < 0 || j >= v.dim(ax)) throw unsupported("index " + i.asLongs()[0] + " is out of range for axis size " + v.dim(ax));
            Tracer t = im.named(n);
            Value s = t.slice(v, ax, j, j + 1, 1);
            if (i.rank() == 0) {
                long[] sh = s.shape();
                long[] rest = new long[sh.length - 2];
                for (int d = 1, k = 0; d < sh.length; d++) if (d != ax) rest[k++] = sh[d];
                s = t.reshape(s, rest);
            }
            out(s);
            return;
        }
        throw unsupported("gathering from graph values is supported for embedding lookups in a constant table and one constant index");
    }

    private void squeeze(boolean unsqueeze, List<Object> ins) {
        Object x = arg(ins, 0);
        long[] s = x instanceof Value v ? v.shape() : ((ConstTensor) x).shape();
        long[] axes = ins.size() > 1 && ins.get(1) != null ? k(ins, 1).asLongs() : null;
        long[] ns;
        if (unsqueeze) {
            if (axes == null) throw unsupported("axes input is required");
            int r = s.length + axes.length;
            boolean[] ins1 = new boolean[r];
            for (long a : axes) {
                int ax = ConstOps.axis(a, r, what);
                if (ins1[ax]) throw unsupported("axis " + a + " repeats");
                ins1[ax] = true;
            }
            ns = new long[r];
            for (int i = 0, j = 0; i < r; i++) ns[i] = ins1[i] ? 1 : s[j++];
            if (x instanceof Value && ins1[0]) throw unsupported("inserting an axis before the batch axis is not supported");
        } else {
            boolean[] drop = new boolean[s.length];
            if (axes == null) for (int i = x instanceof Value ? 1 : 0; i < s.length; i++) drop[i] = s[i] == 1;
            else for (long a : axes) {
                int ax = ConstOps.axis(a, s.length, what);
                if (s[ax] != 1) throw unsupported("axis " + a + " has size " + s[ax] + ", not 1");
                drop[ax] = true;
            }
            if (x instanceof Value && drop[0]) throw unsupported("squeezing the batch axis is not supported");
            List<Long> keep = new ArrayList<>();
            for (int i = 0; i < s.length; i++) if (!drop[i]) keep.add(s[i]);
            ns = keep.stream().mapToLong(Long::longValue).toArray();
        }
        if (x instanceof ConstTensor c) out(ConstOps.reshape(c, ns));
        else out(im.named(n).reshape((Value) x, Arrays.copyOfRange(ns, 1, ns.length)));
    }

    private void reshape(List<Object> ins) {
        Object x = arg(ins, 0);
        ConstTensor target = k(ins, 1);
        long[] s = x instanceof Value v ? v.shape() : ((ConstTensor) x).shape();
        long[] want = target.asLongs().clone();
        boolean allowZero = attrInt("allowzero", 0) != 0;
        int infer = -1;
        long known = 1;
        for (int i = 0; i < want.length; i++) {
            if (want[i] == 0 && !allowZero) {
                if (i >= s.length) throw unsupported("shape copies dim " + i + " of a rank-" + s.length + " input");
                want[i] = s[i];
            }
            if (want[i] == -1) {
                if (infer >= 0) throw unsupported("shape " + Arrays.toString(target.asLongs()) + " has two -1 entries");
                infer = i;
            } else if (want[i] < 0) throw unsupported("shape " + Arrays.toString(target.asLongs()) + " has a negative entry");
            else known = Math.multiplyExact(known, want[i]);
        }
        long total = ConstTensor.numel(s, what);
        if (infer >= 0) {
            if (known == 0 || total % known != 0) throw unsupported("cannot reshape " + Arrays.toString(s) + " to " + Arrays.toString(target.asLongs()));
            want[infer] = total / known;
        }
        if (ConstTensor.numel(want, what) != total) throw unsupported("cannot reshape " + Arrays.toString(s) + " to " + Arrays.toString(target.asLongs()));
        if (x instanceof ConstTensor c) { out(ConstOps.reshape(c, want)); return; }
        long t0 = target.asLongs().length > 0 ? target.asLongs()[0] : 1;
        boolean keepsBatch = want.length > 0 && want[0] == s[0] && (target.batchAt(0) || (t0 == 0 && !allowZero) || t0 == -1 || t0 == im.batch);
        if (!keepsBatch) throw unsupported("reshape " + Arrays.toString(s) + " -> " + Arrays.toString(want) + " does not keep the batch axis");
        long[] rest = Arrays.copyOfRange(want, 1, want.length);
        out(im.named(n).reshape((Value) x, rest));
    }

    private void flatten(Object x) {
        long axis = attrInt("axis", 1);
        if (x instanceof ConstTensor c) {
            int ax = axis < 0 ? (int) axis + c.rank() : (int) axis;
            long a = 1;
            for (int i = 0; i < ax; i++) a *= c.shape()[i];
            out(ConstOps.reshape(c, new long[]{a, c.size() / Math.max(1, a)}));
            return;
        }
        Value v = (Value) x;
        int ax = axis < 0 ? (int) axis + v.rank() : (int) axis;
        if (ax != 1) throw unsupported("flatten at axis " + axis + " of a rank-" + v.rank() + " value would merge the batch axis");
        out(im.named(n).flatten(v, 1, -1));
    }

    private void split(List<Object> ins) {
        Object x = arg(ins, 0);
        long[] shape = x instanceof Value v ? v.shape() : ((ConstTensor) x).shape();
        int ax = ConstOps.axis(attrInt("axis", 0), shape.length, what);
        int parts = n.outputs().size();
        long[] sizes = ins.size() > 1 && ins.get(1) != null ? k(ins, 1).asLongs() : attrInts("split");
        if (sizes == null) {
            sizes = new long[parts];
            long each = (shape[ax] + parts - 1) / parts;
            for (int i = 0; i < parts; i++) sizes[i] = Math.max(0, Math.min(each, shape[ax] - i * each));
        }
        if (sizes.length != parts) throw unsupported(sizes.length + " split sizes for " + parts + " outputs");
        long start = 0, total = 0;
        for (long z : sizes) {
            if (z < 0) throw unsupported("negative split size " + z);
            total += z;
        }
        if (total != shape[ax]) throw unsupported("split sizes " + Arrays.toString(sizes) + " do not add up to " + shape[ax]);
        if (x instanceof Value && ax == 0) throw unsupported("splitting along the batch axis is not supported");
        for (int i = 0; i < parts; i++) {
            long[] a = {start}, b = {start + sizes[i]}, axes = {ax};
            im.define(n, i, x instanceof ConstTensor d ? ConstOps.slice(d, a, b, axes, null, what) : slice((Value) x, a, b, axes, null));
            start += sizes[i];
        }
    }

    private void transpose(Object x) {
        long[] perm = attrInts("perm");
        if (x instanceof ConstTensor c) { out(ConstOps.transpose(c, perm, what)); return; }
        Value v = (Value) x;
        if (perm == null) throw unsupported("a transpose of a graph value without perm reverses the batch axis");
        if (perm.length != v.rank() || perm[0] != 0) throw unsupported("perm " + Arrays.toString(perm) + " moves the batch axis");
        boolean identity = true;
        for (int i = 0; i < perm.length; i++) identity &= perm[i] == i;
        out(identity ? v : im.named(n).permute(v, perm));
    }

    private void expand(Object x, ConstTensor shape) {
        if (x instanceof ConstTensor c) { out(ConstOps.expand(c, shape.asLongs(), what)); return; }
        Value v = (Value) x;
        long[] s = ConstOps.broadcast(v.shape(), shape.asLongs(), what);
        if (!Arrays.equals(s, v.shape())) throw unsupported("expanding a graph value " + Arrays.toString(v.shape()) + " to " + Arrays.toString(s) + " is not supported");
        out(v);
    }

    private void concat(List<Object> ins, boolean allConst) {
        long axis = attrInt("axis", Long.MIN_VALUE);
        if (allConst) {
            List<ConstTensor> cs = new ArrayList<>();
            for (int i = 0; i < ins.size(); i++) cs.add(k(ins, i));
            out(ConstOps.concat(cs, axis, what));
            return;
        }
        int rank = -1;
        for (Object o : ins) if (o instanceof Value v) rank = v.rank();
        int ax = ConstOps.axis(axis, rank, what);
        if (ax == 0) throw unsupported("concatenating along the batch axis is not supported");
        List<Value> vs = new ArrayList<>();
        for (Object o : ins) {
            if (o == null) throw unsupported("an input is missing");
            if (o instanceof ConstTensor c && (c.rank() != rank || c.shape()[0] != im.batch)) throw unsupported("constant input " + Arrays.toString(c.shape()) + " does not line up with the batch axis");
            if (o instanceof ConstTensor c && c.size() == 0) continue;
            vs.add(asValue(o));
        }
        out(vs.size() == 1 ? vs.get(0) : im.named(n).concat(ax, vs.toArray(new Value[0])));
    }

    /** ONNX Slice of a graph value: one SLICE node per sliced non-batch axis (the batch axis only in full). */
    private Value slice(Value x, long[] starts, long[] ends, long[] axes, long[] steps) {
        if (starts.length != ends.length || (axes != null && axes.length != starts.length) || (steps != null && steps.length != starts.length))
            throw unsupported("starts, ends, axes and steps differ in length");
        Value v = x;
        Tracer t = im.named(n);
        for (int i = 0; i < starts.length; i++) {
            int ax = ConstOps.axis(axes == null ? i : axes[i], x.rank(), what);
            long step = steps == null ? 1 : steps[i];
            if (step < 1) throw unsupported("step " + step + " (only positive steps are supported on graph values)");
            long[] se = ConstOps.sliceBounds(starts[i], ends[i], step, v.dim(ax));
            long end = Math.max(se[0], se[1]);
            if (se[0] == 0 && end == v.dim(ax) && step == 1) continue;
            if (ax == 0) throw unsupported("slicing the batch axis is not supported");
            v = t.slice(v, ax, se[0], end, step);
        }
        return v;
    }

    // ---- layers ----

    /** x @ B with constant B [k, n]: a Linear with weight B^T (a following constant bias add is absorbed). */
    private void matmul(Object a, Object b) {
        if (a instanceof ConstTensor ca && b instanceof ConstTensor cb) throw unsupported("a product of two constants is not folded");
        if (a instanceof Value va && b instanceof Value vb) { out(im.named(n).matmul(va, vb)); return; }
        if (!(a instanceof Value x) || !(b instanceof ConstTensor w)) throw unsupported("a constant left operand is not supported");
        if (w.rank() != 2 || w.isInt()) throw unsupported("constant right operand " + Arrays.toString(w.shape()) + " must be a 2-D float matrix");
        linear(x, transpose2(w.f(), w.shape()[0], w.shape()[1]), w.shape()[1], w.shape()[0], null);
    }

    private void gemm(List<Object> ins) {
        Value x = dyn(ins, 0);
        ConstTensor b = k(ins, 1);
        ConstTensor c = ins.size() > 2 && ins.get(2) != null ? k(ins, 2) : null;
        if (attrInt("transA", 0) != 0) throw unsupported("transA=1 on a graph value is not supported");
        if (x.rank() != 2 || b.rank() != 2) throw unsupported("operands must be 2-D");
        float alpha = attrFloat("alpha", 1), beta = attrFloat("beta", 1);
        boolean transB = attrInt("transB", 0) != 0;
        long out = transB ? b.shape()[0] : b.shape()[1], in = transB ? b.shape()[1] : b.shape()[0];
        float[] w = transB ? b.asFloats().clone() : transpose2(b.asFloats(), in, out);
        if (alpha != 1) for (int i = 0; i < w.length; i++) w[i] *= alpha;
        float[] bias = null;
        if (c != null) {
            if (c.size() != out && c.size() != 1) throw unsupported("C " + Arrays.toString(c.shape()) + " must broadcast over the " + out + " outputs only");
            bias = new float[(int) out];
            for (int i = 0; i < out; i++) bias[i] = beta * (float) c.get(c.size() == 1 ? 0 : i);
        }
        linear(x, w, out, in, bias);
    }

    private void linear(Value x, float[] w, long out, long in, float[] bias) {
        if (x.dim(-1) != in) throw unsupported("input " + Arrays.toString(x.shape()) + " does not end in " + in + " features");
        String y = n.outputs().get(0);
        if (bias == null && im.usesOf(y) == 1) { // absorb Add(y, bias[out])
            List<OnnxProto.Node> cs = im.consumers.get(y);
            OnnxProto.Node add = cs == null || cs.size() != 1 ? null : cs.get(0);
            if (add != null && add.opType().equals("Add") && add.inputs().size() == 2 && add.domain().isEmpty()) {
                String other = add.inputs().get(0).equals(y) ? add.inputs().get(1) : add.inputs().get(0);
                ConstTensor bc = im.constant(other);
                if (bc != null && !bc.isInt() && bc.size() == out && (bc.rank() == 1 || (bc.rank() == 2 && bc.shape()[0] == 1 && x.rank() == 2))) {
                    bias = bc.f();
                    im.absorbed.add(add);
                    Value v = im.named(n).linear(x, w, out, in, bias);
                    out(v);
                    im.env.put(add.outputs().get(0), v);
                    return;
                }
            }
        }
        out(im.named(n).linear(x, w, out, in, bias));
    }

    static float[] transpose2(float[] a, long rows, long cols) {
        float[] t = new float[a.length];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) t[(int) (c * rows + r)] = a[(int) (r * cols + c)];
        return t;
    }

    private void conv(List<Object> ins) {
        Value x = dyn(ins, 0);
        ConstTensor w = k(ins, 1);
        ConstTensor b = ins.size() > 2 && ins.get(2) != null ? k(ins, 2) : null;
        if (x.rank() != 4 || w.rank() != 4) throw unsupported("only 2-D convolution (NCHW input, 4-D weight) is supported, got " + Arrays.toString(x.shape()));
        long[] ws = w.shape();
        long[] ks = attrInts("kernel_shape");
        if (ks != null && (ks.length != 2 || ks[0] != ws[2] || ks[1] != ws[3])) throw unsupported("kernel_shape " + Arrays.toString(ks) + " differs from the weight");
        long[] st = pair("strides", 1), dl = pair("dilations", 1);
        long[] pads = pads(x.shape(), new long[]{ws[2], ws[3]}, st, dl);
        long g = attrInt("group", 1);
        out(im.named(n).conv2d(x, w.asFloats(), ws, b == null ? null : b.asFloats(), ints(st), ints(pads), ints(dl), (int) g));
    }

    private void pool(boolean max, Value x) {
        if (x.rank() != 4) throw unsupported("only 2-D pooling (NCHW) is supported, got " + Arrays.toString(x.shape()));
        long[] k = attrInts("kernel_shape");
        if (k == null || k.length != 2) throw unsupported("kernel_shape must have 2 entries");
        if (attrInt("ceil_mode", 0) != 0) throw unsupported("ceil_mode=1 is not supported");
        long[] dl = pair("dilations", 1);
        if (dl[0] != 1 || dl[1] != 1) throw unsupported("dilated pooling is not supported");
        if (max && n.outputs().size() > 1 && im.usesOf(n.outputs().get(1)) > 0) throw unsupported("the Indices output is not supported");
        long[] st = pair("strides", 1);
        long[] p = pads(x.shape(), k, st, dl);
        Tracer t = im.named(n);
        if (k[0] != k[1] || st[0] != st[1] || p[0] != p[1])
            throw unsupported("non-square pooling windows, strides or pads are not supported");
        out(max ? t.maxPool2d(x, (int) k[0], (int) st[0], (int) p[0])
                : t.avgPool2d(x, (int) k[0], (int) st[0], (int) p[0], attrInt("count_include_pad", 0) != 0));
    }

    private long[] pair(String name, long dflt) {
        long[] v = attrInts(name);
        if (v == null) return new long[]{dflt, dflt};
        if (v.length != 2 || v[0] < 1 || v[1] < 1 || v[0] > 1 << 20 || v[1] > 1 << 20) throw unsupported("'" + name + "' " + Arrays.toString(v) + " must be 2 positive ints");
        return v;
    }

    /** Symmetric (top, left) padding from pads or auto_pad; asymmetric padding is refused by name. */
    private long[] pads(long[] x, long[] k, long[] st, long[] dl) {
        String auto = attrString("auto_pad", "NOTSET");
        long[] p = attrInts("pads");
        switch (auto) {
            case "NOTSET" -> {
                if (p == null) return new long[]{0, 0};
                if (p.length != 4) throw unsupported("pads " + Arrays.toString(p) + " must have 4 entries");
                for (long v : p) if (v < 0 || v > 1 << 20) throw unsupported("pads " + Arrays.toString(p) + " out of range");
                if (p[0] != p[2] || p[1] != p[3]) throw unsupported("asymmetric pads " + Arrays.toString(p) + " are not supported");
                return new long[]{p[0], p[1]};
            }
            case "VALID" -> { return new long[]{0, 0}; }
            case "SAME_UPPER", "SAME_LOWER" -> {
                long[] r = new long[2];
                for (int i = 0; i < 2; i++) {
                    long in = x[2 + i], out = (in + st[i] - 1) / st[i];
                    long total = Math.max(0, (out - 1) * st[i] + (k[i] - 1) * dl[i] + 1 - in);
                    if (total % 2 != 0) throw unsupported("auto_pad " + auto + " needs asymmetric padding here, which is not supported");
                    r[i] = total / 2;
                }
                return r;
            }
            default -> throw unsupported("auto_pad '" + auto + "'");
        }
    }

    private static int[] ints(long[] v) { return new int[]{(int) v[0], (int) v[1]}; }

    private void batchNorm(List<Object> ins) {
        Value x = dyn(ins, 0);
        if (attrInt("training_mode", 0) != 0) throw unsupported("training_mode=1 is not supported (inference only)");
        for (int i = 1; i < n.outputs().size(); i++) if (im.usesOf(n.outputs().get(i)) > 0) throw unsupported("running-statistics outputs are not supported");
        double eps = attrFloat("epsilon", 1e-5f);
        long c = x.rank() > 1 ? x.dim(1) : -1;
        ConstTensor[] p = new ConstTensor[4];
        for (int i = 0; i < 4; i++) {
            p[i] = k(ins, i + 1);
            if (p[i].size() != c) throw unsupported("parameter " + (i + 1) + " has " + p[i].size() + " values for " + c + " channels");
        }
        out(im.named(n).batchNorm(x, p[0].asFloats(), p[1].asFloats(), p[2].asFloats(), p[3].asFloats(), eps));
    }

    private void layerNorm(List<Object> ins) {
        Value x = dyn(ins, 0);
        long axis = attrInt("axis", -1);
        if (ConstOps.axis(axis, x.rank(), what) != x.rank() - 1) throw unsupported("normalising from axis " + axis + " (not the last) is not supported");
        for (int i = 1; i < n.outputs().size(); i++) if (im.usesOf(n.outputs().get(i)) > 0) throw unsupported("the Mean/InvStdDev outputs are not supported");
        ConstTensor g = ins.size() > 1 && ins.get(1) != null ? k(ins, 1) : null, b = ins.size() > 2 && ins.get(2) != null ? k(ins, 2) : null;
        long d = x.dim(-1);
        float[] gamma = g == null ? null : broadcastTo(g, d, "scale"), beta = b == null ? null : broadcastTo(b, d, "bias");
        out(im.named(n).layerNorm(x, gamma, beta, attrFloat("epsilon", 1e-5f)));
    }

    private float[] broadcastTo(ConstTensor c, long d, String name) {
        if (c.size() == d) return c.asFloats();
        if (c.size() == 1) { float[] r = new float[(int) d]; Arrays.fill(r, (float) c.get(0)); return r; }
        throw unsupported(name + " has " + c.size() + " values for a last axis of " + d);
    }

    private void softmax(boolean log, Value x) {
        int ax = ConstOps.axis(attrInt("axis", -1), x.rank(), what), last = x.rank() - 1;
        Tracer t = im.named(n);
        if (ax == last) { out(log ? t.logSoftmax(x) : t.softmax(x)); return; }
        if (ax == 0) throw unsupported("softmax over the batch axis is not supported");
        long[] perm = new long[x.rank()]; // swap the axis with the last, normalise, swap back
        for (int i = 0; i < perm.length; i++) perm[i] = i;
        perm[ax] = last;
        perm[last] = ax;
        Value p = t.permute(x, perm);
        out(t.permute(log ? t.logSoftmax(p) : t.softmax(p), perm));
    }

    /** Mean/sum over the last axis (keepdims) as a GEMM with a constant column; over H,W of NCHW as global pooling. */
    private void reduce(boolean mean, List<Object> ins) {
        Object x = arg(ins, 0);
        long[] axes = attrInts("axes");
        if (axes == null && ins.size() > 1 && ins.get(1) != null) axes = k(ins, 1).asLongs();
        boolean keep = attrInt("keepdims", 1) != 0;
        if (!(x instanceof Value v)) throw unsupported("reducing constants is not folded");
        if (axes == null || axes.length == 0) throw unsupported("reducing every axis (including the batch) is not supported");
        int r = v.rank();
        long[] ax = axes.clone();
        for (int i = 0; i < ax.length; i++) ax[i] = ConstOps.axis(ax[i], r, what);
        Arrays.sort(ax);
        Tracer t = im.named(n);
        if (ax.length == 1 && ax[0] == r - 1 && keep && r >= 2) {
            long d = v.dim(-1);
            float[] w = new float[(int) d];
            Arrays.fill(w, mean ? 1f / d : 1f);
            out(t.linear(v, w, 1, d, null));
            return;
        }
        if (mean && r == 4 && ax.length == 2 && ax[0] == 2 && ax[1] == 3) {
            Value y = t.adaptiveAvgPool2d(v, 1, 1);
            out(keep ? y : t.reshape(y, v.dim(1)));
            return;
        }
        throw unsupported("reducing axes " + Arrays.toString(axes) + " of " + Arrays.toString(v.shape()) + " is not supported (last axis with keepdims, or H,W)");
    }
}
