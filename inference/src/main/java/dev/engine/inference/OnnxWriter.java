package dev.engine.inference;

import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Protobuf messages of onnx.proto written with {@link CodedOutputStream} (wire format only, no generated
 * classes). Each method returns one encoded message; nested messages are embedded as length-delimited
 * bytes. Field numbers follow onnx.proto.
 *
 * <pre>{@code
 * byte[] attr = OnnxWriter.attrInt("axis", 1);
 * byte[] node = OnnxWriter.node("Flatten", "flatten1", new String[]{"x"}, new String[]{"y"}, attr);
 * }</pre>
 */
final class OnnxWriter {
    static final int FLOAT = 1, UINT8 = 2, INT8 = 3, INT32 = 6, INT64 = 7;
    private static final int ATTR_FLOAT = 1, ATTR_INT = 2, ATTR_INTS = 7;

    private OnnxWriter() {}

    /** Builds one message. */
    static final class Msg {
        private final ByteArrayOutputStream bos = new ByteArrayOutputStream();
        private final CodedOutputStream out = CodedOutputStream.newInstance(bos);

        interface W { void run(CodedOutputStream o) throws IOException; }

        Msg w(W f) {
            try { f.run(out); } catch (IOException e) { throw new dev.engine.api.EngineException("onnx export: " + e.getMessage(), e); }
            return this;
        }

        Msg str(int field, String s) { return w(o -> o.writeString(field, s)); }
        Msg i64(int field, long v) { return w(o -> o.writeInt64(field, v)); }
        Msg i32(int field, int v) { return w(o -> o.writeInt32(field, v)); }
        Msg f32(int field, float v) { return w(o -> o.writeFloat(field, v)); }
        Msg msg(int field, byte[] m) { return w(o -> o.writeByteArray(field, m)); }

        byte[] bytes() {
            try { out.flush(); } catch (IOException e) { throw new dev.engine.api.EngineException("onnx export: " + e.getMessage(), e); }
            return bos.toByteArray();
        }
    }

    static byte[] attrInt(String name, long v) { return new Msg().str(1, name).i64(3, v).i32(20, ATTR_INT).bytes(); }

    static byte[] attrFloat(String name, float v) { return new Msg().str(1, name).f32(2, v).i32(20, ATTR_FLOAT).bytes(); }

    static byte[] attrInts(String name, long... v) {
        Msg m = new Msg().str(1, name);
        for (long x : v) m.i64(8, x);
        return m.i32(20, ATTR_INTS).bytes();
    }

    /** NodeProto: input 1, output 2, name 3, op_type 4, attribute 5. */
    static byte[] node(String op, String name, String[] ins, String[] outs, byte[]... attrs) {
        Msg m = new Msg();
        for (String i : ins) m.str(1, i);
        for (String o : outs) m.str(2, o);
        m.str(3, name).str(4, op);
        for (byte[] a : attrs) m.msg(5, a);
        return m.bytes();
    }

    /** TensorProto with float data: dims 1, data_type 2, name 8, raw_data 9 (little-endian). */
    static byte[] floatTensor(String name, long[] dims, float[] data) {
        Msg m = new Msg();
        for (long d : dims) m.i64(1, d);
        ByteBuffer b = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : data) b.putFloat(f);
        return m.i32(2, FLOAT).str(8, name).w(o -> o.writeByteArray(9, b.array())).bytes();
    }

    /** TensorProto of 8-bit integers ({@link #UINT8} or {@link #INT8}); {@code data} holds their values. */
    static byte[] byteTensor(String name, int type, long[] dims, int[] data) {
        Msg m = new Msg();
        for (long d : dims) m.i64(1, d);
        byte[] b = new byte[data.length];
        for (int i = 0; i < data.length; i++) b[i] = (byte) data[i];
        return m.i32(2, type).str(8, name).w(o -> o.writeByteArray(9, b)).bytes();
    }

    static byte[] intTensor(String name, long[] dims, int[] data) {
        Msg m = new Msg();
        for (long d : dims) m.i64(1, d);
        ByteBuffer b = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : data) b.putInt(v);
        return m.i32(2, INT32).str(8, name).w(o -> o.writeByteArray(9, b.array())).bytes();
    }

    static byte[] longTensor(String name, long[] dims, long[] data) {
        Msg m = new Msg();
        for (long d : dims) m.i64(1, d);
        ByteBuffer b = ByteBuffer.allocate(data.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : data) b.putLong(v);
        return m.i32(2, INT64).str(8, name).w(o -> o.writeByteArray(9, b.array())).bytes();
    }

    /** ValueInfoProto of a float tensor; a negative dim is written as the symbolic "batch". */
    static byte[] valueInfo(String name, long[] dims) {
        Msg shape = new Msg();
        for (long d : dims) shape.msg(1, d < 0 ? new Msg().str(2, "batch").bytes() : new Msg().i64(1, d).bytes());
        byte[] tensorType = new Msg().i32(1, FLOAT).msg(2, shape.bytes()).bytes();
        byte[] type = new Msg().msg(1, tensorType).bytes();
        return new Msg().str(1, name).msg(2, type).bytes();
    }

    /** ModelProto: ir_version 1, producer_name 2, graph 7, opset_import 8. */
    static byte[] model(long irVersion, long opset, byte[] graph) {
        byte[] opsetId = new Msg().str(1, "").i64(2, opset).bytes();
        return new Msg().i64(1, irVersion).str(2, "engine").msg(7, graph).msg(8, opsetId).bytes();
    }
}
