package dev.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.engine.api.Buffer;
import dev.engine.api.BufferView;
import dev.engine.api.DType;
import dev.engine.api.ElementwiseOp;
import dev.engine.api.contract.ScalarRef;
import dev.engine.api.ElementwiseProgram;
import dev.engine.api.Layout;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

/**
 * Every {@link ElementwiseOp} and a multi-instruction fused program against naive double references,
 * over contiguous, transposed, sliced, broadcast and strided-output layouts, sizes 0/1/odd/large.
 * Tolerance |a-e| <= tol*(1+|e|): F32 2e-5 (the kernel computes in float), F64 1e-12; the GELU backward
 * ops are checked against central differences of the forward reference (F64 1e-8).
 */
class ElementwiseTest extends CpuTestBase {
    interface Ref { double apply(double[] a, double imm); }

    static double ref(ElementwiseOp op, double[] a, double imm) {
        double x = a.length > 0 ? a[0] : 0, y = a.length > 1 ? a[1] : 0;
        return switch (op) {
            case CONST -> imm;
            case IDENTITY -> x;
            case NEG -> -x;
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);
            case SQRT -> Math.sqrt(x);
            case RSQRT -> 1 / Math.sqrt(x);
            case ABS -> Math.abs(x);
            case SIGN -> Math.signum(x);
            case SQUARE -> x * x;
            case RECIPROCAL -> 1 / x;
            case RELU -> Math.max(x, 0);
            case LEAKY_RELU -> x > 0 ? x : imm * x;
            case GELU -> RefMath.gelu(x);
            case SIGMOID -> RefMath.sigmoid(x);
            case TANH -> Math.tanh(x);
            case SOFTPLUS -> RefMath.softplus(x);
            case ADD_SCALAR -> x + imm;
            case MUL_SCALAR -> x * imm;
            case POW_SCALAR -> Math.pow(x, imm);
            case CLAMP_MIN -> Math.max(x, imm);
            case CLAMP_MAX -> Math.min(x, imm);
            case RSUB_SCALAR -> imm - x;
            case SIN -> Math.sin(x);
            case COS -> Math.cos(x);
            case GELU_TANH -> RefMath.geluTanh(x);
            case ROUND_BF16 -> ScalarRef.roundBf16((float) x);
            case ROUND_F16 -> ScalarRef.roundF16((float) x);
            case RELU6 -> Math.min(Math.max(x, 0), 6);
            case HARDSWISH -> x * Math.min(Math.max(x / 6 + 0.5, 0), 1);
            case SILU -> x * RefMath.sigmoid(x);
            case ADD -> x + y;
            case SUB -> x - y;
            case MUL -> x * y;
            case DIV -> x / y;
            case POW -> Math.pow(x, y);
            case MAXIMUM -> Math.max(x, y);
            case MINIMUM -> Math.min(x, y);
            case EQ -> x == y ? 1 : 0;
            case NE -> x != y ? 1 : 0;
            case LT -> x < y ? 1 : 0;
            case LE -> x <= y ? 1 : 0;
            case GT -> x > y ? 1 : 0;
            case GE -> x >= y ? 1 : 0;
            case RELU_BACKWARD -> x > 0 ? y : 0;
            case LEAKY_RELU_BACKWARD -> x > 0 ? y : imm * y;
            case GELU_BACKWARD -> y * RefMath.derivative(RefMath::gelu, x);
            case SIGMOID_BACKWARD -> y * x * (1 - x);
            case TANH_BACKWARD -> y * (1 - x * x);
            case SOFTPLUS_BACKWARD -> y * RefMath.sigmoid(x);
            case GELU_TANH_BACKWARD -> y * RefMath.derivative(RefMath::geluTanh, x);
            case WHERE -> x != 0 ? a[1] : a[2];
        };
    }

    static final EnumSet<ElementwiseOp> POSITIVE_FIRST = EnumSet.of(ElementwiseOp.LOG, ElementwiseOp.SQRT, ElementwiseOp.RSQRT,
            ElementwiseOp.POW, ElementwiseOp.POW_SCALAR);
    static final EnumSet<ElementwiseOp> COMPARE = EnumSet.of(ElementwiseOp.EQ, ElementwiseOp.NE, ElementwiseOp.LT, ElementwiseOp.LE,
            ElementwiseOp.GT, ElementwiseOp.GE, ElementwiseOp.MAXIMUM, ElementwiseOp.MINIMUM);

    static double immFor(ElementwiseOp op) {
        return switch (op) {
            case CONST -> -2.5;
            case LEAKY_RELU, LEAKY_RELU_BACKWARD -> 0.1;
            case ADD_SCALAR -> 1.75;
            case MUL_SCALAR -> -3;
            case POW_SCALAR -> 2.5;
            case CLAMP_MIN -> -0.25;
            case CLAMP_MAX -> 0.3;
            case RSUB_SCALAR -> 2;
            default -> 0;
        };
    }

    /** Source values for operand {@code j} of {@code op}, in the op's domain. */
    double[] data(ElementwiseOp op, int j, int n) {
        double[] v = uniform(n, -3, 3);
        if (j == 0 && POSITIVE_FIRST.contains(op)) v = uniform(n, 0.1, 3);
        if (j == 1 && op == ElementwiseOp.POW) v = uniform(n, -2, 2);
        if ((j == 1 && op == ElementwiseOp.DIV) || (j == 0 && op == ElementwiseOp.RECIPROCAL))
            for (int i = 0; i < n; i++) v[i] = (rnd.nextBoolean() ? 1 : -1) * (0.25 + rnd.nextDouble());
        if (j == 0 && (op == ElementwiseOp.SIGMOID_BACKWARD || op == ElementwiseOp.TANH_BACKWARD)) v = uniform(n, -1, 1);
        if (j == 0 && op == ElementwiseOp.WHERE) for (int i = 0; i < n; i++) v[i] = rnd.nextInt(3) == 0 ? 0 : rnd.nextInt(5) - 2;
        if (j == 0 && (op == ElementwiseOp.RELU || op == ElementwiseOp.RELU_BACKWARD || op == ElementwiseOp.SIGN || op == ElementwiseOp.ABS))
            for (int i = 0; i < n; i += 5) v[i] = 0;
        if (j == 0 && op == ElementwiseOp.SOFTPLUS) for (int i = 0; i < n; i += 7) v[i] = 25 * v[i];
        if (j == 1 && COMPARE.contains(op)) for (int i = 0; i < n; i += 3) v[i] = Double.NaN; // marker: copy operand 0 here
        return v;
    }

    /** One scenario: the output layout and per-input layouts (all with the output's shape) plus buffer sizes. */
    record Case(String name, Layout out, int outLen, Layout[] ins, int[] inLens) {}

    static Case[] cases(int arity) {
        java.util.List<Case> cs = new java.util.ArrayList<>();
        for (int n : new int[]{0, 1, 7, 1000, 70001}) {
            Layout[] ins = new Layout[arity]; int[] lens = new int[arity];
            for (int j = 0; j < arity; j++) { ins[j] = Layout.contiguous(n); lens[j] = n; }
            cs.add(new Case("contiguous " + n, Layout.contiguous(n), n, ins, lens));
        }
        // 2-D out [5, 7]: input 0 transposed, input 1 a row broadcast, input 2 a strided slice
        Layout[] mixed = new Layout[arity]; int[] mixedLens = new int[arity];
        for (int j = 0; j < arity; j++) {
            switch (j) {
                case 0 -> { mixed[j] = Layout.contiguous(7, 5).transpose(0, 1); mixedLens[j] = 35; }
                case 1 -> { mixed[j] = Layout.contiguous(7).withOffset(3).broadcastTo(new long[]{5, 7}); mixedLens[j] = 10; }
                default -> { mixed[j] = Layout.contiguous(10, 15).slice(0, 1, 10, 2).slice(1, 0, 14, 2); mixedLens[j] = 150; }
            }
        }
        cs.add(new Case("transposed/broadcast/sliced", Layout.contiguous(5, 7), 35, mixed, mixedLens));
        // strided output (a column block of a wider matrix) with inner size > one block, column broadcast input
        Layout[] wide = new Layout[arity]; int[] wideLens = new int[arity];
        for (int j = 0; j < arity; j++) {
            wide[j] = j == 1 ? Layout.contiguous(130, 1).broadcastTo(new long[]{130, 300}) : Layout.contiguous(300, 130).transpose(0, 1);
            wideLens[j] = j == 1 ? 130 : 39000;
        }
        cs.add(new Case("strided out", Layout.contiguous(130, 310).narrow(1, 4, 300), 130 * 310, wide, wideLens));
        // rank 0 and an output whose dims are all broadcast inputs of size 1
        Layout[] r0 = new Layout[arity]; int[] r0Lens = new int[arity];
        for (int j = 0; j < arity; j++) { r0[j] = Layout.contiguous().withOffset(j); r0Lens[j] = j + 1; }
        cs.add(new Case("rank 0", Layout.contiguous(), 1, r0, r0Lens));
        Layout[] r3 = new Layout[arity]; int[] r3Lens = new int[arity];
        for (int j = 0; j < arity; j++) { r3[j] = Layout.contiguous(1, 1, 1).broadcastTo(new long[]{4, 2, 3}); r3Lens[j] = 1; }
        cs.add(new Case("rank 3 all broadcast", Layout.contiguous(2, 3, 4).permute(2, 0, 1), 24, r3, r3Lens));
        // NCHW [3, 4, 5, 6] (the native side merges dims every operand walks as one): input 0 contiguous, input 1
        // a per-channel [1, 4, 1, 1] broadcast, input 2 an NHWC tensor seen as NCHW; the output a channel slice
        long[] nchw = {3, 4, 5, 6};
        Layout[] conv = new Layout[arity]; int[] convLens = new int[arity];
        for (int j = 0; j < arity; j++) {
            switch (j) {
                case 0 -> { conv[j] = Layout.contiguous(nchw); convLens[j] = 360; }
                case 1 -> { conv[j] = Layout.contiguous(1, 4, 1, 1).broadcastTo(nchw); convLens[j] = 4; }
                default -> { conv[j] = Layout.contiguous(3, 5, 6, 4).permute(0, 3, 1, 2); convLens[j] = 360; }
            }
        }
        cs.add(new Case("NCHW channel slice", Layout.contiguous(3, 7, 5, 6).narrow(1, 2, 4), 630, conv, convLens));
        Layout[] ones = new Layout[arity]; int[] onesLens = new int[arity];
        for (int j = 0; j < arity; j++) {
            ones[j] = j == 1 ? Layout.contiguous(1, 1, 7, 1).broadcastTo(new long[]{2, 1, 7, 300}) : Layout.contiguous(2, 1, 7, 300);
            onesLens[j] = j == 1 ? 7 : 4200;
        }
        cs.add(new Case("size-1 dims, long rows", Layout.contiguous(2, 1, 7, 300), 4200, ones, onesLens));
        return cs.toArray(new Case[0]);
    }

    void runProgram(ElementwiseProgram p, Ref ref, DType dt, Case c, java.util.function.IntFunction<double[]> gen) {
        int arity = p.inputs();
        double[][] raw = new double[arity][];
        BufferView[] views = new BufferView[arity];
        for (int j = 0; j < arity; j++) {
            raw[j] = rounded(dt, gen.apply(j * 1000000 + c.inLens()[j]));
        }
        // comparison ops: make some operand-1 elements equal to operand 0's (marked NaN by data())
        long[] shape = c.out().shape();
        int n = (int) c.out().numel();
        if (arity >= 2) {
            for (int i = 0; i < n; i++) {
                long[] idx = unravel(i, shape);
                int p1 = (int) position(c.ins()[1], idx);
                if (Double.isNaN(raw[1][p1])) raw[1][p1] = raw[0][(int) position(c.ins()[0], idx)];
            }
            for (int i = 0; i < raw[1].length; i++) if (Double.isNaN(raw[1][i])) raw[1][i] = 0.5;
        }
        for (int j = 0; j < arity; j++) views[j] = view(buf(dt, raw[j]), c.ins()[j]);
        Buffer out = alloc(dt, c.outLen());
        double[] before = read(out);
        BE.elementwise(p, views, view(out, c.out()));
        double[] expected = before.clone();
        double[] args = new double[arity];
        for (int i = 0; i < n; i++) {
            long[] idx = unravel(i, shape);
            for (int j = 0; j < arity; j++) args[j] = raw[j][(int) position(c.ins()[j], idx)];
            expected[(int) position(c.out(), idx)] = ref.apply(args, 0);
        }
        double tol = tol(dt, 2e-5, 1e-12);
        if (p.toString().contains("GELU_BACKWARD") || p.toString().contains("GELU_TANH_BACKWARD")) tol = tol(dt, 2e-5, 1e-8);
        assertClose(expected, read(out), tol, p + " " + dt + " " + c.name());
    }

    @Test
    void everyOpcodeOnEveryLayout() {
        for (ElementwiseOp op : ElementwiseOp.values()) {
            double imm = immFor(op);
            ElementwiseProgram p = ElementwiseProgram.single(op, imm);
            for (DType dt : FLOATS) {
                for (Case c : cases(op.arity())) {
                    runProgram(p, (a, ignored) -> ref(op, a, imm), dt, c, key -> data(op, key / 1000000, key % 1000000));
                }
            }
        }
    }

    @Test
    void powScalarTwoAndHalf() {
        for (double e : new double[]{2, 3, 0.5, -1}) {
            ElementwiseProgram p = ElementwiseProgram.single(ElementwiseOp.POW_SCALAR, e);
            for (DType dt : FLOATS)
                runProgram(p, (a, i) -> Math.pow(a[0], e), dt, cases(1)[3], key -> uniform(key % 1000000, 0.1, 3));
        }
    }

    @Test
    void fusedProgram() {
        var b = ElementwiseProgram.builder(3);             // r0 = x, r1 = y, r2 = z
        int xy = b.op(ElementwiseOp.MUL, 0, 1);
        int half = b.opImm(ElementwiseOp.CONST, 0.5);
        int s = b.op(ElementwiseOp.ADD, xy, half);
        int t = b.op(ElementwiseOp.TANH, s);
        int cond = b.op(ElementwiseOp.GT, 0, half);
        int w = b.op(ElementwiseOp.WHERE, cond, t, 2);
        int e = b.op(ElementwiseOp.EXP, 2);
        int sum = b.op(ElementwiseOp.SUB, w, e);
        int r = b.opImm(ElementwiseOp.LEAKY_RELU, 0.1, sum);
        ElementwiseProgram p = b.build(r);
        Ref ref = (a, i) -> {
            double tt = Math.tanh(a[0] * a[1] + 0.5);
            double ww = a[0] > 0.5 ? tt : a[2];
            double v = ww - Math.exp(a[2]);
            return v > 0 ? v : 0.1 * v;
        };
        for (DType dt : FLOATS) for (Case c : cases(3)) runProgram(p, ref, dt, c, key -> uniform(key % 1000000, -2, 2));
    }

    @Test
    void programWithoutInstructionsCopiesItsResultRegister() {
        var b = ElementwiseProgram.builder(2);
        ElementwiseProgram p = b.build(1);
        assertEquals(0, p.instructions());
        for (DType dt : FLOATS) for (Case c : cases(2)) runProgram(p, (a, i) -> a[1], dt, c, key -> uniform(key % 1000000, -2, 2));
    }

    @Test
    void constantOnlyProgramFillsTheOutput() {
        var b = ElementwiseProgram.builder(0);
        ElementwiseProgram p = b.build(b.opImm(ElementwiseOp.CONST, 4.25));
        for (DType dt : FLOATS) for (Case c : cases(0)) runProgram(p, (a, i) -> 4.25, dt, c, key -> new double[0]);
    }

    @Test
    void nanPropagatesThroughMaximumAndMinimum() {
        for (DType dt : FLOATS) {
            Buffer a = buf(dt, new double[]{Double.NaN, 1, Double.NaN, -1});
            Buffer bb = buf(dt, new double[]{2, Double.NaN, Double.NaN, -3});
            Buffer out = alloc(dt, 4);
            for (ElementwiseOp op : new ElementwiseOp[]{ElementwiseOp.MAXIMUM, ElementwiseOp.MINIMUM}) {
                BE.elementwise(ElementwiseProgram.single(op, 0), new BufferView[]{BufferView.of(a, 4), BufferView.of(bb, 4)}, BufferView.of(out, 4));
                double[] r = read(out);
                assertEquals(Double.NaN, r[0]);
                assertEquals(Double.NaN, r[1]);
                assertEquals(Double.NaN, r[2]);
                assertEquals(op == ElementwiseOp.MAXIMUM ? -1 : -3, r[3]);
            }
        }
    }

    /** Random shapes (rank 0..4, dims 0..6) with randomly broadcast and permuted operands of random binary/ternary ops. */
    @Test
    void randomShapesWithBroadcastingAndPermutedOperands() {
        java.util.Random r = new java.util.Random(5);
        ElementwiseOp[] ops = {ElementwiseOp.ADD, ElementwiseOp.SUB, ElementwiseOp.MUL, ElementwiseOp.MAXIMUM, ElementwiseOp.LT,
                ElementwiseOp.TANH_BACKWARD, ElementwiseOp.WHERE, ElementwiseOp.SQUARE, ElementwiseOp.SIGMOID};
        for (int it = 0; it < 150; it++) {
            int rank = r.nextInt(5);
            long[] shape = new long[rank];
            for (int d = 0; d < rank; d++) shape[d] = r.nextInt(7);
            ElementwiseOp op = ops[r.nextInt(ops.length)];
            Layout[] ins = new Layout[op.arity()];
            int[] lens = new int[op.arity()];
            for (int j = 0; j < ins.length; j++) {
                long[] own = shape.clone();
                for (int d = 0; d < rank; d++) if (r.nextInt(3) == 0) own[d] = 1;     // broadcast this dim
                int drop = rank == 0 ? 0 : r.nextInt(rank + 1);                       // and maybe leading dims
                long[] small = java.util.Arrays.copyOfRange(own, drop, rank);
                int[] perm = new int[small.length];
                for (int d = 0; d < perm.length; d++) perm[d] = d;
                for (int d = perm.length - 1; d > 0; d--) { int e = r.nextInt(d + 1); int t = perm[d]; perm[d] = perm[e]; perm[e] = t; }
                long[] stored = new long[small.length];
                for (int d = 0; d < perm.length; d++) stored[d] = small[perm[d]];
                int[] inverse = new int[perm.length];
                for (int d = 0; d < perm.length; d++) inverse[perm[d]] = d;
                Layout l = Layout.contiguous(stored).permute(inverse);                // a permuted view of `small`
                ins[j] = l.broadcastTo(shape);
                lens[j] = (int) Math.max(1, Layout.contiguous(stored).numel());
            }
            Layout out = Layout.contiguous(shape);
            double imm = immFor(op);
            runProgram(ElementwiseProgram.single(op, imm), (a, i) -> ref(op, a, imm), FLOATS[r.nextInt(2)],
                    new Case("random " + java.util.Arrays.toString(shape), out, (int) Math.max(1, out.numel()), ins, lens),
                    key -> data(op, key / 1000000, key % 1000000));
        }
    }
}
