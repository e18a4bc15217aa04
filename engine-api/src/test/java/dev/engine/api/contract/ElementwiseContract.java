package dev.engine.api.contract;

import static dev.engine.api.contract.BackendContract.test;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.Backend;
import dev.engine.api.Buffer;
import dev.engine.api.BufferView;
import dev.engine.api.DType;
import dev.engine.api.ElementwiseOp;
import dev.engine.api.ElementwiseProgram;
import dev.engine.api.Layout;
import java.util.List;
import java.util.function.DoubleBinaryOperator;
import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.DynamicTest;

/** Elementwise programs: single ops, broadcast and strided operands, fused chains, in place, empty. */
final class ElementwiseContract {
    private ElementwiseContract() {}

    private static void unary(Fx f, ElementwiseOp op, double imm, DoubleUnaryOperator ref) {
        for (DType dt : Fx.FLOATS) {
            double[] x = f.random(dt, 37);
            Buffer in = f.buf(dt, x), out = f.alloc(dt, 37);
            f.be.elementwise(ElementwiseProgram.single(op, imm), new BufferView[]{BufferView.of(in, 37)}, BufferView.of(out, 37));
            double[] want = new double[37];
            for (int i = 0; i < 37; i++) want[i] = ref.applyAsDouble(x[i]);
            Fx.close(want, f.read(out), dt, 4, op + " " + dt);
        }
    }

    /** a (viewed through la) op b (through lb) into out (through lo, in a buffer of outLen). */
    private static void binary(Fx f, ElementwiseOp op, DoubleBinaryOperator ref, double[] a, Layout la, double[] b, Layout lb, int outLen, Layout lo) {
        for (DType dt : Fx.FLOATS) {
            double[] ar = a.clone(), br = b.clone();
            for (int i = 0; i < ar.length; i++) ar[i] = Fx.round(dt, ar[i]);
            for (int i = 0; i < br.length; i++) br[i] = Fx.round(dt, br[i]);
            Buffer ba = f.buf(dt, ar), bb = f.buf(dt, br), out = f.alloc(dt, outLen);
            double[] before = f.read(out);
            f.be.elementwise(ElementwiseProgram.single(op, 0), new BufferView[]{new BufferView(ba, la), new BufferView(bb, lb)}, new BufferView(out, lo));
            double[] va = Ref.gather(ar, la), vb = Ref.gather(br, lb), r = new double[va.length];
            for (int i = 0; i < r.length; i++) r[i] = ref.applyAsDouble(va[i], vb[i]);
            Fx.close(Ref.scatter(before, lo, r), f.read(out), dt, op + " " + dt + " " + la + " " + lb + " -> " + lo);
        }
    }

