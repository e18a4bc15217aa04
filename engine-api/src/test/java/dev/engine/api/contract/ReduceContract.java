package dev.engine.api.contract;

import static dev.engine.api.contract.BackendContract.test;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.engine.api.Backend;
import dev.engine.api.Buffer;
import dev.engine.api.BufferView;
import dev.engine.api.DType;
import dev.engine.api.Layout;
import dev.engine.api.ReduceOp;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;

/** Reductions over any set of axes of strided views, including every axis and arg-reductions. */
final class ReduceContract {
    private ReduceContract() {}

    /** The reference: each output (kept axes, row-major) folds its elements in row-major order of the reduced axes. */
    static double[] reference(ReduceOp op, double[] values, long[] shape, int[] axes) {
        boolean[] red = new boolean[shape.length];
        for (int a : axes) red[a < 0 ? a + shape.length : a] = true;
        int outN = 1, inner = 1;
        for (int d = 0; d < shape.length; d++) if (red[d]) inner *= shape[d]; else outN *= shape[d];
        double[][] groups = new double[outN][inner];
        int[] fill = new int[outN];
        long[] idx = new long[shape.length];
        for (double v : values) {
            int o = 0;
            for (int d = 0; d < shape.length; d++) if (!red[d]) o = (int) (o * shape[d] + idx[d]);
            groups[o][fill[o]++] = v;
            for (int d = shape.length - 1; d >= 0; d--) { if (++idx[d] < shape[d]) break; idx[d] = 0; }
        }
        double[] out = new double[outN];
        for (int o = 0; o < outN; o++) {
            double[] g = groups[o];
            out[o] = switch (op) {
                case SUM -> Arrays.stream(g).sum();
                case MEAN -> Arrays.stream(g).sum() / g.length;
                case SUM_SQUARES -> Arrays.stream(g).map(v -> v * v).sum();
                case MAX -> Arrays.stream(g).max().orElseThrow();
                case MIN -> Arrays.stream(g).min().orElseThrow();
                case ARGMAX, ARGMIN -> {
                    int best = 0;
                    for (int i = 1; i < g.length; i++) if (op == ReduceOp.ARGMAX ? g[i] > g[best] : g[i] < g[best]) best = i;
                    yield best;
                }
            };
        }
        return out;
    }

    private static void check(Fx f, ReduceOp op, Layout l, int bufLen, int... axes) {
        for (DType dt : Fx.FLOATS) {
            double[] data = f.random(dt, bufLen);
            double[] want = reference(op, Ref.gather(data, l), l.shape(), axes);
            Buffer out = f.alloc(op.producesIndices() ? DType.I64 : dt, Math.max(1, want.length));
            f.be.reduce(op, new BufferView(f.buf(dt, data), l), axes, out);
            double[] got = Arrays.copyOf(f.read(out), want.length);
            if (op.producesIndices()) assertArrayEquals(want, got, 0, op + " " + l + " axes " + Arrays.toString(axes));
            else Fx.close(want, got, dt, 8, op + " " + dt + " " + l + " axes " + Arrays.toString(axes));
        }
    }

    static List<DynamicTest> tests(Backend be) {
        Layout cube = Layout.contiguous(3, 4, 5);
        Layout permuted = Layout.contiguous(3, 4, 5).permute(2, 0, 1);
        return List.of(
                test(be, "every op over the last axis, a middle axis and two axes", f -> {
                    for (ReduceOp op : new ReduceOp[]{ReduceOp.SUM, ReduceOp.MEAN, ReduceOp.MAX, ReduceOp.MIN, ReduceOp.SUM_SQUARES}) {
                        check(f, op, cube, 60, 2);
                        check(f, op, cube, 60, 1);
                        check(f, op, cube, 60, 0, 2);
                    }
                }),
                test(be, "permuted and sliced views, negative axes", f -> {
                    check(f, ReduceOp.SUM, permuted, 60, -1);
                    check(f, ReduceOp.MAX, permuted, 60, 0, 1);
                    check(f, ReduceOp.MEAN, Layout.contiguous(6, 8).slice(1, 1, 8, 3).narrow(0, 1, 5), 48, 0);
                }),
                test(be, "every axis into one value, and a broadcast input", f -> {
                    check(f, ReduceOp.SUM, cube, 60, 0, 1, 2);
                    check(f, ReduceOp.SUM, Layout.contiguous(1, 4).broadcastTo(new long[]{3, 4}), 4, 0);
                    check(f, ReduceOp.MIN, Layout.contiguous(1), 1, 0);
                }),
                test(be, "argmax and argmin along one axis", f -> {
                    check(f, ReduceOp.ARGMAX, cube, 60, 1);
                    check(f, ReduceOp.ARGMIN, permuted, 60, 2);
                    check(f, ReduceOp.ARGMAX, Layout.contiguous(7), 7, 0);
                }),
                test(be, "no axes copies; empty kept axes write nothing", f -> {
                    check(f, ReduceOp.SUM, Layout.contiguous(2, 3), 6);
                    Buffer out = f.buf(DType.F32, 4);
                    f.be.reduce(ReduceOp.SUM, BufferView.of(f.buf(DType.F32, 1), 0, 3), new int[]{1}, out);
                    assertArrayEquals(new double[]{4}, f.read(out), 0);
                }),
                test(be, "a sum over an empty axis is 0", f -> {
                    Buffer out = f.alloc(DType.F64, 2);
                    f.be.reduce(ReduceOp.SUM, BufferView.of(f.buf(DType.F64, 1), 2, 0), new int[]{1}, out);
                    assertArrayEquals(new double[]{0, 0}, f.read(out), 0);
                }));
    }
}
