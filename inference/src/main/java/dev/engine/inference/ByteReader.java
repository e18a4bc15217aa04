package dev.engine.inference;

import dev.engine.api.ModelFormatException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Bounds-checked big-endian reading of a byte region (a bundle section). Every count and length is
 * checked against the bytes that remain before anything is allocated, so a hostile size fails with a
 * {@link ModelFormatException} naming {@code what} instead of exhausting memory.
 *
 * <pre>{@code
 * ByteReader r = new ByteReader(bytes, "graph section");
 * int n = r.count("node count", 16);   // at least 16 bytes per node must remain
 * }</pre>
 */
public final class ByteReader {
    private final ByteBuffer b;
    private final String what;

    public ByteReader(byte[] bytes, String what) { this(bytes, 0, bytes.length, what); }

    public ByteReader(byte[] bytes, int offset, int length, String what) {
        this.b = ByteBuffer.wrap(bytes, offset, length).slice();
        this.what = what;
    }

    public int remaining() { return b.remaining(); }
    public int position() { return b.position(); }

    private void need(long n, String field) {
        if (n < 0 || n > b.remaining())
            throw new ModelFormatException(what + ": " + field + " needs " + n + " bytes at offset " + b.position() + " but only "
                    + b.remaining() + " remain (truncated or corrupt)");
    }

    public int u8(String field) { need(1, field); return b.get() & 0xff; }
    public int i32(String field) { need(4, field); return b.getInt(); }
    public long i64(String field) { need(8, field); return b.getLong(); }
    public float f32(String field) { need(4, field); return b.getFloat(); }
    public double f64(String field) { need(8, field); return b.getDouble(); }

    /** A non-negative count whose items take at least {@code minBytesEach} bytes that must remain. */
    public int count(String field, int minBytesEach) {
        int n = i32(field);
        if (n < 0) throw new ModelFormatException(what + ": negative " + field + " " + n);
        need((long) n * Math.max(1, minBytesEach), field + " (" + n + " items)");
        return n;
    }

    public String string(String field) {
        int n = count(field + " length", 1);
        byte[] s = new byte[n];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }

    public byte[] bytes(String field) {
        int n = count(field + " length", 1);
        byte[] s = new byte[n];
        b.get(s);
        return s;
    }

    public float[] floats(String field) {
        int n = count(field + " count", 4);
        float[] v = new float[n];
        b.asFloatBuffer().get(v);
        b.position(b.position() + 4 * n);
        return v;
    }

    public long[] longs(String field, int max) {
        int n = count(field + " count", 8);
        if (n > max) throw new ModelFormatException(what + ": " + field + " has " + n + " entries (at most " + max + ")");
        long[] v = new long[n];
        for (int i = 0; i < n; i++) v[i] = b.getLong();
        return v;
    }

    /** Fails unless every byte was consumed. */
    public void end() {
        if (b.remaining() != 0) throw new ModelFormatException(what + ": " + b.remaining() + " unexpected trailing bytes");
    }

    public ModelFormatException fail(String msg) { return new ModelFormatException(what + ": " + msg); }
}
