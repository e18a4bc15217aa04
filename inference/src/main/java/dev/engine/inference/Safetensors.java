package dev.engine.inference;

import dev.engine.io.AtomicFiles;
import dev.engine.api.DType;
import dev.engine.api.ModelFormatException;
import dev.engine.api.Shapes;
import dev.engine.autograd.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes the safetensors format (PyTorch state dicts): an 8-byte little-endian header length, a
 * JSON header mapping names to {@code dtype}, {@code shape} and {@code data_offsets}, then the raw
 * little-endian data. F32, F64 and I64 are supported. Every size and offset is checked against the file
 * length, so a damaged file throws {@link ModelFormatException} instead of exhausting memory.
 *
 * <pre>{@code
 * Map<String, Safetensors.Entry> sd = Safetensors.read(Path.of("mlp.safetensors"));
 * float[] w = sd.get("net.0.weight").floats();      // [512, 784] row-major, PyTorch's layout
 * Safetensors.write(Path.of("copy.safetensors"), sd);
 * model.loadStateDict(Safetensors.readTensors(Path.of("from_pytorch.safetensors")));
 * Safetensors.writeTensors(Path.of("to_pytorch.safetensors"), model.stateDict());
 * }</pre>
 */
public final class Safetensors {
    private static final long MAX_HEADER = 100L << 20;

    private Safetensors() {}

    /** One tensor: dtype, shape and its values (exactly one of the arrays is set). */
    public record Entry(DType dtype, long[] shape, float[] f32, double[] f64, long[] i64) {
        public Entry {
            shape = shape.clone();
            long n = Shapes.numel(shape);
            int set = (f32 != null ? 1 : 0) + (f64 != null ? 1 : 0) + (i64 != null ? 1 : 0);
            long len = f32 != null ? f32.length : f64 != null ? f64.length : i64 != null ? i64.length : -1;
            if (set != 1 || len != n) throw new ModelFormatException("safetensors entry of shape " + Shapes.str(shape) + " needs " + n + " values of one dtype");
        }

        public static Entry of(float[] v, long... shape) { return new Entry(DType.F32, shape, v, null, null); }
        public static Entry of(double[] v, long... shape) { return new Entry(DType.F64, shape, null, v, null); }
        public static Entry of(long[] v, long... shape) { return new Entry(DType.I64, shape, null, null, v); }

        @Override public long[] shape() { return shape.clone(); }

        /** The values as F32 (converted when stored otherwise). */
        public float[] floats() {
            if (f32 != null) return f32;
            float[] r = new float[f64 != null ? f64.length : i64.length];
            for (int i = 0; i < r.length; i++) r[i] = f64 != null ? (float) f64[i] : (float) i64[i];
            return r;
        }

        /** A new tensor on the default backend. */
        public Tensor toTensor() {
            return switch (dtype) {
                case F64 -> Tensor.of(f64, shape);
                case I64 -> Tensor.ofLongs(i64, shape);
                default -> Tensor.of(f32, shape);
            };
        }

        /** A copy of a tensor's values (F32, F64 or I64). */
        public static Entry from(Tensor t) {
            return switch (t.dtype()) {
                case F64 -> of(t.toDoubleArray(), t.shape());
                case I64, I32 -> of(t.toLongArray(), t.shape());
                default -> of(t.toFloatArray(), t.shape());
            };
        }
    }

    public static Map<String, Entry> read(Path p) {
        try {
            long size = Files.size(p);
            if (size > Integer.MAX_VALUE - 8) throw new ModelFormatException("safetensors file " + p + " is larger than 2 GiB");
            return read(Files.readAllBytes(p));
        } catch (IOException e) {
            throw new dev.engine.api.EngineException("could not read " + p + ": " + e.getMessage(), e);
        }
    }

