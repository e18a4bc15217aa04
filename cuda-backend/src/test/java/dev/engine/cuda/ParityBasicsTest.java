package dev.engine.cuda;

import static dev.engine.cuda.Parity.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.engine.api.Backend;
import dev.engine.api.BufferView;
import dev.engine.api.DType;
import dev.engine.api.ElementwiseOp;
import dev.engine.api.ElementwiseProgram;
import dev.engine.api.IndexOutOfRangeException;
import dev.engine.api.Layout;
import dev.engine.api.ReduceOp;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Copy/cast, the elementwise program, reductions, gather/scatter and dropout: CUDA against the CPU. */
class ParityBasicsTest {
    private static final long[] SIZES = {0, 1, 7, 1000};

    @Test
    void contiguousAndStridedCopiesWithCasts() {
        DType[] all = {DType.F32, DType.F64, DType.I32, DType.I64};
        for (DType from : all) for (DType to : all) {
            for (long n : SIZES) {
                try (Twin src = random(from, n, n); Twin dst = out(to, n)) {
                    for (Backend be : both()) be.copy(src.view(be, n), dst.view(be, n));
                    assertExact("copy " + from + "->" + to + " n=" + n, dst);
                }
            }
            // transpose of a 5x7 matrix into a contiguous 7x5
            try (Twin src = random(from, 35, 3); Twin dst = out(to, 35)) {
                for (Backend be : both()) be.copy(src.view(be, Layout.contiguous(5, 7).transpose(0, 1)), dst.view(be, 7, 5));
                assertExact("transposed copy " + from + "->" + to, dst);
            }
        }
        // a stepped slice and a broadcast (stride 0) source, written into a slice of a bigger buffer
        try (Twin src = random(DType.F32, 60, 4); Twin dst = out(DType.F32, 100)) {
            Layout s = Layout.contiguous(6, 10).slice(1, 1, 10, 3).narrow(0, 1, 4);        // 4 x 3
            Layout d = Layout.contiguous(10, 10).narrow(0, 2, 4).narrow(1, 5, 3);          // 4 x 3 inside 10 x 10
            Layout b = Layout.contiguous(1, 3).broadcastTo(new long[]{4, 3});
            for (Backend be : both()) be.copy(src.view(be, s), dst.view(be, d));
            assertExact("sliced copy", dst);
            for (Backend be : both()) be.copy(src.view(be, b), dst.view(be, d));
            assertExact("broadcast copy", dst);
        }
    }

    private static final Set<ElementwiseOp> POSITIVE_ONLY = Set.of(ElementwiseOp.LOG, ElementwiseOp.SQRT, ElementwiseOp.RSQRT,
            ElementwiseOp.POW_SCALAR, ElementwiseOp.POW);

    @Test
    void everyElementwiseOpWithStridedAndBroadcastOperands() {
        for (DType dt : FLOATS) {
            for (ElementwiseOp op : ElementwiseOp.values()) {
                long[] shape = {3, 5, 7};
                int n = 105;
                try (Twin a = POSITIVE_ONLY.contains(op) ? positive(dt, n, 1) : random(dt, n, 1);
                     Twin b = POSITIVE_ONLY.contains(op) ? positive(dt, 5, 2) : random(dt, 5, 2);
                     Twin c = random(dt, n, 3); Twin o = out(dt, n)) {
                    // a: a transposed view; b: [5] broadcast over dims 0 and 2; c: contiguous
                    Layout la = Layout.contiguous(7, 5, 3).permute(2, 1, 0);
                    Layout lb = new Layout(shape, new long[]{0, 1, 0}, 0);
                    ElementwiseProgram p = ElementwiseProgram.single(op, 0.3);
                    for (Backend be : both()) {
                        BufferView[] in = switch (op.arity()) {
                            case 0 -> new BufferView[0];
                            case 1 -> new BufferView[]{a.view(be, la)};
                            case 2 -> new BufferView[]{a.view(be, la), b.view(be, lb)};
                            default -> new BufferView[]{a.view(be, la), b.view(be, lb), c.view(be, shape)};
                        };
                        be.elementwise(p, in, o.view(be, shape));
                    }
                    assertClose(op + " " + dt, o);
                }
            }
        }
    }

    @Test
    void fusedProgramEmptyAndStridedOutput() {
        for (DType dt : FLOATS) {
            var pb = ElementwiseProgram.builder(2);
            int t = pb.op(ElementwiseOp.MUL, 0, 1);
            int u = pb.opImm(ElementwiseOp.ADD_SCALAR, 0.5, t);
            int v = pb.op(ElementwiseOp.GELU, u);
            int w = pb.op(ElementwiseOp.WHERE, 0, v, 1);
            ElementwiseProgram p = pb.build(pb.op(ElementwiseOp.TANH, w));
            for (long rows : new long[]{0, 1, 9}) {
                try (Twin a = random(dt, rows * 13, 5); Twin b = random(dt, 13, 6); Twin o = out(dt, rows * 26)) {
                    Layout lo = Layout.contiguous(rows, 26).slice(1, 0, 26, 2);   // every other column
                    Layout lb = Layout.contiguous(13).broadcastTo(new long[]{rows, 13});
                    for (Backend be : both())
                        be.elementwise(p, new BufferView[]{a.view(be, rows, 13), b.view(be, lb)}, o.view(be, lo));
                    assertClose("fused program rows=" + rows + " " + dt, o);
                }
            }
        }
    }