    static List<DynamicTest> tests(Backend be) {
        return List.of(
                test(be, "unary ops", f -> {
                    unary(f, ElementwiseOp.RELU, 0, x -> Math.max(x, 0));
                    unary(f, ElementwiseOp.NEG, 0, x -> -x);
                    unary(f, ElementwiseOp.EXP, 0, Math::exp);
                    unary(f, ElementwiseOp.TANH, 0, Math::tanh);
                    unary(f, ElementwiseOp.SIGMOID, 0, x -> 1 / (1 + Math.exp(-x)));
                    unary(f, ElementwiseOp.ABS, 0, Math::abs);
                    unary(f, ElementwiseOp.SQUARE, 0, x -> x * x);
                    unary(f, ElementwiseOp.LEAKY_RELU, 0.1, x -> x > 0 ? x : 0.1 * x);
                    unary(f, ElementwiseOp.ADD_SCALAR, 0.5, x -> x + 0.5);
                    unary(f, ElementwiseOp.MUL_SCALAR, -3, x -> -3 * x);
                    unary(f, ElementwiseOp.GELU, 0, x -> 0.5 * x * (1 + Ref.erf(x / Math.sqrt(2))));
                }),
                test(be, "rounding to bfloat16 and half: ties, subnormals, overflow, NaN", f -> {
                    float tieDown = 1 + 0x1p-8f, tieUp = 1 + 3 * 0x1p-8f, maxBf16 = Float.intBitsToFloat(0x7f7f0000);
                    float[] v = {0, -0f, 1, -2.5f, 0.1f, tieDown, tieUp, 1 + 0x1p-11f, 1 + 3 * 0x1p-11f, 65504, 65519.99f, 65520, -70000,
                            1e-8f, 3e-8f, 2.98e-8f, 6e-5f, 0x1p-14f, 0x1.ffcp-15f, 1e-40f, 3.3e38f, maxBf16, Float.MAX_VALUE, 1e20f,
                            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};
                    double[] d = new double[v.length];
                    for (int i = 0; i < v.length; i++) d[i] = v[i];
                    for (ElementwiseOp op : new ElementwiseOp[]{ElementwiseOp.ROUND_BF16, ElementwiseOp.ROUND_F16}) {
                        Buffer in = f.buf(DType.F32, d), out = f.alloc(DType.F32, v.length);
                        f.be.elementwise(ElementwiseProgram.single(op, 0), new BufferView[]{BufferView.of(in, v.length)}, BufferView.of(out, v.length));
                        double[] got = f.read(out);
                        for (int i = 0; i < v.length; i++) {
                            double want = op == ElementwiseOp.ROUND_BF16 ? ScalarRef.roundBf16(v[i]) : ScalarRef.roundF16(v[i]);
                            if (Double.isNaN(want)) assertTrue(Double.isNaN(got[i]), op + "(NaN) = " + got[i]);
                            else assertEquals(want, got[i], 0, op + "(" + v[i] + ")");
                        }
                    }
                }),
                test(be, "binary ops with row and column broadcast", f -> {
                    double[] a = f.random(DType.F64, 6), row = f.random(DType.F64, 3), col = {1.5, -0.5};
                    Layout full = Layout.contiguous(2, 3);
                    Layout rowB = Layout.contiguous(1, 3).broadcastTo(new long[]{2, 3}), colB = Layout.contiguous(2, 1).broadcastTo(new long[]{2, 3});
                    binary(f, ElementwiseOp.ADD, Double::sum, a, full, row, rowB, 6, full);
                    binary(f, ElementwiseOp.MUL, (x, y) -> x * y, a, full, col, colB, 6, full);
                    binary(f, ElementwiseOp.SUB, (x, y) -> x - y, row, rowB, a, full, 6, full);
                    binary(f, ElementwiseOp.MAXIMUM, Math::max, a, full, col, colB, 6, full);
                    binary(f, ElementwiseOp.DIV, (x, y) -> x / y, a, full, col, colB, 6, full);
                }),
                test(be, "transposed inputs into a strided output", f -> {
                    double[] a = f.random(DType.F64, 12), b = f.random(DType.F64, 12);
                    Layout at = Layout.contiguous(4, 3).transpose(0, 1), bt = Layout.contiguous(3, 4);
                    Layout out = Layout.contiguous(3, 8).slice(1, 1, 8, 2);   // 3 x 4 with stride 2, offset 1
                    binary(f, ElementwiseOp.ADD, Double::sum, a, at, b, bt, 24, out);
                }),
                test(be, "a fused chain with WHERE and a constant", f -> {
                    ElementwiseProgram.Builder pb = ElementwiseProgram.builder(3);
                    int prod = pb.op(ElementwiseOp.MUL, 0, 1);
                    int shifted = pb.opImm(ElementwiseOp.ADD_SCALAR, 1, prod);
                    int relu = pb.op(ElementwiseOp.RELU, shifted);
                    int two = pb.opImm(ElementwiseOp.CONST, 2);
                    int pick = pb.op(ElementwiseOp.WHERE, 2, relu, two);
                    ElementwiseProgram p = pb.build(pick);
                    for (DType dt : Fx.FLOATS) {
                        double[] a = f.random(dt, 20), b = f.random(dt, 20), c = new double[20];
                        for (int i = 0; i < 20; i++) c[i] = i % 3 == 0 ? 0 : 1;
                        Buffer out = f.alloc(dt, 20);
                        f.be.elementwise(p, new BufferView[]{BufferView.of(f.buf(dt, a), 4, 5), BufferView.of(f.buf(dt, b), 4, 5), BufferView.of(f.buf(dt, c), 4, 5)},
                                BufferView.of(out, 4, 5));
                        double[] want = new double[20];
                        for (int i = 0; i < 20; i++) want[i] = c[i] != 0 ? Math.max(a[i] * b[i] + 1, 0) : 2;
                        Fx.close(want, f.read(out), dt, "fused chain " + dt);
                    }
                }),
                test(be, "in place: the output is an input", f -> {
                    for (DType dt : Fx.FLOATS) {
                        double[] x = f.random(dt, 9);
                        Buffer b = f.buf(dt, x);
                        BufferView v = BufferView.of(b, 3, 3);
                        f.be.elementwise(ElementwiseProgram.single(ElementwiseOp.MUL_SCALAR, 2), new BufferView[]{v}, v);
                        double[] want = new double[9];
                        for (int i = 0; i < 9; i++) want[i] = 2 * x[i];
                        assertArrayEquals(want, f.read(b), 0, "in place " + dt);
                    }
                }),
                test(be, "one element, a scalar broadcast, and empty shapes", f -> {
                    binary(f, ElementwiseOp.SUB, (x, y) -> x - y, new double[]{3}, Layout.contiguous(1), new double[]{5}, Layout.contiguous(1), 1,
                            Layout.contiguous(1));
                    binary(f, ElementwiseOp.ADD, Double::sum, new double[]{1, 2, 3, 4}, Layout.contiguous(2, 2), new double[]{10},
                            Layout.contiguous().broadcastTo(new long[]{2, 2}), 4, Layout.contiguous(2, 2));
                    Buffer in = f.buf(DType.F32, 7), out = f.buf(DType.F32, 8);
                    f.be.elementwise(ElementwiseProgram.single(ElementwiseOp.EXP, 0), new BufferView[]{BufferView.of(in, 0, 1)}, BufferView.of(out, 0, 1));
                    assertArrayEquals(new double[]{8}, f.read(out), 0, "empty elementwise writes nothing");
                }));
    }
}
