package dev.engine.inference.onnx;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of onnx.proto the importer reads, as records, and their decoding from protobuf wire format
 * through the bounds-checked {@link ProtoReader}. Unknown fields are skipped, as protobuf requires;
 * subgraph attributes (If/Loop bodies) are kept only as a marker so an op using them fails by name.
 *
 * <pre>{@code
 * OnnxProto.Model m = OnnxProto.parse(Files.readAllBytes(path));
 * System.out.println(m.opset() + " " + m.graph().nodes().size());
 * }</pre>
 */
final class OnnxProto {
    private OnnxProto() {}

    // TensorProto.DataType values used by the importer.
    static final int FLOAT = 1, UINT8 = 2, INT8 = 3, UINT16 = 4, INT16 = 5, INT32 = 6, INT64 = 7, STRING = 8, BOOL = 9,
            FLOAT16 = 10, DOUBLE = 11, UINT32 = 12, UINT64 = 13;

    /** ModelProto: the IR version, the default-domain opset and the graph. */
    record Model(long irVersion, long opset, Map<String, Long> opsets, Graph graph) {}

    record Graph(String name, List<Node> nodes, List<Tensor> initializers, List<ValueInfo> inputs, List<ValueInfo> outputs) {}

    record Node(String name, String opType, String domain, List<String> inputs, List<String> outputs, Map<String, Attribute> attributes) {
        /** "Conv 'conv1'" (or the first output when unnamed), for error messages. */
        String label() { return opType + " '" + (name.isEmpty() ? (outputs.isEmpty() ? "?" : outputs.get(0)) : name) + "'"; }
    }

    /** AttributeProto; {@code type} is the AttributeType code (1 FLOAT, 2 INT, 3 STRING, 4 TENSOR, 5 GRAPH, 6 FLOATS, 7 INTS). */
    record Attribute(String name, int type, float f, long i, String s, Tensor t, float[] floats, long[] ints, String[] strings) {}

    /** A tensor's data as stored: exactly one of the data fields or raw bytes or an external location. */
    record Tensor(String name, long[] dims, int dataType, float[] floatData, long[] intData, byte[] raw, Map<String, String> external) {}

    /** ValueInfoProto of a tensor: element type and dims (a negative dim is symbolic, its name in {@code params}). */
    record ValueInfo(String name, int elemType, long[] dims, String[] params, boolean hasShape) {}

    static Model parse(byte[] bytes) {
        ProtoReader r = new ProtoReader(bytes, "model");
        long ir = -1;
        Map<String, Long> opsets = new LinkedHashMap<>();
        Graph g = null;
        while (r.next()) {
            switch (r.field()) {
                case 1 -> ir = r.varint();
                case 7 -> g = graph(r.message("graph"));
                case 8 -> {
                    ProtoReader o = r.message("opset_import");
                    String domain = "";
                    long v = -1;
                    while (o.next()) {
                        if (o.field() == 1) domain = o.string();
                        else if (o.field() == 2) v = o.varint();
                        else o.skip();
                    }
                    opsets.put(domain.equals("ai.onnx") ? "" : domain, v);
                }
                default -> r.skip();
            }
        }
        if (g == null) throw r.fail("no graph (field 7)");
        if (ir < 3) throw r.fail("ir_version " + ir + " is missing or older than 3 (opset imports are required)");
        Long opset = opsets.get("");
        if (opset == null) throw r.fail("no opset_import for the default ONNX domain");
        return new Model(ir, opset, opsets, g);
    }

    private static Graph graph(ProtoReader r) {
        String name = "";
        List<Node> nodes = new ArrayList<>();
        List<Tensor> inits = new ArrayList<>();
        List<ValueInfo> ins = new ArrayList<>(), outs = new ArrayList<>();
        while (r.next()) {
            switch (r.field()) {
                case 1 -> nodes.add(node(r.message("node[" + nodes.size() + "]")));
                case 2 -> name = r.string();
                case 5 -> inits.add(tensor(r.message("initializer[" + inits.size() + "]")));
                case 11 -> ins.add(valueInfo(r.message("input[" + ins.size() + "]")));
                case 12 -> outs.add(valueInfo(r.message("output[" + outs.size() + "]")));
                case 15 -> throw r.fail("sparse initializers are not supported");
                default -> r.skip();
            }
        }
        return new Graph(name, nodes, inits, ins, outs);
    }

