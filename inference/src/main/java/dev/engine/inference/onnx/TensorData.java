package dev.engine.inference.onnx;

import dev.engine.api.ModelFormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Decodes a {@link OnnxProto.Tensor} into a {@link ConstTensor}: typed fields, little-endian raw bytes,
 * or external data read from a side file next to the model (location, offset, length). The element count
 * is checked against the data before anything is allocated; a side file must lie inside the model's
 * directory and hold the bytes it is said to hold.
 *
 * <pre>{@code
 * ConstTensor w = TensorData.decode(initializer, modelPath.getParent(), "initializer 'fc1.weight'");
 * }</pre>
 */
final class TensorData {
    private TensorData() {}

    static ConstTensor decode(OnnxProto.Tensor t, Path baseDir, String what) {
        long n = ConstTensor.numel(t.dims(), what);
        int size = elementSize(t.dataType(), what);
        byte[] raw = t.raw();
        if (t.external() != null) raw = external(t, baseDir, n * size, what);
        if (raw != null) {
            if (raw.length != n * size)
                throw new ModelFormatException(what + ": raw data has " + raw.length + " bytes, shape needs " + n + " x " + size);
            return fromRaw(t.dataType(), t.dims(), ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN), (int) n);
        }
        boolean floating = isFloat(t.dataType());
        int have = floating ? t.floatData().length : t.intData().length;
        if (t.dataType() == OnnxProto.FLOAT16) throw new ModelFormatException(what + ": float16 tensors are not supported");
        if (have != n) throw new ModelFormatException(what + ": has " + have + " values, shape " + java.util.Arrays.toString(t.dims()) + " needs " + n);
        return floating ? ConstTensor.floats(t.dims(), t.floatData()) : ConstTensor.ints(t.dims(), t.intData());
    }

    static boolean isFloat(int type) { return type == OnnxProto.FLOAT || type == OnnxProto.DOUBLE || type == OnnxProto.FLOAT16; }

    static int elementSize(int type, String what) {
        return switch (type) {
            case OnnxProto.FLOAT, OnnxProto.INT32, OnnxProto.UINT32 -> 4;
            case OnnxProto.DOUBLE, OnnxProto.INT64, OnnxProto.UINT64 -> 8;
            case OnnxProto.INT8, OnnxProto.UINT8, OnnxProto.BOOL -> 1;
            case OnnxProto.INT16, OnnxProto.UINT16 -> 2;
            default -> throw new ModelFormatException(what + ": data_type " + type + " is not supported (float, double and integer types are)");
        };
    }

    private static ConstTensor fromRaw(int type, long[] dims, ByteBuffer b, int n) {
        if (isFloat(type)) {
            float[] f = new float[n];
            for (int i = 0; i < n; i++) f[i] = type == OnnxProto.FLOAT ? b.getFloat() : (float) b.getDouble();
            return ConstTensor.floats(dims, f);
        }
        long[] l = new long[n];
        for (int i = 0; i < n; i++) {
            l[i] = switch (type) {
                case OnnxProto.INT64, OnnxProto.UINT64 -> b.getLong();
                case OnnxProto.INT32 -> b.getInt();
                case OnnxProto.UINT32 -> b.getInt() & 0xffffffffL;
                case OnnxProto.INT16 -> b.getShort();
                case OnnxProto.UINT16 -> b.getShort() & 0xffff;
                case OnnxProto.INT8 -> b.get();
                default -> b.get() & 0xff;
            };
        }
        return ConstTensor.ints(dims, l);
    }

    private static byte[] external(OnnxProto.Tensor t, Path baseDir, long bytes, String what) {
        String loc = t.external().get("location");
        if (loc == null) throw new ModelFormatException(what + ": external data without a 'location'");
        if (baseDir == null) throw new ModelFormatException(what + ": external data '" + loc + "' needs the model's file path (loaded from bytes)");
        Path dir = baseDir.toAbsolutePath().normalize();
        Path file = dir.resolve(loc).normalize();
        if (!file.startsWith(dir) || Path.of(loc).isAbsolute())
            throw new ModelFormatException(what + ": external data location '" + loc + "' is outside the model's directory");
        long offset = parse(t.external().get("offset"), 0, what, "offset");
        long length = parse(t.external().get("length"), bytes, what, "length");
        if (length != bytes) throw new ModelFormatException(what + ": external data length " + length + " but the shape needs " + bytes + " bytes");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (offset > size || bytes > size - offset)
                throw new ModelFormatException(what + ": external file '" + loc + "' has " + size + " bytes, needs " + bytes + " at offset " + offset);
            ByteBuffer buf = ByteBuffer.allocate((int) bytes);
            while (buf.hasRemaining()) {
                if (ch.read(buf, offset + buf.position()) < 0) throw new ModelFormatException(what + ": external file '" + loc + "' ended early");
            }
            return buf.array();
        } catch (IOException e) {
            if (!Files.exists(file)) throw new ModelFormatException(what + ": external data file '" + loc + "' not found next to the model", e);
            throw new ModelFormatException(what + ": cannot read external data file '" + loc + "': " + e.getMessage(), e);
        }
    }

    private static long parse(String s, long dflt, String what, String key) {
        if (s == null) return dflt;
        try {
            long v = Long.parseLong(s.trim());
            if (v < 0) throw new NumberFormatException();
            return v;
        } catch (NumberFormatException e) {
            throw new ModelFormatException(what + ": external data " + key + " '" + s + "' is not a non-negative integer");
        }
    }
}
