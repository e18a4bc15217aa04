package dev.engine.inference.onnx;

import dev.engine.graph.Tracer;
import dev.engine.graph.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An ONNX value whose batch axis is not its first, held as a batch-first graph value {@code v} and, for each of
 * the ONNX value's axes, the axis of {@code v} it is (-1: an inserted axis of size 1). PyTorch's recurrent layers
 * are exported sequence-first (Transpose [1, 0, 2] before an LSTM, [L, 1, N, H] after it): the IR keeps the
 * batch first, so these values live only inside the importer. Transpose, Squeeze, Unsqueeze and Gather of an
 * inserted axis move them around, an LSTM / GRU / RNN reads them, and once the batch is first again they are
 * graph values; anything else refuses them by name.
 *
 * <pre>{@code
 * BatchMoved x = new BatchMoved(v, new int[]{1, 0, 2});   // Transpose(v [N, L, I], perm [1, 0, 2]) = [L, N, I]
 * Object y = x.transpose(new long[]{1, 0, 2}, t);          // back to v
 * }</pre>
 */
record BatchMoved(Value v, int[] axes) {
    /** The ONNX value's shape. */
    long[] shape() {
        long[] s = new long[axes.length];
        for (int i = 0; i < s.length; i++) s[i] = axes[i] < 0 ? 1 : v.dim(axes[i]);
        return s;
    }

    /** Whether ONNX axis i is v's batch axis. */
    boolean isBatch(int i) { return axes[i] == 0; }

    Object transpose(long[] perm, Tracer t) {
        if (perm.length != axes.length) return null;
        int[] a = new int[perm.length];
        for (int i = 0; i < perm.length; i++) a[i] = axes[(int) perm[i]];
        return settle(a, t);
    }

    /** Drops ONNX axes of size 1 (inserted ones, or v's own other than the batch). */
    Object squeeze(boolean[] drop, Tracer t) {
        boolean[] dropV = new boolean[v.rank()];
        List<Integer> keep = new ArrayList<>();
        for (int i = 0; i < axes.length; i++) {
            if (!drop[i]) { keep.add(axes[i]); continue; }
            if (axes[i] == 0 || (axes[i] > 0 && v.dim(axes[i]) != 1)) return null;
            if (axes[i] > 0) dropV[axes[i]] = true;
        }
        Value w = v;
        int[] shift = new int[v.rank()];
        List<Long> rest = new ArrayList<>();
        for (int i = 1, gone = 0; i < v.rank(); i++) {
            if (dropV[i]) { gone++; continue; }
            shift[i] = gone;
            rest.add(v.dim(i));
        }
        if (rest.size() != v.rank() - 1) w = t.reshape(v, rest.stream().mapToLong(Long::longValue).toArray());
        int[] a = keep.stream().mapToInt(x -> x < 0 ? x : x - shift[x]).toArray();
        return settle(a, w, t);
    }

    /** Inserts size-1 axes at the ONNX positions marked in {@code insert} (over the result's rank). */
    Object unsqueeze(boolean[] insert, Tracer t) {
        int[] a = new int[insert.length];
        for (int i = 0, j = 0; i < insert.length; i++) a[i] = insert[i] ? -1 : axes[j++];
        return settle(a, t);
    }

    /** Element j of ONNX axis ax (its size must allow j), that axis dropped. */
    Object pick(int ax, long j, Tracer t) {
        int va = axes[ax];
        if (va == 0) return null;
        Value w = v;
        if (va > 0) {
            long d = v.dim(va);
            if (j < 0) j += d;
            if (j < 0 || j >= d) return null;
            long[] rest = new long[v.rank() - 2];
            for (int i = 1, k = 0; i < v.rank(); i++) if (i != va) rest[k++] = v.dim(i);
            w = t.reshape(t.slice(v, va, j, j + 1, 1), rest);
        } else if (j != 0 && j != -1) return null;
        int[] a = new int[axes.length - 1];
        for (int i = 0, k = 0; i < axes.length; i++) if (i != ax) a[k++] = va > 0 && axes[i] > va ? axes[i] - 1 : axes[i];
        return settle(a, w, t);
    }

    /** Parts of one layout joined along ONNX axis ax (an inserted axis becomes a real one, the last of v). */
    static BatchMoved concat(List<BatchMoved> parts, int ax, Tracer t) {
        int[] a = parts.get(0).axes;
        for (BatchMoved b : parts) if (!Arrays.equals(b.axes, a) || b.v.rank() != parts.get(0).v.rank()) return null;
        if (a[ax] == 0) return null;
        Value[] vs = new Value[parts.size()];
        int at = a[ax];
        int[] na = a.clone();
        if (at < 0) {
            at = parts.get(0).v.rank();
            na[ax] = at;
            for (int i = 0; i < vs.length; i++) {
                Value w = parts.get(i).v;
                long[] s = Arrays.copyOf(Arrays.copyOfRange(w.shape(), 1, w.rank()), w.rank());
                s[w.rank() - 1] = 1;
                vs[i] = t.reshape(w, s);
            }
        } else for (int i = 0; i < vs.length; i++) vs[i] = parts.get(i).v;
        return new BatchMoved(t.concat(at, vs), na);
    }

    /**
     * A graph value when the batch is first again and the other axes only permute v's (inserted axes after it
     * become a reshape); otherwise still a moved value.
     */
    static Object settle(int[] a, Value v, Tracer t) {
        if (a.length == 0 || a[0] != 0) return new BatchMoved(v, a);
        int[] real = Arrays.stream(a).filter(x -> x >= 0).toArray();
        if (real.length != v.rank()) return new BatchMoved(v, a);
        boolean identity = true;
        for (int i = 0; i < real.length; i++) identity &= real[i] == i;
        Value p = identity ? v : t.permute(v, Arrays.stream(real).mapToLong(x -> x).toArray());
        if (real.length == a.length) return p;
        long[] s = new long[a.length - 1];
        for (int i = 1; i < a.length; i++) s[i - 1] = a[i] < 0 ? 1 : v.dim(a[i]);
        return t.reshape(p, s);
    }

    private Object settle(int[] a, Tracer t) { return settle(a, v, t); }

    @Override public String toString() { return "batch-moved " + Arrays.toString(shape()) + " (batch on axis " + batchAxis() + ")"; }

    int batchAxis() {
        for (int i = 0; i < axes.length; i++) if (axes[i] == 0) return i;
        return -1;
    }
}
