package dev.engine.autograd;

import static dev.engine.api.ElementwiseOp.*;

import dev.engine.api.ElementwiseProgram;
import dev.engine.api.ShapeException;
import dev.engine.api.Shapes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Regression and binary-classification losses as fused elementwise programs: one kernel pass computes
 * every element's loss, one pass its gradient; the reduction is a plain sum/mean on top.
 */
final class PointwiseLossOps {
    private PointwiseLossOps() {}

    enum Kind { MSE, L1, SMOOTH_L1, HUBER, BCE, BCE_WITH_LOGITS }

    /** Registers: x, y, then the optional weight and pos-weight, then (backward) the upstream gradient. */
    private record Regs(int x, int y, int w, int pw, int g, int count) {}

    private static Regs regs(boolean w, boolean pw, boolean backward) {
        int n = 2;
        int wr = w ? n++ : -1, pr = pw ? n++ : -1, gr = backward ? n++ : -1;
        return new Regs(0, 1, wr, pr, gr, n);
    }

    static ElementwiseProgram program(Kind k, double param, boolean w, boolean pw, boolean backward) {
        Regs r = regs(w, pw, backward);
        ElementwiseProgram.Builder b = ElementwiseProgram.builder(r.count);
        int out = switch (k) {
            case MSE -> {
                int d = b.op(SUB, r.x, r.y);
                yield backward ? b.opImm(MUL_SCALAR, 2, d) : b.op(SQUARE, d);
            }
            case L1 -> {
                int d = b.op(SUB, r.x, r.y);
                yield backward ? b.op(SIGN, d) : b.op(ABS, d);
            }
            case SMOOTH_L1, HUBER -> {
                double beta = param;
                int d = b.op(SUB, r.x, r.y);
                int v;
                if (beta <= 0) {
                    v = backward ? b.op(SIGN, d) : b.op(ABS, d);
                } else {
                    int a = b.op(ABS, d);
                    int m = b.op(LT, a, b.opImm(CONST, beta));
                    if (backward) v = b.op(WHERE, m, b.opImm(MUL_SCALAR, 1 / beta, d), b.op(SIGN, d));
                    else v = b.op(WHERE, m, b.opImm(MUL_SCALAR, 0.5 / beta, b.op(SQUARE, d)), b.opImm(ADD_SCALAR, -0.5 * beta, a));
                }
                yield k == Kind.HUBER && beta > 0 ? b.opImm(MUL_SCALAR, beta, v) : v;
            }
            case BCE -> {
                if (backward) {
                    int num = b.op(SUB, r.x, r.y);
                    int den = b.opImm(CLAMP_MIN, 1e-12, b.op(MUL, b.opImm(RSUB_SCALAR, 1, r.x), r.x));
                    yield b.op(DIV, num, den);
                }
                int lp = b.opImm(CLAMP_MIN, -100, b.op(LOG, r.x));
                int l1p = b.opImm(CLAMP_MIN, -100, b.op(LOG, b.opImm(RSUB_SCALAR, 1, r.x)));
                yield b.op(NEG, b.op(ADD, b.op(MUL, r.y, lp), b.op(MUL, b.opImm(RSUB_SCALAR, 1, r.y), l1p)));
            }
            case BCE_WITH_LOGITS -> {
                int oneMinusY = b.opImm(RSUB_SCALAR, 1, r.y);
                // lw = 1 + (pw - 1) * y  (1 without a pos-weight)
                int lw = pw ? b.opImm(ADD_SCALAR, 1, b.op(MUL, b.opImm(ADD_SCALAR, -1, r.pw), r.y)) : -1;
                int negX = b.op(NEG, r.x);
                if (backward) {
                    int s = b.op(SIGMOID, negX);
                    yield b.op(SUB, oneMinusY, lw < 0 ? s : b.op(MUL, lw, s));
                }
                int sp = b.op(SOFTPLUS, negX);
                yield b.op(ADD, b.op(MUL, oneMinusY, r.x), lw < 0 ? sp : b.op(MUL, lw, sp));
            }
        };
        if (w) out = b.op(MUL, out, r.w);
        if (backward) out = b.op(MUL, out, r.g);
        return b.build(out);
    }

    static Tensor loss(Kind k, double param, Tensor input, Tensor target, Tensor weight, Tensor posWeight, Reduction reduction) {
        String name = k.name().toLowerCase();
        ElementwiseOps.checkPair(name, input, target);
        if (!Arrays.equals(input.shape(), target.shape()))
            throw new ShapeException(name + ": input " + Shapes.str(input.shape()) + " and target " + Shapes.str(target.shape()) + " must have the same shape");
        List<Tensor> ins = new ArrayList<>(List.of(input.detach(), target.detach()));
        if (weight != null) {
            ElementwiseOps.checkPair(name, input, weight);
            Shapes.broadcast(name + " weight", input.shape(), weight.shape());
            ins.add(weight.detach());
        }
        if (posWeight != null) {
            ElementwiseOps.checkPair(name, input, posWeight);
            Shapes.broadcast(name + " pos_weight", input.shape(), posWeight.shape());
            ins.add(posWeight.detach());
        }
        ElementwiseProgram fwd = program(k, param, weight != null, posWeight != null, false);
        Tensor[] saved = ins.toArray(new Tensor[0]);
        Tensor per = ElementwiseOps.run(fwd, input.shape(), input.dtype(), saved);
        per = per.recordedBy(new Backward(k, program(k, param, weight != null, posWeight != null, true), input, target, saved));
        return switch (reduction) {
            case NONE -> per;
            case SUM -> per.sum();
            case MEAN -> per.mean();
        };
    }

    private static final class Backward extends Node {
        final Kind kind;
        final ElementwiseProgram program;
        final int count;

        Backward(Kind kind, ElementwiseProgram program, Tensor input, Tensor target, Tensor[] saved) {
            super(input, target);
            this.kind = kind;
            this.program = program;
            this.count = saved.length;
            save(saved);
        }

        @Override public String name() { return kind.name().toLowerCase(); }

        @Override protected Tensor[] backward(Tensor g) {
            Tensor[] in = new Tensor[count + 1];
            for (int i = 0; i < count; i++) in[i] = saved(i);
            in[count] = g;
            Tensor gx = ElementwiseOps.run(program, g.shape(), g.dtype(), in);
            // regression losses are antisymmetric in (input, target); the BCE losses give no target gradient
            boolean regression = kind != Kind.BCE && kind != Kind.BCE_WITH_LOGITS;
            Tensor gt = regression && needsGrad(1) ? gx.neg() : null;
            return new Tensor[]{needsGrad(0) ? gx : null, gt};
        }
    }
}
