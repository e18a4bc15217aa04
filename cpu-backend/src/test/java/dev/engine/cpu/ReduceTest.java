package dev.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.engine.api.Buffer;
import dev.engine.api.DType;
import dev.engine.api.Layout;
import dev.engine.api.ReduceOp;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every {@link ReduceOp} over one, several and all axes, on contiguous, transposed, sliced and broadcast
 * inputs, against a naive loop. Tolerance |a-e| <= tol*(1+|e|): F32 1e-5 (the kernel accumulates in
 * double, then rounds), F64 1e-12. ARGMAX/ARGMIN exact, first index on ties.
 */
class ReduceTest extends CpuTestBase {
    static double[] reference(ReduceOp op, double[] data, Layout l, int[] axes) {
        int rank = l.rank();
        boolean[] red = new boolean[rank];
        for (int a : axes) red[a < 0 ? a + rank : a] = true;
        List<Integer> kept = new ArrayList<>(), reduced = new ArrayList<>();
        for (int d = 0; d < rank; d++) (red[d] ? reduced : kept).add(d);
        long[] ks = kept.stream().mapToLong(l::shape).toArray(), rs = reduced.stream().mapToLong(l::shape).toArray();
        long outer = 1, inner = 1;
        for (long s : ks) outer *= s;
        for (long s : rs) inner *= s;
        double[] out = new double[(int) outer];
        for (int o = 0; o < outer; o++) {
            long[] ko = unravel(o, ks);
            double acc = switch (op) { case MAX, ARGMAX -> Double.NEGATIVE_INFINITY; case MIN, ARGMIN -> Double.POSITIVE_INFINITY; default -> 0; };
            long best = -1;
            for (int r = 0; r < inner; r++) {
                long[] ro = unravel(r, rs);
                long[] idx = new long[rank];
                for (int i = 0; i < ko.length; i++) idx[kept.get(i)] = ko[i];
                for (int i = 0; i < ro.length; i++) idx[reduced.get(i)] = ro[i];
                double v = data[(int) position(l, idx)];
                switch (op) {
                    case SUM, MEAN -> acc += v;
                    case SUM_SQUARES -> acc += v * v;
                    case MAX, ARGMAX -> { if (best < 0 || v > acc) { acc = v; best = r; } }
                    case MIN, ARGMIN -> { if (best < 0 || v < acc) { acc = v; best = r; } }
                }
            }
            if (op == ReduceOp.MEAN) acc /= inner;
            if ((op == ReduceOp.MAX || op == ReduceOp.MIN) && inner == 0) acc = Double.NaN;
            if (op == ReduceOp.MEAN && inner == 0) acc = Double.NaN;
            out[o] = op.producesIndices() ? best : acc;
        }
        return out;
    }

    void check(ReduceOp op, DType dt, Layout l, int len, int[] axes, boolean ties) {
        double[] data = new double[len];
        for (int i = 0; i < len; i++) data[i] = ties ? rnd.nextInt(3) : rnd.nextGaussian();
        data = rounded(dt, data);
        Buffer x = buf(dt, data);
        double[] expected = reference(op, data, l, axes);
        Buffer out = alloc(op.producesIndices() ? DType.I64 : dt, expected.length + 1);
        BE.reduce(op, view(x, l), axes, out);
        double[] got = java.util.Arrays.copyOf(read(out), expected.length);
        String what = op + " " + dt + " " + l + " axes " + java.util.Arrays.toString(axes);
        if (op.producesIndices()) assertArrayEquals(expected, got, 0, what);
        else assertClose(expected, got, tol(dt, 1e-5, 1e-12), what);
    }

