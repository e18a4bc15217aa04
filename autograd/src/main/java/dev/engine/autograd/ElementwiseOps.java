package dev.engine.autograd;

import dev.engine.api.BufferView;
import dev.engine.api.DType;
import dev.engine.api.DTypeException;
import dev.engine.api.DeviceException;
import dev.engine.api.ElementwiseOp;
import dev.engine.api.ElementwiseProgram;
import dev.engine.api.Shapes;
import java.util.EnumMap;
import java.util.Map;

/** Elementwise ops with broadcasting, each with its gradient rule. */
final class ElementwiseOps {
    private ElementwiseOps() {}

    private static final Map<ElementwiseOp, ElementwiseProgram> SINGLE = new EnumMap<>(ElementwiseOp.class);

    static {
        for (ElementwiseOp op : ElementwiseOp.values()) if (op.arity() > 0) SINGLE.put(op, ElementwiseProgram.single(op, 0));
    }

    /** Runs a program over inputs broadcast to {@code shape}; returns a new contiguous tensor. */
    static Tensor run(ElementwiseProgram p, long[] shape, DType dt, Tensor... inputs) {
        Tensor out = Tensor.empty(inputs.length > 0 ? inputs[0].backend() : Tensor.defaultBackend(), dt, shape);
        BufferView[] views = new BufferView[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            Tensor in = inputs[i];
            views[i] = new BufferView(in.buffer(), in.layout().broadcastTo(shape));
        }
        out.backend().elementwise(p, views, out.view());
        return out;
    }

    static ElementwiseProgram program(ElementwiseOp op, double imm) {
        return imm == 0 ? SINGLE.get(op) : ElementwiseProgram.single(op, imm);
    }

    static void checkFloating(String op, Tensor t) {
        if (!t.dtype().isFloating()) throw new DTypeException(op + ": expects a floating tensor, got " + t.dtype());
    }

    static void checkPair(String op, Tensor a, Tensor b) {
        a.checkOpen();
        b.checkOpen();
        if (a.backend() != b.backend())
            throw new DeviceException(op + ": operands are on different devices (" + a.device() + " and " + b.device() + ")");
        if (a.dtype() != b.dtype())
            throw new DTypeException(op + ": operands have dtypes " + a.dtype() + " and " + b.dtype() + "; convert one with to(dtype)");
        checkFloating(op, a);
    }

    // ---- unary ------------------------------------------------------------------------------------

    static Tensor unary(ElementwiseOp op, double imm, Tensor x) {
        x.checkOpen();
        checkFloating(op.name().toLowerCase(), x);
        Tensor y = run(program(op, imm), x.shape(), x.dtype(), x);
        return y.recordedBy(new Unary(op, imm, x, y));
    }

    /** Gradient rules of the unary ops, written with tensor ops (run with recording off). */
    private static final class Unary extends Node {
        final ElementwiseOp op;
        final double imm;

        Unary(ElementwiseOp op, double imm, Tensor x, Tensor y) {
            super(x);
            this.op = op;
            this.imm = imm;
            switch (op) {
                case EXP, SQRT, RSQRT, RECIPROCAL, SIGMOID, TANH -> save(y);
                default -> save(x);
            }
        }

        @Override public String name() { return op.name().toLowerCase(); }

