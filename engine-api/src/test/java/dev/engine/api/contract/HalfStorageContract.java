package dev.engine.api.contract;

import static dev.engine.api.contract.BackendContract.test;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.Buffer;
import dev.engine.api.BufferView;
import dev.engine.api.DType;
import dev.engine.api.ElementwiseOp;
import dev.engine.api.ElementwiseProgram;
import dev.engine.api.Layout;
import dev.engine.api.ReduceOp;
import dev.engine.api.Backend;
import java.util.List;
import java.util.function.DoubleBinaryOperator;
import org.junit.jupiter.api.DynamicTest;

/**
 * BF16 / F16 buffers as storage: casting copies round once (nearest even) and widen exactly, strided both ways;
 * elementwise programs and reductions compute in F32 and round the result once.
 */
final class HalfStorageContract {
    private HalfStorageContract() {}

    static final DType[] HALVES = {DType.BF16, DType.F16};

    static double round(DType h, double v) { return h == DType.BF16 ? ScalarRef.roundBf16((float) v) : ScalarRef.roundF16((float) v); }

    /** Values on h's grid, in [-4, 4). */
    static double[] onGrid(Fx f, DType h, int n) {
        double[] v = f.random(DType.F64, n);
        for (int i = 0; i < n; i++) v[i] = round(h, 2 * v[i]);
        return v;
    }

