package dev.engine.inference;

import dev.engine.graph.Graph;
import dev.engine.graph.Node;
import dev.engine.graph.OpKind;
import dev.engine.graph.Const;
import dev.engine.graph.Value;
import dev.engine.io.AtomicFiles;
import dev.engine.api.Activation;
import dev.engine.api.ElementwiseOp;
import dev.engine.api.ElementwiseProgram;
import dev.engine.api.EngineException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Exports a (frozen) {@link Graph} to an ONNX model (opset 17, IR version 8) with a dynamic batch axis.
 * Linear becomes Gemm (or MatMul + Add above 2-D), fused epilogues are expanded again (Add for the
 * residual, then the activation), fused elementwise programs become one ONNX node per instruction, and
 * BatchNorm left unfolded becomes Mul + Add. Input is named "input", output "output".
 * A graph frozen with {@link Quantization#int8Static static int8 quantisation} exports its int8 Linear and
 * Conv layers as QDQ ({@link OnnxQdq}: QuantizeLinear / DequantizeLinear with the frozen model's own
 * calibrated input scales and per-channel weight scales), which ONNX Runtime fuses into its int8 kernels;
 * an {@linkplain Quantization#int8Dynamic() int8 dynamic} graph is refused (no fixed input scale).
 *
 * <pre>{@code
 * try (FrozenModel m = Freezer.freeze(model, new long[]{1, 784}, FreezeOptions.defaults())) {
 *     OnnxExporter.export(m.graph(), Path.of("model.onnx"));
 * }
 * try (FrozenModel q = Freezer.freeze(model, new long[]{1, 784},
 *         FreezeOptions.defaults().quantize(Quantization.int8Static(calibrationRows)))) {
 *     OnnxExporter.export(q.graph(), Path.of("model-int8-qdq.onnx"));   // QDQ, same scales as q
 * }
 * }</pre>
 */
public final class OnnxExporter {
    public static final long OPSET = 17, IR_VERSION = 8;

    private final List<byte[]> nodes = new ArrayList<>();
    private final List<byte[]> inits = new ArrayList<>();
    private final Map<Integer, String> names = new HashMap<>();
    private final OnnxQdq qdq = new OnnxQdq(this);
    private int counter;
    private Value main;  // the graph's main input, exported as "input"; further inputs keep their names

    private OnnxExporter() {}

    /** Writes the ONNX file atomically (nothing is written when the graph cannot be exported). */
    public static void export(Graph g, Path path) {
        if (path == null) throw new EngineException("onnx export: the output path is null");
        AtomicFiles.write(path, toBytes(g));
    }

    /** The ONNX ModelProto bytes. */
    public static byte[] toBytes(Graph g) {
        if (g == null) throw new EngineException("onnx export: the graph is null");
        return new OnnxExporter().build(g);
    }

    private byte[] build(Graph g) {
        main = g.input();
        for (Node n : g.nodes()) emit(n);
        String last = names.get(g.output().id());
        nodes.add(OnnxWriter.node("Identity", "output", new String[]{last}, new String[]{"output"}));
        OnnxWriter.Msg graph = new OnnxWriter.Msg();
        for (byte[] n : nodes) graph.msg(1, n);
        graph.str(2, "engine-frozen");
        for (byte[] t : inits) graph.msg(5, t);
        graph.msg(11, OnnxWriter.valueInfo("input", batchDims(g.input().shape())));
        for (Value v : g.inputs().subList(1, g.inputs().size())) graph.msg(11, OnnxWriter.valueInfo(names.get(v.id()), batchDims(v.shape())));
        graph.msg(12, OnnxWriter.valueInfo("output", batchDims(g.output().shape())));
        return OnnxWriter.model(IR_VERSION, OPSET, graph.bytes());
    }

    private static long[] batchDims(long[] s) {
        long[] d = s.clone();
        d[0] = -1;
        return d;
    }

    String fresh(String base) { return base.replaceAll("[^A-Za-z0-9_+.]", "_") + "_" + (counter++); }

    String init(String base, Const c) { return init(base, c.shape(), c.data()); }

    String init(String base, long[] dims, float[] data) {
        String n = fresh(base);
        inits.add(OnnxWriter.floatTensor(n, dims, data));
        return n;
    }

    void addInit(byte[] tensor) { inits.add(tensor); }

    private String scalar(float v) { return init("c", new long[0], new float[]{v}); }

    String op(String type, String base, String[] ins, byte[]... attrs) {
        String out = fresh(base);
        nodes.add(OnnxWriter.node(type, fresh(base + "/" + type), ins, new String[]{out}, attrs));
        return out;
    }

    private String in(Node n, int i) { return names.get(n.input(i).id()); }

    private void emit(Node n) {
        String nm = n.name();
        String y;
        switch (n.kind()) {
            case INPUT -> y = n.output().equals(main) ? "input" : n.name().replaceAll("[^A-Za-z0-9_+.]", "_");
            case CONSTANT -> y = init(nm, n.constOrNull("value"));
            case LINEAR -> {
                Const w = n.constOrNull("weight"), wt = n.constOrNull("weightT"), b = n.constOrNull("bias");
                String x = in(n, 0);
                if (Int8Quantizer.isInt8(n)) y = qdq.linear(n, x);
                else if (n.input(0).rank() == 2) {
                    String wn = w != null ? init(nm + ".weight", w) : init(nm + ".weightT", wt);
                    List<String> ins = new ArrayList<>(List.of(x, wn));
                    if (b != null) ins.add(init(nm + ".bias", b));
                    y = op("Gemm", nm, ins.toArray(new String[0]), OnnxWriter.attrInt("transB", w != null ? 1 : 0));
                } else {
                    String wn = init(nm + ".weightT", wt != null ? wt : WeightPacking.transpose(w));
                    y = op("MatMul", nm, new String[]{x, wn});
                    if (b != null) y = op("Add", nm, new String[]{y, init(nm + ".bias", b)});
                }
                if (n.inputs().size() > 1) y = op("Add", nm + "/residual", new String[]{y, in(n, 1)});
                y = activation(y, n.activation(), n.floatOr("activationParam", 0.01), nm);
            }
            case CONV2D -> {
                boolean int8 = Int8Quantizer.isInt8(n);
                Const w = n.constOrNull(int8 ? Int8Quantizer.WEIGHT_Q : "weight");
                long[] k = w.shape(), st = n.ints("stride"), pd = n.ints("padding"), dl = n.ints("dilation");
                byte[][] attrs = {OnnxWriter.attrInts("kernel_shape", k[2], k[3]), OnnxWriter.attrInts("strides", st),
                        OnnxWriter.attrInts("pads", pd[0], pd[1], pd[0], pd[1]), OnnxWriter.attrInts("dilations", dl),
                        OnnxWriter.attrInt("group", n.intOr("groups", 1))};
                if (int8) y = qdq.conv(n, in(n, 0), attrs);
                else {
                    List<String> ins = new ArrayList<>(List.of(in(n, 0), init(nm + ".weight", w)));
                    if (n.constOrNull("bias") != null) ins.add(init(nm + ".bias", n.constOrNull("bias")));
                    y = op("Conv", nm, ins.toArray(new String[0]), attrs);
                }
                y = activation(y, n.activation(), n.floatOr("activationParam", 0.01), nm);
            }
            case CONV_TRANSPOSE2D -> {
                Const w = n.constOrNull("weight");
                long[] k = w.shape(), st = n.ints("stride"), pd = n.ints("padding"), dl = n.ints("dilation"), opad = n.ints("outputPadding");
                List<String> ins = new ArrayList<>(List.of(in(n, 0), init(nm + ".weight", w)));
                if (n.constOrNull("bias") != null) ins.add(init(nm + ".bias", n.constOrNull("bias")));
                y = op("ConvTranspose", nm, ins.toArray(new String[0]), OnnxWriter.attrInts("kernel_shape", k[2], k[3]),
                        OnnxWriter.attrInts("strides", st), OnnxWriter.attrInts("pads", pd[0], pd[1], pd[0], pd[1]),
                        OnnxWriter.attrInts("output_padding", opad), OnnxWriter.attrInts("dilations", dl),
                        OnnxWriter.attrInt("group", n.intOr("groups", 1)));
            }
            case BATCHNORM -> {
                long[] dims = new long[n.input(0).rank() - 1];
                Arrays.fill(dims, 1);
                dims[0] = n.constOrNull("scale").numel();
                y = op("Mul", nm, new String[]{in(n, 0), init(nm + ".scale", dims, n.constOrNull("scale").data())});
                y = op("Add", nm, new String[]{y, init(nm + ".shift", dims, n.constOrNull("shift").data())});
            }
            case LAYERNORM -> {
                long d = n.input(0).dim(-1);
                float[] ones = new float[(int) d], zeros = new float[(int) d];
                Arrays.fill(ones, 1);
                Const g = n.constOrNull("gamma"), b = n.constOrNull("beta");
                y = op("LayerNormalization", nm, new String[]{in(n, 0), init(nm + ".gamma", new long[]{d}, g == null ? ones : g.data()),
                        init(nm + ".beta", new long[]{d}, b == null ? zeros : b.data())}, OnnxWriter.attrInt("axis", -1),
                        OnnxWriter.attrFloat("epsilon", (float) n.floatOr("eps", 1e-5)));
            }
            case MAXPOOL2D, AVGPOOL2D -> {
                long[] k = n.ints("kernel"), s = n.ints("stride"), p = n.ints("padding");
                List<byte[]> a = new ArrayList<>(List.of(OnnxWriter.attrInts("kernel_shape", k), OnnxWriter.attrInts("strides", s),
                        OnnxWriter.attrInts("pads", p[0], p[1], p[0], p[1])));
                if (n.kind() == OpKind.AVGPOOL2D) a.add(OnnxWriter.attrInt("count_include_pad", n.intOr("countIncludePad", 1)));
                y = op(n.kind() == OpKind.MAXPOOL2D ? "MaxPool" : "AveragePool", nm, new String[]{in(n, 0)}, a.toArray(new byte[0][]));
            }
            case ADAPTIVEAVGPOOL2D -> {
                long[] x = n.input(0).shape(), o = n.ints("output");
                if (o[0] == 1 && o[1] == 1) y = op("GlobalAveragePool", nm, new String[]{in(n, 0)});
                else if (x[2] % o[0] == 0 && x[3] % o[1] == 0)
                    y = op("AveragePool", nm, new String[]{in(n, 0)}, OnnxWriter.attrInts("kernel_shape", x[2] / o[0], x[3] / o[1]),
                            OnnxWriter.attrInts("strides", x[2] / o[0], x[3] / o[1]));
                else throw new EngineException("onnx export: adaptive pooling " + Arrays.toString(x) + " -> " + Arrays.toString(o) + " has uneven windows");
            }
            case FLATTEN, RESHAPE -> {
                long[] s = n.output().shape();
                s[0] = 0; // ONNX Reshape: 0 copies the batch dim
                String shape = fresh(nm + ".shape");
                inits.add(OnnxWriter.longTensor(shape, new long[]{s.length}, s));
                y = op("Reshape", nm, new String[]{in(n, 0), shape});
            }
            case ELEMENTWISE -> y = program(n);
            case ADD -> y = op("Add", nm, new String[]{in(n, 0), in(n, 1)});
            case SOFTMAX -> y = op("Softmax", nm, new String[]{in(n, 0)}, OnnxWriter.attrInt("axis", -1));
            case LOG_SOFTMAX -> y = op("LogSoftmax", nm, new String[]{in(n, 0)}, OnnxWriter.attrInt("axis", -1));
            case DROPOUT, IDENTITY, COPY -> y = op("Identity", nm, new String[]{in(n, 0)});
            case MATMUL -> y = op("MatMul", nm, new String[]{in(n, 0), in(n, 1)});
            case EMBEDDING -> {
                String idx = op("Cast", nm, new String[]{in(n, 0)}, OnnxWriter.attrInt("to", OnnxWriter.INT64));
                y = op("Gather", nm, new String[]{init(nm + ".table", n.constOrNull("table")), idx}, OnnxWriter.attrInt("axis", 0));
            }
            case PERMUTE -> y = op("Transpose", nm, new String[]{in(n, 0)}, OnnxWriter.attrInts("perm", n.ints("perm")));
            case SLICE -> {
                String[] ins = new String[5];
                ins[0] = in(n, 0);
                String[] keys = {"start", "end", "axis", "step"};
                for (int i = 0; i < 4; i++) {
                    ins[i + 1] = fresh(nm + "." + keys[i]);
                    inits.add(OnnxWriter.longTensor(ins[i + 1], new long[]{1}, new long[]{n.intOr(keys[i], 0)}));
                }
                y = op("Slice", nm, ins);
            }
            case CONCAT -> {
                String[] ins = new String[n.inputs().size()];
                for (int i = 0; i < ins.length; i++) ins[i] = in(n, i);
                y = op("Concat", nm, ins, OnnxWriter.attrInt("axis", n.intOr("axis", 1)));
            }
            case ATTENTION -> y = attention(n);
            default -> throw new EngineException("onnx export: " + n.kind() + " '" + nm + "' is not supported");
        }
        names.put(n.output().id(), y);
    }

    /**
     * Fused attention in standard ops (opset 17 has no attention op): per-head views by Slice (packed input),
     * Reshape and Transpose, MatMul, Mul by the scale, an additive causal mask (0 / -inf) when causal, an additive
     * key-padding term {@code Where(Cast<bool>(Reshape(mask, [B, 1, 1, Lk])), -inf, 0)} when the node reads a mask,
     * Softmax, MatMul with v, heads joined by Transpose and Reshape. The importer fuses this pattern back into one
     * op. A query that sees no key gets NaN from ONNX's Softmax over -inf (as in PyTorch), zeros from our kernel.
     */
    private String attention(Node n) {
        String nm = n.name();
        long heads = n.intOr("heads", 1);
        long[] out = n.output().shape();
        String q, k, v;
        int qkvInputs = n.inputs().size() % 2 == 0 ? n.inputs().size() - 1 : n.inputs().size();  // 2 or 4: a mask last
        if (qkvInputs == 1) {
            long e = n.input(0).dim(2) / 3;
            q = slice(in(n, 0), 0, e, nm + "/q");
            k = slice(in(n, 0), e, 2 * e, nm + "/k");
            v = slice(in(n, 0), 2 * e, 3 * e, nm + "/v");
        } else {
            q = in(n, 0);
            k = in(n, 1);
            v = in(n, 2);
        }
        long lq = out[1], lk = qkvInputs == 1 ? lq : n.input(1).dim(1);
        long dk = (qkvInputs == 1 ? n.input(0).dim(2) / 3 : n.input(0).dim(2)) / heads, dv = out[2] / heads;
        String qh = op("Transpose", nm, new String[]{reshape(q, new long[]{0, lq, heads, dk}, nm)}, OnnxWriter.attrInts("perm", 0, 2, 1, 3));
        String kh = op("Transpose", nm, new String[]{reshape(k, new long[]{0, lk, heads, dk}, nm)}, OnnxWriter.attrInts("perm", 0, 2, 3, 1));
        String vh = op("Transpose", nm, new String[]{reshape(v, new long[]{0, lk, heads, dv}, nm)}, OnnxWriter.attrInts("perm", 0, 2, 1, 3));
        String s = op("Mul", nm, new String[]{op("MatMul", nm, new String[]{qh, kh}), scalar((float) n.floatOr("scale", 1))});
        if (n.intOr("causal", 0) != 0) {
            float[] mask = new float[Math.toIntExact(lq * lk)];
            for (int i = 0; i < lq; i++) for (int j = i + 1; j < lk; j++) mask[(int) (i * lk + j)] = Float.NEGATIVE_INFINITY;
            s = op("Add", nm, new String[]{s, init(nm + ".causal_mask", new long[]{lq, lk}, mask)});
        }
        if (qkvInputs < n.inputs().size()) {
            String hidden = op("Cast", nm, new String[]{reshape(in(n, qkvInputs), new long[]{0, 1, 1, lk}, nm)}, OnnxWriter.attrInt("to", 9));
            s = op("Add", nm, new String[]{s, op("Where", nm, new String[]{hidden, scalar(Float.NEGATIVE_INFINITY), scalar(0)})});
        }
        String ctx = op("MatMul", nm, new String[]{op("Softmax", nm, new String[]{s}, OnnxWriter.attrInt("axis", -1)), vh});
        return reshape(op("Transpose", nm, new String[]{ctx}, OnnxWriter.attrInts("perm", 0, 2, 1, 3)), new long[]{0, lq, out[2]}, nm);
    }

    private String slice(String x, long start, long end, String base) {
        String[] ins = {x, fresh(base + ".start"), fresh(base + ".end"), fresh(base + ".axis")};
        inits.add(OnnxWriter.longTensor(ins[1], new long[]{1}, new long[]{start}));
        inits.add(OnnxWriter.longTensor(ins[2], new long[]{1}, new long[]{end}));
        inits.add(OnnxWriter.longTensor(ins[3], new long[]{1}, new long[]{2}));
        return op("Slice", base, ins);
    }

    private String reshape(String x, long[] shape, String base) {
        String sh = fresh(base + ".shape");
        inits.add(OnnxWriter.longTensor(sh, new long[]{shape.length}, shape));
        return op("Reshape", base, new String[]{x, sh});
    }

    private String activation(String x, Activation a, double param, String base) {
        return a == Activation.NONE ? x : unary(a.op(), param, x, base);
    }

    private String program(Node n) {
        ElementwiseProgram p = n.program();
        String[] reg = new String[p.registers()];
        for (int i = 0; i < p.inputs(); i++) reg[i] = in(n, i);
        int w = ElementwiseProgram.INSTRUCTION_INTS;
        for (int i = 0; i < p.instructions(); i++) {
            ElementwiseOp op = p.op(i);
            int dst = p.codeAt(i * w + 1);
            String a = op.arity() > 0 ? reg[p.codeAt(i * w + 2)] : null, b = op.arity() > 1 ? reg[p.codeAt(i * w + 3)] : null;
            reg[dst] = op.arity() == 2 ? binary(op, a, b, n.name()) : op.arity() == 1 ? unary(op, p.immediateAt(i), a, n.name())
                    : scalar((float) p.immediateAt(i));
        }
        return reg[p.result()];
    }

    private String binary(ElementwiseOp op, String a, String b, String base) {
        String t = switch (op) {
            case ADD -> "Add"; case SUB -> "Sub"; case MUL -> "Mul"; case DIV -> "Div"; case POW -> "Pow";
            case MAXIMUM -> "Max"; case MINIMUM -> "Min";
            default -> throw new EngineException("onnx export: elementwise " + op + " in '" + base + "' is not supported");
        };
        return op(t, base, new String[]{a, b});
    }

    private String unary(ElementwiseOp op, double imm, String x, String base) {
        float v = (float) imm;
        switch (op) {
            case IDENTITY: return op("Identity", base, new String[]{x});
            case NEG: return op("Neg", base, new String[]{x});
            case EXP: return op("Exp", base, new String[]{x});
            case LOG: return op("Log", base, new String[]{x});
            case SQRT: return op("Sqrt", base, new String[]{x});
            case RSQRT: return op("Reciprocal", base, new String[]{op("Sqrt", base, new String[]{x})});
            case ABS: return op("Abs", base, new String[]{x});
            case SIGN: return op("Sign", base, new String[]{x});
            case SQUARE: return op("Mul", base, new String[]{x, x});
            case RECIPROCAL: return op("Reciprocal", base, new String[]{x});
            case RELU: return op("Relu", base, new String[]{x});
            case LEAKY_RELU: return op("LeakyRelu", base, new String[]{x}, OnnxWriter.attrFloat("alpha", v));
            case SIGMOID: return op("Sigmoid", base, new String[]{x});
            case TANH: return op("Tanh", base, new String[]{x});
            case SOFTPLUS: return op("Softplus", base, new String[]{x});
            case SIN: return op("Sin", base, new String[]{x});
            case COS: return op("Cos", base, new String[]{x});
            case ADD_SCALAR: return op("Add", base, new String[]{x, scalar(v)});
            case MUL_SCALAR: return op("Mul", base, new String[]{x, scalar(v)});
            case POW_SCALAR: return op("Pow", base, new String[]{x, scalar(v)});
            case RELU6: return op("Clip", base, new String[]{x, scalar(0), scalar(6)});
            case HARDSWISH: return op("HardSwish", base, new String[]{x});
            case SILU: return op("Mul", base, new String[]{x, op("Sigmoid", base, new String[]{x})});
            case CLAMP_MIN: return op("Max", base, new String[]{x, scalar(v)});
            case CLAMP_MAX: return op("Min", base, new String[]{x, scalar(v)});
            case RSUB_SCALAR: return op("Sub", base, new String[]{scalar(v), x});
            case GELU: { // x * 0.5 * (1 + erf(x / sqrt(2)))
                String e = op("Erf", base, new String[]{op("Mul", base, new String[]{x, scalar((float) (1 / Math.sqrt(2)))})});
                String h = op("Mul", base, new String[]{op("Add", base, new String[]{e, scalar(1)}), scalar(0.5f)});
                return op("Mul", base, new String[]{x, h});
            }
            case GELU_TANH: { // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
                String x3 = op("Mul", base, new String[]{op("Mul", base, new String[]{x, x}), x});
                String in = op("Add", base, new String[]{x, op("Mul", base, new String[]{x3, scalar(0.044715f)})});
                String t = op("Tanh", base, new String[]{op("Mul", base, new String[]{in, scalar((float) Math.sqrt(2 / Math.PI))})});
                String h = op("Mul", base, new String[]{op("Add", base, new String[]{t, scalar(1)}), scalar(0.5f)});
                return op("Mul", base, new String[]{x, h});
            }
            default: throw new EngineException("onnx export: elementwise " + op + " in '" + base + "' is not supported");
        }
    }
}
