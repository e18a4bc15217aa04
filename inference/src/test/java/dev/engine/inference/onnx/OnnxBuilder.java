package dev.engine.inference.onnx;

import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/** Writes small ONNX models for tests (wire format by hand, so hostile variants are easy to make). */
final class OnnxBuilder {
    private final List<byte[]> nodes = new ArrayList<>(), inits = new ArrayList<>(), inputs = new ArrayList<>(), outputs = new ArrayList<>();
    long opset = 17, ir = 8;

    /** One message under construction. */
    static final class Msg {
        final ByteArrayOutputStream bos = new ByteArrayOutputStream();
        final CodedOutputStream o = CodedOutputStream.newInstance(bos);
        interface W { void run(CodedOutputStream o) throws IOException; }
        Msg w(W f) { try { f.run(o); } catch (IOException e) { throw new RuntimeException(e); } return this; }
        Msg str(int f, String s) { return w(o -> o.writeString(f, s)); }
        Msg i64(int f, long v) { return w(o -> o.writeInt64(f, v)); }
        Msg f32(int f, float v) { return w(o -> o.writeFloat(f, v)); }
        Msg msg(int f, byte[] m) { return w(o -> o.writeByteArray(f, m)); }
        byte[] bytes() { w(CodedOutputStream::flush); return bos.toByteArray(); }
    }

    static byte[] attrInt(String name, long v) { return new Msg().str(1, name).i64(3, v).i64(20, 2).bytes(); }
    static byte[] attrFloat(String name, float v) { return new Msg().str(1, name).f32(2, v).i64(20, 1).bytes(); }
    static byte[] attrString(String name, String v) { return new Msg().str(1, name).str(4, v).i64(20, 3).bytes(); }
    static byte[] attrTensor(String name, byte[] tensor) { return new Msg().str(1, name).msg(5, tensor).i64(20, 4).bytes(); }
    static byte[] attrInts(String name, long... v) {
        Msg m = new Msg().str(1, name);
        for (long x : v) m.i64(8, x);
        return m.i64(20, 7).bytes();
    }

    OnnxBuilder node(String op, String name, String[] ins, String[] outs, byte[]... attrs) {
        Msg m = new Msg();
        for (String i : ins) m.str(1, i);
        for (String o : outs) m.str(2, o);
        m.str(3, name).str(4, op);
        for (byte[] a : attrs) m.msg(5, a);
        nodes.add(m.bytes());
        return this;
    }

    static byte[] floatTensor(String name, long[] dims, float[] data) {
        Msg m = new Msg();
        for (long d : dims) m.i64(1, d);
        ByteBuffer b = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : data) b.putFloat(f);
        return m.i64(2, 1).str(8, name).msg(9, b.array()).bytes();
    }

    static byte[] longTensor(String name, long[] dims, long[] data) {
        Msg m = new Msg();
        for (long d : dims) m.i64(1, d);
        for (long v : data) m.i64(7, v);
        return m.i64(2, 7).str(8, name).bytes();
    }

    OnnxBuilder opset(long v) { opset = v; return this; }
    OnnxBuilder init(byte[] tensor) { inits.add(tensor); return this; }
    OnnxBuilder init(String name, long[] dims, float[] data) { return init(floatTensor(name, dims, data)); }

    static byte[] valueInfo(String name, long... dims) {
        Msg shape = new Msg();
        for (long d : dims) shape.msg(1, d < 0 ? new Msg().str(2, "batch").bytes() : new Msg().i64(1, d).bytes());
        byte[] tt = new Msg().i64(1, 1).msg(2, shape.bytes()).bytes();
        return new Msg().str(1, name).msg(2, new Msg().msg(1, tt).bytes()).bytes();
    }

    OnnxBuilder input(String name, long... dims) { return input(valueInfo(name, dims)); }
    OnnxBuilder input(byte[] valueInfo) { inputs.add(valueInfo); return this; }
    OnnxBuilder output(String name, long... dims) { outputs.add(valueInfo(name, dims)); return this; }

    byte[] bytes() {
        Msg g = new Msg();
        for (byte[] n : nodes) g.msg(1, n);
        g.str(2, "test");
        for (byte[] t : inits) g.msg(5, t);
        for (byte[] t : inputs) g.msg(11, t);
        for (byte[] t : outputs) g.msg(12, t);
        byte[] opsetId = new Msg().str(1, "").i64(2, opset).bytes();
        return new Msg().i64(1, ir).str(2, "test").msg(7, g.bytes()).msg(8, opsetId).bytes();
    }

    /** x [batch, 3] -> Gemm(w [2,3], transB) -> Relu: a valid starting point for hostile variants. */
    static OnnxBuilder tiny() {
        return new OnnxBuilder().input("x", -1, 3).output("y", -1, 2)
                .init("w", new long[]{2, 3}, new float[]{1, 2, 3, 4, 5, 6}).init("b", new long[]{2}, new float[]{0.5f, -0.5f})
                .node("Gemm", "fc", new String[]{"x", "w", "b"}, new String[]{"h"}, attrInt("transB", 1))
                .node("Relu", "act", new String[]{"h"}, new String[]{"y"});
    }
}
