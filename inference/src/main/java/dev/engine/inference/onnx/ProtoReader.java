package dev.engine.inference.onnx;

import dev.engine.api.ModelFormatException;
import java.nio.charset.StandardCharsets;

/**
 * A bounds-checked reader of protobuf wire format over one message's bytes. Every length is checked
 * against the bytes that remain before anything is allocated, so a hostile file (a length past the end,
 * a malformed varint, a deprecated group) fails with a {@link ModelFormatException} naming the message
 * path ("graph.node[3].attribute[0]") instead of exhausting memory or looping. Sub-messages are read
 * through {@link #message}, which shares the byte array (no copy).
 *
 * <pre>{@code
 * ProtoReader r = new ProtoReader(bytes, "model");
 * while (r.next()) {
 *     if (r.field() == 1) irVersion = r.varint();
 *     else r.skip();
 * }
 * }</pre>
 */
final class ProtoReader {
    static final int VARINT = 0, FIXED64 = 1, LEN = 2, FIXED32 = 5;

    private final byte[] buf;
    private final int end;
    private final String path;
    private int pos;
    private int field, wire;

    ProtoReader(byte[] buf, String path) { this(buf, 0, buf.length, path); }

    private ProtoReader(byte[] buf, int start, int end, String path) {
        this.buf = buf;
        this.pos = start;
        this.end = end;
        this.path = path;
    }

    String path() { return path; }

    /** Reads the next tag; false at the end of the message. */
    boolean next() {
        if (pos >= end) return false;
        long tag = rawVarint("tag");
        wire = (int) (tag & 7);
        long f = tag >>> 3;
        if (f < 1 || f > (1 << 29)) throw fail("field number " + f + " is invalid");
        field = (int) f;
        if (wire != VARINT && wire != FIXED64 && wire != LEN && wire != FIXED32)
            throw fail("field " + field + " has unsupported wire type " + wire);
        return true;
    }

    int field() { return field; }
    int wire() { return wire; }

    long varint() { expect(VARINT); return rawVarint("field " + field); }

    float fixed32Float() { expect(FIXED32); return Float.intBitsToFloat(rawFixed32()); }

    double fixed64Double() { expect(FIXED64); return Double.longBitsToDouble(rawFixed64()); }

    String string() { int n = length(); String s = new String(buf, pos, n, StandardCharsets.UTF_8); pos += n; return s; }

    /** The bytes of a length-delimited field (copied). */
    byte[] bytes() { int n = length(); byte[] b = java.util.Arrays.copyOfRange(buf, pos, pos + n); pos += n; return b; }

    /** A reader over the embedded message of a length-delimited field, named {@code name} in errors. */
    ProtoReader message(String name) {
        int n = length();
        ProtoReader r = new ProtoReader(buf, pos, pos + n, path + "." + name);
        pos += n;
        return r;
    }

    /** Appends a repeated int64/int32 field, packed or not, to {@code out}. */
    void varints(LongList out) {
        if (wire == LEN) {
            int n = length(), stop = pos + n;
            while (pos < stop) out.add(rawVarintUntil(stop));
        } else out.add(varint());
    }

    /** Appends a repeated float field, packed or not. */
    void floats(FloatList out) {
        if (wire == LEN) {
            int n = length();
            if (n % 4 != 0) throw fail("packed floats in field " + field + " have " + n + " bytes, not a multiple of 4");
            for (int i = 0; i < n; i += 4) out.add(Float.intBitsToFloat(rawFixed32()));
        } else out.add(fixed32Float());
    }

    /** Appends a repeated double field, packed or not. */
    void doubles(FloatList out) {
        if (wire == LEN) {
            int n = length();
            if (n % 8 != 0) throw fail("packed doubles in field " + field + " have " + n + " bytes, not a multiple of 8");
            for (int i = 0; i < n; i += 8) out.add((float) Double.longBitsToDouble(rawFixed64()));
        } else out.add((float) fixed64Double());
    }

    void skip() {
        switch (wire) {
            case VARINT -> rawVarint("field " + field);
            case FIXED64 -> { need(8); pos += 8; }
            case FIXED32 -> { need(4); pos += 4; }
            default -> { int n = length(); pos += n; }
        }
    }

    ModelFormatException fail(String msg) { return new ModelFormatException("onnx " + path + ": " + msg); }

    private void expect(int w) {
        if (wire != w) throw fail("field " + field + " has wire type " + wire + ", expected " + w);
    }

    private int length() {
        expect(LEN);
        long n = rawVarint("length of field " + field);
        if (n < 0 || n > end - pos)
            throw fail("field " + field + " claims " + n + " bytes but only " + (end - pos) + " remain (truncated or corrupt)");
        return (int) n;
    }

    private void need(int n) {
        if (n > end - pos) throw fail("field " + field + " needs " + n + " bytes but only " + (end - pos) + " remain (truncated)");
    }

    private int rawFixed32() {
        need(4);
        int v = (buf[pos] & 0xff) | (buf[pos + 1] & 0xff) << 8 | (buf[pos + 2] & 0xff) << 16 | (buf[pos + 3] & 0xff) << 24;
        pos += 4;
        return v;
    }

    private long rawFixed64() {
        long lo = rawFixed32() & 0xffffffffL;
        long hi = rawFixed32() & 0xffffffffL;
        return lo | hi << 32;
    }

    private long rawVarint(String what) { return rawVarintUntil(end, what); }

    private long rawVarintUntil(int stop) { return rawVarintUntil(stop, "packed varint in field " + field); }

    private long rawVarintUntil(int stop, String what) {
        long v = 0;
        for (int shift = 0; shift < 70; shift += 7) {
            if (pos >= stop) throw fail(what + " is truncated");
            int b = buf[pos++];
            v |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) return v;
        }
        throw fail(what + " is a malformed varint (more than 10 bytes)");
    }

    /** A growable long array (no boxing). */
    static final class LongList {
        private long[] a = new long[8];
        private int n;
        void add(long v) { if (n == a.length) a = java.util.Arrays.copyOf(a, n * 2); a[n++] = v; }
        int size() { return n; }
        long[] toArray() { return java.util.Arrays.copyOf(a, n); }
    }

    /** A growable float array (no boxing). */
    static final class FloatList {
        private float[] a = new float[8];
        private int n;
        void add(float v) { if (n == a.length) a = java.util.Arrays.copyOf(a, n * 2); a[n++] = v; }
        int size() { return n; }
        float[] toArray() { return java.util.Arrays.copyOf(a, n); }
    }
}
