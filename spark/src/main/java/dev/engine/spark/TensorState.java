package dev.engine.spark;

import dev.engine.api.DType;
import dev.engine.api.EngineException;
import dev.engine.autograd.Tensor;
import java.io.Serializable;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A state dict (model parameters and buffers, or optimizer state) in plain Java arrays, so it can be
 * broadcast, returned by a task and summed. Values are held as doubles: F32 weights and integer counters
 * convert exactly, and sums of a few hundred workers' F32 values keep their precision until averaged.
 */
final class TensorState implements Serializable {
    private static final long serialVersionUID = 1L;

    private final String[] names;
    private final DType[] dtypes;
    private final long[][] shapes;
    private final double[][] values;

    private TensorState(String[] names, DType[] dtypes, long[][] shapes, double[][] values) {
        this.names = names; this.dtypes = dtypes; this.shapes = shapes; this.values = values;
    }

    static TensorState of(Map<String, Tensor> state) {
        int n = state.size(), i = 0;
        String[] names = new String[n];
        DType[] dtypes = new DType[n];
        long[][] shapes = new long[n][];
        double[][] values = new double[n][];
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            Tensor t = e.getValue();
            names[i] = e.getKey();
            dtypes[i] = t.dtype();
            shapes[i] = t.shape();
            if (t.dtype() == DType.F64) values[i] = t.toDoubleArray();
            else if (t.dtype().isFloating()) {
                float[] f = t.toFloatArray();
                double[] d = new double[f.length];
                for (int j = 0; j < f.length; j++) d[j] = f[j];
                values[i] = d;
            } else {
                long[] l = t.toLongArray();
                double[] d = new double[l.length];
                for (int j = 0; j < l.length; j++) d[j] = l[j];
                values[i] = d;
            }
            i++;
        }
        return new TensorState(names, dtypes, shapes, values);
    }

    /** New tensors (in the caller's memory scope) with these values, in each entry's own dtype. */
    Map<String, Tensor> tensors() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (int i = 0; i < names.length; i++) {
            Tensor t;
            if (dtypes[i] == DType.F64) t = Tensor.of(values[i], shapes[i]);
            else if (dtypes[i].isFloating()) {
                float[] f = new float[values[i].length];
                for (int j = 0; j < f.length; j++) f[j] = (float) values[i][j];
                t = Tensor.of(f, shapes[i]);
                if (dtypes[i] != DType.F32) t = t.to(dtypes[i]);
            } else {
                long[] l = new long[values[i].length];
                for (int j = 0; j < l.length; j++) l[j] = Math.round(values[i][j]);
                t = Tensor.ofLongs(l, shapes[i]);
                if (dtypes[i] != DType.I64) t = t.to(dtypes[i]);
            }
            out.put(names[i], t);
        }
        return out;
    }

    /** The element-wise sum; both must hold the same entries (the same model, the same optimizer). */
    TensorState plus(TensorState o) {
        if (!Arrays.equals(names, o.names))
            throw new EngineException("spark trainer: workers returned different states " + Arrays.toString(names) + " vs " + Arrays.toString(o.names)
                    + " (does every parameter get a gradient on every worker?)");
        double[][] sum = new double[values.length][];
        for (int i = 0; i < values.length; i++) {
            double[] a = values[i], b = o.values[i];
            double[] s = new double[a.length];
            for (int j = 0; j < a.length; j++) s[j] = a[j] + b[j];
            sum[i] = s;
        }
        return new TensorState(names, dtypes, shapes, sum);
    }

    /** Every value times {@code f}. */
    TensorState times(double f) {
        double[][] out = new double[values.length][];
        for (int i = 0; i < values.length; i++) {
            double[] s = values[i].clone();
            for (int j = 0; j < s.length; j++) s[j] *= f;
            out[i] = s;
        }
        return new TensorState(names, dtypes, shapes, out);
    }

    /** The largest absolute difference to {@code o} over all entries (for tests and diagnostics). */
    double maxAbsDiff(TensorState o) {
        if (!Arrays.equals(names, o.names)) return Double.POSITIVE_INFINITY;
        double m = 0;
        for (int i = 0; i < values.length; i++)
            for (int j = 0; j < values[i].length; j++) m = Math.max(m, Math.abs(values[i][j] - o.values[i][j]));
        return m;
    }
}