    @Test
    void everyOpOverAxes() {
        Layout base = Layout.contiguous(4, 5, 6);
        Object[][] layouts = {
                {base, 120},
                {base.permute(2, 0, 1), 120},
                {base.narrow(1, 1, 3).slice(2, 1, 6, 2), 120},
                {Layout.contiguous(5, 1).broadcastTo(new long[]{3, 5, 4}), 5},
                {Layout.contiguous(1, 7, 1), 7},
                {Layout.contiguous(3, 0, 2), 0},
                {Layout.contiguous(33, 1025).transpose(0, 1), 33 * 1025},
        };
        for (ReduceOp op : ReduceOp.values())
            for (DType dt : FLOATS)
                for (Object[] lc : layouts) {
                    Layout l = (Layout) lc[0];
                    int len = (Integer) lc[1];
                    int rank = l.rank();
                    List<int[]> axesSets = new ArrayList<>();
                    for (int a = 0; a < rank; a++) axesSets.add(new int[]{a});
                    axesSets.add(new int[]{-1});
                    if (!op.producesIndices()) {
                        axesSets.add(new int[]{0, rank - 1});
                        axesSets.add(new int[]{rank - 1, 0});
                        int[] all = new int[rank];
                        for (int a = 0; a < rank; a++) all[a] = a;
                        axesSets.add(all);
                        axesSets.add(new int[0]);
                    }
                    for (int[] axes : axesSets) {
                        boolean emptyReduced = false;
                        for (int a : axes) if (l.shape(a < 0 ? a + rank : a) == 0) emptyReduced = true;
                        boolean emptyOut = false;
                        for (int d = 0; d < rank; d++) {
                            boolean isRed = false;
                            for (int a : axes) if ((a < 0 ? a + rank : a) == d) isRed = true;
                            if (!isRed && l.shape(d) == 0) emptyOut = true;
                        }
                        if (op.producesIndices() && emptyReduced && !emptyOut) continue; // an error, tested in BadInputTest
                        check(op, dt, l, len, axes, false);
                        check(op, dt, l, len, axes, true);
                    }
                }
    }

    @Test
    void argmaxTiesPickTheFirstIndex() {
        for (DType dt : FLOATS) {
            Buffer x = buf(dt, new double[]{1, 3, 3, 0, 2, 2, 2, 2, -1, -5, -5, -1});
            Buffer out = alloc(DType.I64, 3);
            BE.reduce(ReduceOp.ARGMAX, view(x, Layout.contiguous(3, 4)), new int[]{1}, out);
            assertArrayEquals(new long[]{1, 0, 0}, readLongs(out, 3));
            BE.reduce(ReduceOp.ARGMIN, view(x, Layout.contiguous(3, 4)), new int[]{1}, out);
            assertArrayEquals(new long[]{3, 0, 1}, readLongs(out, 3));
            Buffer col = alloc(DType.I64, 4);
            BE.reduce(ReduceOp.ARGMAX, view(x, Layout.contiguous(3, 4)), new int[]{0}, col);
            assertArrayEquals(new long[]{1, 0, 0, 1}, readLongs(col, 4));
        }
    }

    @Test
    void maxPropagatesNaN() {
        for (DType dt : FLOATS) {
            Buffer x = buf(dt, new double[]{1, Double.NaN, 5, 7, 2, 3});
            Buffer out = alloc(dt, 2);
            BE.reduce(ReduceOp.MAX, view(x, Layout.contiguous(2, 3)), new int[]{1}, out);
            double[] r = read(out);
            assertEquals(Double.NaN, r[0]);
            assertEquals(7, r[1]);
            Buffer idx = alloc(DType.I64, 2);
            BE.reduce(ReduceOp.ARGMAX, view(x, Layout.contiguous(2, 3)), new int[]{1}, idx);
            assertArrayEquals(new long[]{1, 0}, readLongs(idx, 2));
        }
    }

    @Test
    void randomShapesLayoutsAndAxes() {
        java.util.Random r = new java.util.Random(7);
        for (int it = 0; it < 150; it++) {
            int rank = 1 + r.nextInt(4);
            long[] shape = new long[rank];
            for (int d = 0; d < rank; d++) shape[d] = r.nextInt(6);
            Layout base = Layout.contiguous(shape);
            int len = (int) Math.max(1, base.numel());
            Layout l = base;
            if (rank > 1 && r.nextBoolean()) l = l.transpose(0, rank - 1);
            int d0 = r.nextInt(rank);
            if (l.shape(d0) > 1 && r.nextBoolean()) l = l.slice(d0, 1, l.shape(d0), 2);
            ReduceOp op = ReduceOp.values()[r.nextInt(ReduceOp.values().length)];
            int[] axes;
            if (op.producesIndices()) {
                int a = r.nextInt(rank);
                if (l.shape(a) == 0) continue;
                axes = new int[]{a};
            } else {
                java.util.List<Integer> pick = new java.util.ArrayList<>();
                for (int d = 0; d < rank; d++) if (r.nextBoolean()) pick.add(r.nextBoolean() ? d : d - rank);
                java.util.Collections.shuffle(pick, r);
                axes = pick.stream().mapToInt(Integer::intValue).toArray();
            }
            check(op, FLOATS[r.nextInt(2)], l, len, axes, r.nextBoolean());
        }
    }
}