        @Override protected Tensor[] backward(Tensor g) {
            Tensor s = saved(0);
            Tensor r = switch (op) {
                case IDENTITY, ADD_SCALAR, ROUND_BF16, ROUND_F16 -> g;  // rounding passes the gradient straight through
                case NEG, RSUB_SCALAR -> g.neg();
                case MUL_SCALAR -> g.mul(imm);
                case EXP -> g.mul(s);
                case LOG -> g.div(s);
                case SQRT -> g.div(s).mul(0.5);
                case RSQRT -> g.mul(s.pow(3)).mul(-0.5);
                case ABS -> g.mul(s.sign());
                case SIGN -> Tensor.zerosLike(g);
                case SQUARE -> g.mul(s).mul(2);
                case RECIPROCAL -> g.mul(s.square()).neg();
                case POW_SCALAR -> g.mul(s.pow(imm - 1)).mul(imm);
                case SIN -> g.mul(s.cos());
                case COS -> g.mul(s.sin()).neg();
                case CLAMP_MIN -> g.mul(s.ge(Tensor.fullLike(s, imm)));
                case CLAMP_MAX -> g.mul(s.le(Tensor.fullLike(s, imm)));
                case RELU -> grad2(ElementwiseOp.RELU_BACKWARD, 0, s, g);
                case LEAKY_RELU -> grad2(ElementwiseOp.LEAKY_RELU_BACKWARD, imm, s, g);
                case GELU -> grad2(ElementwiseOp.GELU_BACKWARD, 0, s, g);
                case GELU_TANH -> grad2(ElementwiseOp.GELU_TANH_BACKWARD, 0, s, g);
                case SIGMOID -> grad2(ElementwiseOp.SIGMOID_BACKWARD, 0, s, g);
                case TANH -> grad2(ElementwiseOp.TANH_BACKWARD, 0, s, g);
                case SOFTPLUS -> grad2(ElementwiseOp.SOFTPLUS_BACKWARD, 0, s, g);
                case RELU6 -> g.mul(s.gt(Tensor.fullLike(s, 0)).mul(s.lt(Tensor.fullLike(s, 6))));
                case SILU -> {  // s(x) (1 + x (1 - s(x)))
                    Tensor sg = s.sigmoid();
                    yield g.mul(sg.mul(s.mul(sg.neg().add(1)).add(1)));
                }
                case HARDSWISH -> {  // x / 3 + 1/2 inside (-3, 3), 1 from 3 on, 0 up to -3 (PyTorch's choice at the ends)
                    Tensor inside = s.gt(Tensor.fullLike(s, -3)).mul(s.lt(Tensor.fullLike(s, 3)));
                    yield g.mul(inside.mul(s.mul(1.0 / 3).add(0.5)).add(s.ge(Tensor.fullLike(s, 3))));
                }
                default -> throw new IllegalStateException("no gradient rule for " + op);
            };
            return new Tensor[]{r};
        }
    }

    /** A fused "(saved, upstream) -> gradient" kernel. */
    static Tensor grad2(ElementwiseOp op, double imm, Tensor saved, Tensor g) {
        return run(program(op, imm), saved.shape(), saved.dtype(), saved, g);
    }

    // ---- binary -----------------------------------------------------------------------------------

    static Tensor binary(ElementwiseOp op, Tensor a, Tensor b) {
        String name = op.name().toLowerCase();
        checkPair(name, a, b);
        long[] shape = Shapes.broadcast(name, a.shape(), b.shape());
        Tensor y = run(program(op, 0), shape, a.dtype(), a, b);
        return y.recordedBy(new Binary(op, a, b, y));
    }

    private static final class Binary extends Node {
        final ElementwiseOp op;

        Binary(ElementwiseOp op, Tensor a, Tensor b, Tensor y) {
            super(a, b);
            this.op = op;
            switch (op) {
                case ADD, SUB -> save();
                case POW -> save(a, b, y);
                default -> save(a, b);
            }
        }

        @Override public String name() { return op.name().toLowerCase(); }