    static void same(double[] want, double[] got, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++)
            if (!(Double.isNaN(want[i]) && Double.isNaN(got[i]))) assertEquals(want[i], got[i], 0, what + "[" + i + "]");
    }

    /** f computed in F32 on h-grid inputs, rounded to h: exact for + and x (one F32 rounding, then one to h). */
    static void binary(Fx f, DType h, ElementwiseOp op, DoubleBinaryOperator ref) {
        int n = 300;
        double[] a = onGrid(f, h, n), b = onGrid(f, h, n);
        Buffer ba = f.buf(h, a), bb = f.buf(h, b), out = f.alloc(h, n);
        f.be.elementwise(ElementwiseProgram.single(op, 0), new BufferView[]{BufferView.of(ba, n), BufferView.of(bb, n)}, BufferView.of(out, n));
        double[] want = new double[n];
        for (int i = 0; i < n; i++) want[i] = round(h, (float) ref.applyAsDouble(a[i], b[i]));
        same(want, f.read(out), op + " on " + h);
    }

    static List<DynamicTest> tests(Backend be) {
        return List.of(
                test(be, "casts round once and widen exactly", f -> {
                    double[] v = {0, -0.0, 1, -2.5, 0.1, 1 + 0x1p-8, 1 + 3 * 0x1p-8, 65504, 65520, 1e-8, 3e-8, 0x1p-14, 1e-40, 3.3e38,
                            Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN, 1e300};
                    for (DType h : HALVES)
                        for (DType wide : Fx.FLOATS) {
                            Buffer src = f.buf(wide, v), half = f.alloc(h, v.length), back = f.alloc(wide, v.length);
                            f.be.copy(BufferView.of(src, v.length), BufferView.of(half, v.length));
                            f.be.copy(BufferView.of(half, v.length), BufferView.of(back, v.length));
                            double[] want = new double[v.length];
                            for (int i = 0; i < v.length; i++) want[i] = round(h, Fx.round(wide, v[i]));
                            same(want, f.read(back), wide + " -> " + h + " -> " + wide);
                        }
                    // BF16 <-> F16: through F32, rounded to the destination
                    Buffer b = f.buf(DType.BF16, v), h = f.alloc(DType.F16, v.length);
                    f.be.copy(BufferView.of(b, v.length), BufferView.of(h, v.length));
                    double[] want = new double[v.length];
                    for (int i = 0; i < v.length; i++) want[i] = round(DType.F16, round(DType.BF16, v[i]));
                    same(want, f.read(h), "BF16 -> F16");
                }),
                test(be, "strided casts both ways", f -> {
                    for (DType h : HALVES) {
                        double[] v = f.random(DType.F32, 12);
                        Buffer src = f.buf(DType.F32, v), half = f.alloc(h, 12), back = f.alloc(DType.F32, 12);
                        Layout t = new Layout(new long[]{4, 3}, new long[]{1, 4}, 0);  // the 3 x 4 matrix read transposed
                        f.be.copy(new BufferView(src, t), BufferView.of(half, 4, 3));
                        f.be.copy(BufferView.of(half, 4, 3), new BufferView(back, t));
                        double[] want = new double[12];
                        for (int i = 0; i < 12; i++) want[i] = round(h, v[i]);
                        same(want, f.read(back), "strided " + h);
                    }
                }),
                test(be, "elementwise programs in F32, rounded once", f -> {
                    for (DType h : HALVES) {
                        binary(f, h, ElementwiseOp.ADD, Double::sum);
                        binary(f, h, ElementwiseOp.MUL, (x, y) -> x * y);
                        // a fused chain: relu(a * b + 1.5) over a broadcast b; within one h ulp of the F32 result (exp is not correctly rounded)
                        int n = 64;
                        double[] a = onGrid(f, h, n), b = onGrid(f, h, 8);
                        Buffer ba = f.buf(h, a), bb = f.buf(h, b), out = f.alloc(h, n);
                        ElementwiseProgram.Builder pb = ElementwiseProgram.builder(2);
                        int r = pb.op(ElementwiseOp.RELU, pb.opImm(ElementwiseOp.ADD_SCALAR, 1.5, pb.op(ElementwiseOp.MUL, 0, 1)));
                        Layout rows = new Layout(new long[]{8, 8}, new long[]{0, 1}, 0);
                        f.be.elementwise(pb.build(r), new BufferView[]{BufferView.of(ba, 8, 8), new BufferView(bb, rows)}, BufferView.of(out, 8, 8));
                        double[] got = f.read(out);
                        for (int i = 0; i < n; i++) {
                            double want = round(h, Math.max(0, (float) ((float) (a[i] * b[i % 8]) + 1.5)));
                            assertEquals(want, got[i], Math.abs(want) * 0x1p-7, "fused chain on " + h + " [" + i + "]");
                        }
                        Buffer c = f.alloc(h, 5);
                        f.be.elementwise(ElementwiseProgram.single(ElementwiseOp.CONST, 0.1), new BufferView[0], BufferView.of(c, 5));
                        same(new double[]{round(h, 0.1), round(h, 0.1), round(h, 0.1), round(h, 0.1), round(h, 0.1)}, f.read(c), "fill " + h);
                    }
                }),
                test(be, "reductions in F32, rounded once; arg ops give indices", f -> {
                    for (DType h : HALVES) {
                        double[] v = onGrid(f, h, 6 * 50);
                        Buffer x = f.buf(h, v), sum = f.alloc(h, 6), max = f.alloc(h, 6), arg = f.alloc(DType.I64, 6);
                        f.be.reduce(ReduceOp.SUM, BufferView.of(x, 6, 50), new int[]{1}, sum);
                        f.be.reduce(ReduceOp.MAX, BufferView.of(x, 6, 50), new int[]{1}, max);
                        f.be.reduce(ReduceOp.ARGMAX, BufferView.of(x, 6, 50), new int[]{1}, arg);
                        double[] s = f.read(sum), m = f.read(max), a = f.read(arg);
                        for (int row = 0; row < 6; row++) {
                            double exact = 0, best = Double.NEGATIVE_INFINITY;
                            int at = -1;
                            for (int j = 0; j < 50; j++) {
                                double e = v[row * 50 + j];
                                exact += e;
                                if (e > best) { best = e; at = j; }
                            }
                            double want = round(h, exact);
                            assertTrue(Math.abs(s[row] - want) <= Math.abs(want) * 0x1p-7 + 1e-6, h + " sum row " + row + ": " + s[row] + " vs " + want);
                            assertEquals(best, m[row], 0, h + " max row " + row);
                            assertEquals(at, a[row], 0, h + " argmax row " + row);
                        }
                    }
                }));
    }
}
