package dev.engine.data;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Helpers for the binary form of fitted steps (big-endian, via DataOutput/DataInput). */
final class StateIo {
    private static final int MAX_LEN = 1 << 28;

    private StateIo() {}

    static void writeInts(DataOutput out, int[] a) throws IOException {
        out.writeInt(a.length);
        for (int v : a) out.writeInt(v);
    }

    static int[] readInts(DataInput in) throws IOException {
        int[] a = new int[length(in)];
        for (int i = 0; i < a.length; i++) a[i] = in.readInt();
        return a;
    }

    static void writeFloats(DataOutput out, float[] a) throws IOException {
        out.writeInt(a.length);
        for (float v : a) out.writeFloat(v);
    }

    static float[] readFloats(DataInput in) throws IOException {
        float[] a = new float[length(in)];
        for (int i = 0; i < a.length; i++) a[i] = in.readFloat();
        return a;
    }

    static void writeStrings(DataOutput out, List<String> a) throws IOException {
        out.writeInt(a.size());
        for (String s : a) out.writeUTF(s);
    }

    static List<String> readStrings(DataInput in) throws IOException {
        int n = length(in);
        List<String> a = new ArrayList<>(n);
        for (int i = 0; i < n; i++) a.add(in.readUTF());
        return a;
    }

    static int length(DataInput in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > MAX_LEN) throw new IOException("corrupt length " + n);
        return n;
    }

    static void check(boolean ok, String what) throws IOException {
        if (!ok) throw new IOException(what);
    }

    static void writeCategories(DataOutput out, java.util.Map<Integer, List<String>> cats) throws IOException {
        out.writeInt(cats.size());
        for (java.util.Map.Entry<Integer, List<String>> e : cats.entrySet()) {
            out.writeInt(e.getKey());
            writeStrings(out, e.getValue());
        }
    }

    static java.util.Map<Integer, List<String>> readCategories(DataInput in, int width) throws IOException {
        int n = length(in);
        java.util.Map<Integer, List<String>> cats = new java.util.TreeMap<>();
        for (int i = 0; i < n; i++) {
            int col = in.readInt();
            check(col >= 0 && col < width, "categorical column " + col + " out of range");
            cats.put(col, readStrings(in));
        }
        return cats;
    }
}