    @Test
    void reductionsOverAxesAndViews() {
        int[][] axesSets = {{0}, {1}, {2}, {0, 2}, {0, 1, 2}, {}};
        for (DType dt : FLOATS) {
            for (boolean ties : new boolean[]{false, true}) {
                double[] v = new double[4 * 5 * 6];
                java.util.Random r = new java.util.Random(9);
                for (int i = 0; i < v.length; i++) v[i] = ties ? r.nextInt(3) : r.nextDouble() * 4 - 2;
                try (Twin x = of(dt, v)) {
                    for (Layout l : new Layout[]{Layout.contiguous(4, 5, 6), Layout.contiguous(6, 5, 4).permute(2, 1, 0)}) {
                        for (ReduceOp op : ReduceOp.values()) {
                            for (int[] axes : axesSets) {
                                if (op.producesIndices() && axes.length != 1) continue;
                                long outN = 1;
                                for (int d = 0; d < 3; d++) {
                                    final int dd = d;
                                    if (java.util.Arrays.stream(axes).noneMatch(a -> a == dd)) outN *= l.shape(d);
                                }
                                try (Twin o = out(op.producesIndices() ? DType.I64 : dt, outN)) {
                                    for (Backend be : both()) be.reduce(op, x.view(be, l), axes, o.on(be));
                                    String what = op + " axes=" + java.util.Arrays.toString(axes) + " " + l + " ties=" + ties;
                                    if (op.producesIndices()) assertExact(what, o); else assertClose(what, o);
                                }
                            }
                        }
                    }
                }
            }
            // reducing an empty axis: sums are 0, mean/max are NaN on both
            try (Twin x = out(dt, 1); Twin o = out(dt, 3)) {
                for (ReduceOp op : new ReduceOp[]{ReduceOp.SUM, ReduceOp.MEAN, ReduceOp.MAX}) {
                    for (Backend be : both()) be.reduce(op, x.view(be, new Layout(new long[]{3, 0}, new long[]{0, 1}, 0)), new int[]{1}, o.on(be));
                    assertClose("empty " + op, o);
                }
            }
        }
    }

    @Test
    void gatherAndScatterAddRows() {
        for (DType dt : new DType[]{DType.F32, DType.F64, DType.I64}) {
            try (Twin src = random(dt, 70, 1); Twin idx = of(DType.I64, 3, 0, 9, 3, 3); Twin dst = out(dt, 35)) {
                for (Backend be : both()) be.gatherRows(src.on(be), 10, 7, idx.on(be), 5, dst.on(be));
                assertExact("gather " + dt, dst);
            }
        }
        for (DType dt : FLOATS) {
            try (Twin src = random(dt, 35, 2); Twin idx = of(DType.I64, 3, 0, 9, 3, 3); Twin dst = random(dt, 70, 3)) {
                for (Backend be : both()) be.scatterAddRows(src.on(be), idx.on(be), 5, 7, dst.on(be), 10);
                assertClose("scatterAdd " + dt, dst);
            }
            try (Twin src = random(dt, 14, 2); Twin idx = of(DType.I64, 1, 10); Twin dst = random(dt, 70, 3)) {
                for (Backend be : both()) {
                    var e = assertThrows(IndexOutOfRangeException.class, () -> be.scatterAddRows(src.on(be), idx.on(be), 2, 7, dst.on(be), 10));
                    assertTrue(e.getMessage().contains("index 10 at position 1"), e.getMessage());
                    assertThrows(IndexOutOfRangeException.class, () -> be.gatherRows(dst.on(be), 10, 7, idx.on(be), 2, src.on(be)));
                }
                assertClose("scatterAdd left untouched after a bad index", dst);
            }
        }
    }

    @Test
    void dropoutMaskIsBitIdentical() {
        for (DType dt : FLOATS) {
            for (double p : new double[]{0, 0.1, 0.5, 1}) {
                for (long offset : new long[]{0, 3, 1L << 33}) {
                    try (Twin m = out(dt, 1003)) {
                        for (Backend be : both()) be.dropoutMask(0x1234_5678_9abcL, offset, p, m.on(be), 1003);
                        assertExact("dropout p=" + p + " offset=" + offset, m);
                    }
                }
            }
        }
    }
}