        @Override protected Tensor[] backward(Tensor g) {
            Tensor a = input(0), b = input(1);
            Tensor ga = null, gb = null;
            switch (op) {
                case ADD -> { ga = g; gb = g; }
                case SUB -> { ga = g; gb = needsGrad(1) ? g.neg() : null; }
                case MUL -> {
                    if (needsGrad(0)) ga = g.mul(saved(1));
                    if (needsGrad(1)) gb = g.mul(saved(0));
                }
                case DIV -> {
                    Tensor sb = saved(1);
                    if (needsGrad(0)) ga = g.div(sb);
                    if (needsGrad(1)) gb = g.mul(saved(0)).div(sb.square()).neg();
                }
                case POW -> {
                    Tensor sa = saved(0), sb = saved(1), y = saved(2);
                    if (needsGrad(0)) ga = g.mul(sb).mul(sa.pow(sb.sub(1)));
                    if (needsGrad(1)) gb = g.mul(y).mul(sa.log());
                }
                case MAXIMUM, MINIMUM -> {
                    Tensor sa = saved(0), sb = saved(1);
                    Tensor wins = op == ElementwiseOp.MAXIMUM ? sa.gt(sb) : sa.lt(sb);
                    Tensor share = wins.add(sa.eq(sb).mul(0.5));
                    if (needsGrad(0)) ga = g.mul(share);
                    if (needsGrad(1)) gb = g.mul(share.rsub(1));
                }
                default -> throw new IllegalStateException("no gradient rule for " + op);
            }
            return new Tensor[]{
                    ga == null ? null : ReductionOps.sumToShape(ga, a.shape()),
                    gb == null ? null : ReductionOps.sumToShape(gb, b.shape())};
        }
    }

    static Tensor compare(ElementwiseOp op, Tensor a, Tensor b) {
        String name = op.name().toLowerCase();
        checkPair(name, a, b);
        return run(program(op, 0), Shapes.broadcast(name, a.shape(), b.shape()), a.dtype(), a, b);
    }

    // ---- where ------------------------------------------------------------------------------------

    static Tensor where(Tensor c, Tensor a, Tensor b) {
        checkPair("where", a, b);
        checkPair("where", c, a);
        long[] shape = Shapes.broadcast("where", Shapes.broadcast("where", c.shape(), a.shape()), b.shape());
        Tensor y = run(SINGLE.get(ElementwiseOp.WHERE), shape, a.dtype(), c, a, b);
        return y.recordedBy(new Where(c, a, b));
    }

    private static final class Where extends Node {
        Where(Tensor c, Tensor a, Tensor b) {
            super(null, a, b);
            save(c);
        }

        @Override public String name() { return "where"; }

        @Override protected Tensor[] backward(Tensor g) {
            Tensor c = saved(0);
            Tensor zero = Tensor.zerosLike(g);
            Tensor ga = needsGrad(1) ? ReductionOps.sumToShape(where(c, g, zero), input(1).shape()) : null;
            Tensor gb = needsGrad(2) ? ReductionOps.sumToShape(where(c, zero, g), input(2).shape()) : null;
            return new Tensor[]{null, ga, gb};
        }
    }

    // ---- in place helpers -------------------------------------------------------------------------

    static void fill(Tensor t, double v) {
        if (t.numel() == 0) return;
        if (!t.dtype().isFloating()) {
            // integer tensors: fill through a floating tensor and a converting copy
            Tensor f = Tensor.full(t.backend(), DType.F64, v, t.shape());
            t.backend().copy(f.view(), t.view());
            f.close();
            return;
        }
        t.backend().elementwise(ElementwiseProgram.single(ElementwiseOp.CONST, v), new BufferView[0], t.view());
    }

    static void addInto(Tensor t, Tensor o) {
        checkPair("addInPlace", t, o);
        long[] shape = t.shape();
        Shapes.broadcast("addInPlace", shape, o.shape());
        BufferView ov = new BufferView(o.buffer(), o.layout().broadcastTo(shape));
        t.backend().elementwise(SINGLE.get(ElementwiseOp.ADD), new BufferView[]{t.view(), ov}, t.view());
    }

    static void scaleInto(Tensor t, double s) {
        checkFloating("mulInPlace", t);
        t.backend().elementwise(ElementwiseProgram.single(ElementwiseOp.MUL_SCALAR, s), new BufferView[]{t.view()}, t.view());
    }
}