    private static Node node(ProtoReader r) {
        String name = "", op = null, domain = "";
        List<String> ins = new ArrayList<>(), outs = new ArrayList<>();
        Map<String, Attribute> attrs = new LinkedHashMap<>();
        while (r.next()) {
            switch (r.field()) {
                case 1 -> ins.add(r.string());
                case 2 -> outs.add(r.string());
                case 3 -> name = r.string();
                case 4 -> op = r.string();
                case 7 -> domain = r.string();
                case 5 -> {
                    Attribute a = attribute(r.message("attribute[" + attrs.size() + "]"));
                    if (attrs.put(a.name(), a) != null) throw r.fail("attribute '" + a.name() + "' appears twice");
                }
                default -> r.skip();
            }
        }
        if (op == null || op.isEmpty()) throw r.fail("node without op_type");
        return new Node(name, op, domain.equals("ai.onnx") ? "" : domain, ins, outs, attrs);
    }

    private static Attribute attribute(ProtoReader r) {
        String name = null, s = null;
        int type = 0;
        float f = 0;
        long i = 0;
        Tensor t = null;
        ProtoReader.FloatList fs = new ProtoReader.FloatList();
        ProtoReader.LongList is = new ProtoReader.LongList();
        java.util.List<String> ss = new java.util.ArrayList<>();
        while (r.next()) {
            switch (r.field()) {
                case 1 -> name = r.string();
                case 2 -> f = r.fixed32Float();
                case 3 -> i = r.varint();
                case 4 -> s = r.string();
                case 5 -> t = tensor(r.message("t"));
                case 6, 11 -> { r.skip(); type = type == 0 ? 5 : type; }
                case 7 -> r.floats(fs);
                case 8 -> r.varints(is);
                case 9 -> ss.add(r.string());
                case 20 -> type = (int) r.varint();
                default -> r.skip();
            }
        }
        if (name == null || name.isEmpty()) throw r.fail("attribute without a name");
        return new Attribute(name, type, f, i, s, t, fs.toArray(), is.toArray(), ss.toArray(new String[0]));
    }

    static Tensor tensor(ProtoReader r) {
        String name = "";
        int type = 0;
        ProtoReader.LongList dims = new ProtoReader.LongList(), ints = new ProtoReader.LongList();
        ProtoReader.FloatList floats = new ProtoReader.FloatList();
        byte[] raw = null;
        Map<String, String> ext = null;
        boolean external = false;
        while (r.next()) {
            switch (r.field()) {
                case 1 -> r.varints(dims);
                case 2 -> type = (int) r.varint();
                case 4 -> r.floats(floats);
                case 5, 7, 11 -> r.varints(ints);
                case 10 -> r.doubles(floats);
                case 8 -> name = r.string();
                case 9 -> raw = r.bytes();
                case 13 -> {
                    if (ext == null) ext = new LinkedHashMap<>();
                    ProtoReader e = r.message("external_data");
                    String k = null, v = null;
                    while (e.next()) {
                        if (e.field() == 1) k = e.string();
                        else if (e.field() == 2) v = e.string();
                        else e.skip();
                    }
                    if (k == null || v == null) throw e.fail("external_data entry without key or value");
                    ext.put(k, v);
                }
                case 14 -> external = r.varint() == 1;
                case 3 -> throw r.fail("segmented tensors are not supported");
                default -> r.skip();
            }
        }
        if (external && ext == null) throw r.fail("tensor '" + name + "' is marked external but names no location");
        return new Tensor(name, dims.toArray(), type, floats.toArray(), ints.toArray(), raw, external ? ext : null);
    }

    private static ValueInfo valueInfo(ProtoReader r) {
        String name = "";
        int elem = 0;
        ProtoReader.LongList dims = new ProtoReader.LongList();
        List<String> params = new ArrayList<>();
        boolean hasShape = false;
        while (r.next()) {
            if (r.field() == 1) { name = r.string(); continue; }
            if (r.field() != 2) { r.skip(); continue; }
            ProtoReader type = r.message("type");
            while (type.next()) {
                if (type.field() != 1) { type.skip(); continue; }
                ProtoReader tt = type.message("tensor_type");
                while (tt.next()) {
                    if (tt.field() == 1) elem = (int) tt.varint();
                    else if (tt.field() == 2) {
                        hasShape = true;
                        ProtoReader shape = tt.message("shape");
                        while (shape.next()) {
                            if (shape.field() != 1) { shape.skip(); continue; }
                            ProtoReader d = shape.message("dim[" + dims.size() + "]");
                            long v = -1;
                            String p = "?";
                            while (d.next()) {
                                if (d.field() == 1) v = d.varint();
                                else if (d.field() == 2) p = d.string();
                                else d.skip();
                            }
                            dims.add(v);
                            params.add(v >= 0 ? null : p);
                        }
                    } else tt.skip();
                }
            }
        }
        return new ValueInfo(name, elem, dims.toArray(), params.toArray(new String[0]), hasShape);
    }
}
