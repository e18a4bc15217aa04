package dev.engine.inference;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Big-endian writing that mirrors {@link ByteReader}: lengths prefix strings and arrays.
 *
 * <pre>{@code
 * ByteWriter w = new ByteWriter();
 * w.string("linear1").floats(weights);
 * byte[] bytes = w.toByteArray();
 * }</pre>
 */
public final class ByteWriter {
    private final ByteArrayOutputStream bos = new ByteArrayOutputStream();
    private final DataOutputStream out = new DataOutputStream(bos);

    public ByteWriter u8(int v) { return io(() -> out.writeByte(v)); }
    public ByteWriter i32(int v) { return io(() -> out.writeInt(v)); }
    public ByteWriter i64(long v) { return io(() -> out.writeLong(v)); }
    public ByteWriter f32(float v) { return io(() -> out.writeFloat(v)); }
    public ByteWriter f64(double v) { return io(() -> out.writeDouble(v)); }

    public ByteWriter string(String s) { return bytes(s.getBytes(StandardCharsets.UTF_8)); }

    public ByteWriter bytes(byte[] b) { return io(() -> { out.writeInt(b.length); out.write(b); }); }

    public ByteWriter floats(float[] v) {
        return io(() -> {
            out.writeInt(v.length);
            for (float f : v) out.writeFloat(f);
        });
    }

    public ByteWriter longs(long[] v) {
        return io(() -> {
            out.writeInt(v.length);
            for (long l : v) out.writeLong(l);
        });
    }

    public byte[] toByteArray() { return bos.toByteArray(); }

    private interface Io { void run() throws IOException; }

    private ByteWriter io(Io r) {
        try { r.run(); } catch (IOException e) { throw new dev.engine.api.EngineException("write: " + e.getMessage(), e); }
        return this;
    }
}
