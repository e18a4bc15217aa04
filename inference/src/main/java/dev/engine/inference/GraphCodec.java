package dev.engine.inference;

import dev.engine.graph.ShapeInference;
import dev.engine.graph.Value;
import dev.engine.graph.Graph;
import dev.engine.graph.Node;
import dev.engine.graph.OpKind;
import dev.engine.graph.Const;
import dev.engine.api.DType;
import dev.engine.api.ElementwiseOp;
import dev.engine.api.ElementwiseProgram;
import dev.engine.api.EngineException;
import dev.engine.api.ModelFormatException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Serialises a {@link Graph} (nodes, attributes, constant weights, elementwise programs) to bytes and back.
 * Reading validates everything: kinds, value references, shapes (re-inferred and compared), program
 * instructions; a bad graph throws {@link ModelFormatException}.
 *
 * <p>Encoding {@link #VERSION} 2 (bundle format 2) prefixes each constant's values with a tag: F32 values, or
 * one signed byte per value when every value is an integer in [-128, 127] (an int8-quantised weight takes a
 * quarter of the space). Encoding 3 (bundle format 3) adds a third tag: two bytes per value (the high half of
 * the F32 bits) when every value is a bfloat16 value, as the weights of a BF16 Linear layer are. Encoding 1
 * (bundle format 1) stores F32 values untagged; all three are read. Bundle format 4 uses encoding 3 unchanged:
 * a graph with several inputs is just one with several INPUT nodes (the header's input id names the main one).
 *
 * <pre>{@code
 * byte[] b = GraphCodec.write(graph);
 * Graph g = GraphCodec.read(b);
 * }</pre>
 */
public final class GraphCodec {
    private static final int MAX_RANK = 8;
    /** Sanity bound on any value of a loaded graph: 2^28 elements (1 GiB of F32) per batch row. */
    static final long MAX_VALUE_ELEMENTS = 1L << 28;
    private static final Map<Integer, ElementwiseOp> OPS = new HashMap<>();

    static { for (ElementwiseOp op : ElementwiseOp.values()) OPS.put(op.code(), op); }

    /** The constant encoding {@link #write} uses. */
    static final int VERSION = 3;
    private static final int TAG_F32 = 0, TAG_I8 = 1, TAG_BF16 = 2;

    private GraphCodec() {}

    public static byte[] write(Graph g) {
        ByteWriter w = new ByteWriter();
        w.i32(g.input().id()).i32(g.output().id()).i32(g.nodes().size());
        for (Node n : g.nodes()) {
            w.string(n.kind().name()).string(n.name());
            w.i32(n.inputs().size());
            for (Value v : n.inputs()) w.i32(v.id());
            w.i32(n.output().id()).longs(n.output().shape());
            w.i32(n.ints().size());
            n.ints().forEach((k, v) -> w.string(k).longs(v));
            w.i32(n.floats().size());
            n.floats().forEach((k, v) -> w.string(k).f64(v));
            w.i32(n.strings().size());
            n.strings().forEach((k, v) -> w.string(k).string(v));
            w.i32(n.consts().size());
            n.consts().forEach((k, c) -> writeConst(w.string(k).longs(c.shape()), c.data()));
            ElementwiseProgram p = n.program();
            w.u8(p == null ? 0 : 1);
            if (p != null) {
                w.i32(p.inputs()).i32(p.instructions());
                int iw = ElementwiseProgram.INSTRUCTION_INTS;
                for (int i = 0; i < p.instructions(); i++) {
                    w.i32(p.op(i).code());
                    for (int a = 0; a < 3; a++) w.i32(p.codeAt(i * iw + 2 + a));
                    w.f64(p.immediateAt(i));
                }
                w.i32(p.result());
            }
        }
        return w.toByteArray();
    }

    /** Tagged values: int8 bytes when lossless, else bf16 halves when lossless, else F32. */
    private static void writeConst(ByteWriter w, float[] d) {
        boolean bytes = true, halves = d.length > 0;
        for (float v : d) {
            int i = (int) v;
            if (i < -128 || i > 127 || Float.floatToRawIntBits(v) != Float.floatToRawIntBits((float) i)) { bytes = false; break; }
        }
        for (int i = 0; i < d.length && halves && !bytes; i++) halves = Bf16Conversion.isBf16Value(d[i]);
        if (!bytes && halves) {
            byte[] b = new byte[2 * d.length];
            for (int i = 0; i < d.length; i++) {
                int hi = Float.floatToRawIntBits(d[i]) >>> 16;
                b[2 * i] = (byte) (hi >>> 8);
                b[2 * i + 1] = (byte) hi;
            }
            w.u8(TAG_BF16).bytes(b);
            return;
        }
        if (!bytes) { w.u8(TAG_F32).floats(d); return; }
        byte[] b = new byte[d.length];
        for (int i = 0; i < d.length; i++) b[i] = (byte) d[i];
        w.u8(TAG_I8).bytes(b);
    }

    private static float[] readConst(ByteReader r, int version) {
        if (version < 2) return r.floats("constant values");
        int tag = r.u8("constant encoding");
        if (tag == TAG_F32) return r.floats("constant values");
        if (tag == TAG_BF16 && version >= 3) {
            byte[] b = r.bytes("constant bf16 values");
            if (b.length % 2 != 0) throw r.fail("bf16 constant of " + b.length + " bytes (odd)");
            float[] d = new float[b.length / 2];
            for (int i = 0; i < d.length; i++) d[i] = Float.intBitsToFloat(((b[2 * i] & 0xff) << 24) | ((b[2 * i + 1] & 0xff) << 16));
            return d;
        }
        if (tag != TAG_I8) throw r.fail("unknown constant encoding " + tag);
        byte[] b = r.bytes("constant int8 values");
        float[] d = new float[b.length];
        for (int i = 0; i < b.length; i++) d[i] = b[i];
        return d;
    }

    /** Reads the current encoding. */
    public static Graph read(byte[] bytes) { return read(bytes, VERSION); }

    /** Reads encoding {@code version} (1 to 4: the bundle format version). */
    public static Graph read(byte[] bytes, int version) { return read(new ByteReader(bytes, "graph section"), version); }

    public static Graph read(ByteReader r) { return read(r, VERSION); }

    public static Graph read(ByteReader r, int version) {
        int inputId = r.i32("input id"), outputId = r.i32("output id");
        int count = r.count("node count", 40);
        Map<Integer, Value> values = new HashMap<>();
        List<Node> nodes = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                String kindName = r.string("node kind");
                OpKind kind;
                try { kind = OpKind.valueOf(kindName); } catch (IllegalArgumentException e) { throw r.fail("unknown node kind '" + kindName + "'"); }
                String name = r.string("node name");
                int nin = r.count("input count", 4);
                List<Value> ins = new ArrayList<>();
                for (int k = 0; k < nin; k++) {
                    int id = r.i32("input id");
                    Value v = values.get(id);
                    if (v == null) throw r.fail("node '" + name + "' reads value " + id + " before it is produced");
                    ins.add(v);
                }
                int outId = r.i32("output id");
                long[] shape = r.longs("output shape", MAX_RANK);
                if (values.containsKey(outId)) throw r.fail("value " + outId + " produced twice");
                Value out = new Value(outId, shape, DType.F32);
                values.put(outId, out);
                Node.Builder b = Node.builder(kind, out).name(name).inputs(ins);
                int ni = r.count("int attribute count", 8);
                for (int k = 0; k < ni; k++) b.ints(r.string("attribute name"), r.longs("int attribute", 64));
                int nf = r.count("float attribute count", 12);
                for (int k = 0; k < nf; k++) b.floatAttr(r.string("attribute name"), r.f64("float attribute"));
                int ns = r.count("string attribute count", 8);
                for (int k = 0; k < ns; k++) b.string(r.string("attribute name"), r.string("string attribute"));
                int nc = r.count("constant count", 12);
                for (int k = 0; k < nc; k++) {
                    String key = r.string("constant name");
                    long[] cs = r.longs("constant shape", MAX_RANK);
                    b.constant(key, new Const(readConst(r, version), cs));
                }
                if (r.u8("program flag") == 1) {
                    int pin = r.i32("program inputs"), instr = r.count("program instructions", 24);
                    ElementwiseProgram.Builder pb = ElementwiseProgram.builder(pin);
                    for (int k = 0; k < instr; k++) {
                        int code = r.i32("op code");
                        ElementwiseOp op = OPS.get(code);
                        if (op == null) throw r.fail("unknown elementwise op code " + code);
                        int[] src = {r.i32("source"), r.i32("source"), r.i32("source")};
                        pb.opImm(op, r.f64("immediate"), Arrays.copyOf(src, op.arity()));
                    }
                    b.program(pb.build(r.i32("program result")));
                }
                Node n = b.build();
                n.activation(); // validates the activation name
                nodes.add(n);
            }
            r.end();
            Value in = values.get(inputId), out = values.get(outputId);
            if (in == null || out == null) throw r.fail("input " + inputId + " or output " + outputId + " is not a value of the graph");
            Graph g = new Graph(nodes, in, out);
            validateShapes(g);
            return g;
        } catch (ModelFormatException e) {
            throw e;
        } catch (EngineException | IllegalArgumentException | ArithmeticException e) {
            throw new ModelFormatException("graph section: invalid graph: " + e.getMessage(), e);
        }
    }

    /** Re-infers every shape at the stored batch size and compares it with the stored one. */
    static void validateShapes(Graph g) {
        Map<Integer, long[]> shapes = new HashMap<>();
        long batch = g.input().shape().length == 0 ? 0 : g.input().shape()[0];
        if (batch < 1 || batch > 65536) throw new ModelFormatException("graph section: traced batch " + batch + " outside 1..65536");
        for (Node n : g.nodes()) {
            long[][] in = new long[n.inputs().size()][];
            for (int i = 0; i < in.length; i++) in[i] = shapes.get(n.input(i).id());
            long[] s = ShapeInference.infer(n, in, batch);
            if (!Arrays.equals(s, n.output().shape()))
                throw new ModelFormatException("graph section: node '" + n.name() + "' stores shape " + Arrays.toString(n.output().shape())
                        + " but its inputs give " + Arrays.toString(s));
            if (dev.engine.api.Shapes.numel(s) > Math.min(Integer.MAX_VALUE - 8, MAX_VALUE_ELEMENTS * batch))
                throw new ModelFormatException("graph section: node '" + n.name() + "' would produce " + Arrays.toString(s) + ", too large");
            shapes.put(n.output().id(), s);
        }
        if (n(g) == 0) throw new ModelFormatException("graph section: empty graph");
    }

    private static int n(Graph g) { return g.nodes().size(); }
}