    /** Parses safetensors bytes. */
    public static Map<String, Entry> read(byte[] file) {
        ByteBuffer bb = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        if (file.length < 8) throw new ModelFormatException("safetensors: file of " + file.length + " bytes has no header length");
        long hlen = bb.getLong(0);
        if (hlen < 2 || hlen > MAX_HEADER || hlen > file.length - 8L)
            throw new ModelFormatException("safetensors: header length " + hlen + " does not fit a file of " + file.length + " bytes");
        String header = new String(file, 8, (int) hlen, StandardCharsets.UTF_8);
        Map<String, Object> json = Json.parseObject(header.strip());
        long dataStart = 8 + hlen, dataLen = file.length - dataStart;
        Map<String, Entry> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : json.entrySet()) {
            if (e.getKey().equals("__metadata__")) continue;
            String name = e.getKey();
            if (!(e.getValue() instanceof Map<?, ?> m)) throw new ModelFormatException("safetensors: entry '" + name + "' is not an object");
            DType dt = switch (String.valueOf(m.get("dtype"))) {
                case "F32" -> DType.F32;
                case "F64" -> DType.F64;
                case "I64" -> DType.I64;
                default -> throw new ModelFormatException("safetensors: '" + name + "' has unsupported dtype " + m.get("dtype") + " (F32, F64, I64)");
            };
            long[] shape = longs(m.get("shape"), name, "shape");
            long[] off = longs(m.get("data_offsets"), name, "data_offsets");
            if (off.length != 2 || off[0] < 0 || off[1] < off[0] || off[1] > dataLen)
                throw new ModelFormatException("safetensors: '" + name + "' data_offsets " + java.util.Arrays.toString(off) + " outside the "
                        + dataLen + " data bytes");
            long numel;
            try { numel = Shapes.numel(shape); } catch (RuntimeException x) { throw new ModelFormatException("safetensors: '" + name + "' has bad shape"); }
            if (numel > (off[1] - off[0]) / dt.byteSize() || numel * dt.byteSize() != off[1] - off[0])
                throw new ModelFormatException("safetensors: '" + name + "' shape " + Shapes.str(shape) + " needs " + dt.bytes(numel)
                        + " bytes but data_offsets span " + (off[1] - off[0]));
            int n = (int) numel, at = (int) (dataStart + off[0]);
            ByteBuffer d = bb.duplicate().order(ByteOrder.LITTLE_ENDIAN).position(at);
            out.put(name, switch (dt) {
                case F32 -> { float[] v = new float[n]; d.asFloatBuffer().get(v); yield Entry.of(v, shape); }
                case F64 -> { double[] v = new double[n]; d.asDoubleBuffer().get(v); yield Entry.of(v, shape); }
                default -> { long[] v = new long[n]; d.asLongBuffer().get(v); yield Entry.of(v, shape); }
            });
        }
        return out;
    }

    private static long[] longs(Object o, String name, String what) {
        if (!(o instanceof List<?> l) || l.size() > 64) throw new ModelFormatException("safetensors: '" + name + "' " + what + " is not a short list");
        long[] r = new long[l.size()];
        for (int i = 0; i < r.length; i++) {
            if (!(l.get(i) instanceof Long v) || v < 0) throw new ModelFormatException("safetensors: '" + name + "' " + what + " holds " + l.get(i));
            r[i] = v;
        }
        return r;
    }

    /**
     * Reads a file as tensors on the default backend, e.g. for {@code module.loadStateDict(...)}. The
     * tensors belong to the current {@link dev.engine.autograd.MemoryScope}, if any.
     */
    public static Map<String, Tensor> readTensors(Path p) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        read(p).forEach((k, e) -> m.put(k, e.toTensor()));
        return m;
    }

    /** Writes entries (in map order) atomically. */
    public static void write(Path p, Map<String, Entry> entries) { AtomicFiles.write(p, toBytes(entries)); }

    /** Writes a state dict of tensors. */
    public static void writeTensors(Path p, Map<String, Tensor> state) {
        Map<String, Entry> m = new LinkedHashMap<>();
        state.forEach((k, t) -> m.put(k, Entry.from(t)));
        write(p, m);
    }

    /** The safetensors bytes for {@code entries}. */
    public static byte[] toBytes(Map<String, Entry> entries) {
        StringBuilder h = new StringBuilder("{");
        long off = 0;
        List<Entry> order = new ArrayList<>();
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            Entry t = e.getValue();
            long len = t.dtype().bytes(Shapes.numel(t.shape()));
            if (h.length() > 1) h.append(',');
            h.append(Json.quote(e.getKey())).append(":{\"dtype\":\"").append(t.dtype()).append("\",\"shape\":[");
            long[] s = t.shape();
            for (int i = 0; i < s.length; i++) h.append(i == 0 ? "" : ",").append(s[i]);
            h.append("],\"data_offsets\":[").append(off).append(',').append(off + len).append("]}");
            off += len;
            order.add(t);
        }
        h.append('}');
        byte[] hb = h.toString().getBytes(StandardCharsets.UTF_8);
        int pad = (8 - hb.length % 8) % 8;
        long total = 8L + hb.length + pad + off;
        if (total > Integer.MAX_VALUE - 8) throw new ModelFormatException("safetensors: " + total + " bytes do not fit one array");
        ByteBuffer bb = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
        bb.putLong(hb.length + pad).put(hb);
        for (int i = 0; i < pad; i++) bb.put((byte) ' ');
        for (Entry t : order) {
            if (t.f32() != null) for (float v : t.f32()) bb.putFloat(v);
            else if (t.f64() != null) for (double v : t.f64()) bb.putDouble(v);
            else for (long v : t.i64()) bb.putLong(v);
        }
        return bb.array();
    }
}
