package dev.engine.inference.onnx;

import dev.engine.api.ElementwiseOp;
import dev.engine.api.ElementwiseProgram;
import dev.engine.graph.Value;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Activations ONNX names that the IR spells as short elementwise programs: HardSigmoid, HardSwish, Elu, Selu,
 * Celu, ThresholdedRelu and PRelu (its slope a constant that broadcasts over the non-batch axes). A constant
 * input folds on the CPU backend, as the other elementwise ops do.
 *
 * <pre>{@code
 * activations.bind(node);
 * activations.convert(inputs);   // Elu(x) -> x > 0 ? x : alpha * (exp(x) - 1) as one program
 * }</pre>
 */
final class ActivationOps extends OnnxNodeContext {
    static final Set<String> OPS = Set.of("HardSigmoid", "HardSwish", "Elu", "Selu", "Celu", "ThresholdedRelu", "PRelu");

    ActivationOps(OnnxImporter im) { super(im); }

    void convert(List<Object> ins) {
        Object x = arg(ins, 0);
        ElementwiseProgram.Builder p = ElementwiseProgram.builder(n.opType().equals("PRelu") ? 2 : 1);
        int r = switch (n.opType()) {
            case "HardSigmoid" -> hardSigmoid(p, 0, attrFloat("alpha", 0.2f), attrFloat("beta", 0.5f));
            case "HardSwish" -> p.op(ElementwiseOp.HARDSWISH, 0);
            case "Elu" -> elu(p, attrFloat("alpha", 1f), 1);
            // the ONNX defaults are PyTorch's constants to float precision
            case "Selu" -> p.opImm(ElementwiseOp.MUL_SCALAR, attrFloat("gamma", 1.05070102214813232421875f), elu(p, attrFloat("alpha", 1.67326319217681884765625f), 1));
            case "Celu" -> {
                float a = attrFloat("alpha", 1f);
                if (a == 0) throw unsupported("alpha must not be 0");
                yield elu(p, a, 1 / a);
            }
            case "ThresholdedRelu" -> {
                int keep = p.op(ElementwiseOp.GT, 0, p.opImm(ElementwiseOp.CONST, attrFloat("alpha", 1f)));
                yield p.op(ElementwiseOp.WHERE, keep, 0, p.opImm(ElementwiseOp.CONST, 0));
            }
            case "PRelu" -> {
                int neg = p.op(ElementwiseOp.LT, 0, p.opImm(ElementwiseOp.CONST, 0));
                yield p.op(ElementwiseOp.WHERE, neg, p.op(ElementwiseOp.MUL, 0, 1), 0);
            }
            default -> throw new IllegalStateException(n.opType());
        };
        ElementwiseProgram prog = p.build(r);
        if (n.opType().equals("PRelu")) { prelu(prog, x, k(ins, 1)); return; }
        if (x instanceof ConstTensor c) { out(ConstTensor.floats(c.shape(), FoldOnBackend.run(prog, List.of(c), c.shape()))); return; }
        out(im.named(n).elementwise(prog, (Value) x));
    }

    /** clamp(alpha * x + beta, 0, 1) */
    private static int hardSigmoid(ElementwiseProgram.Builder p, int x, double alpha, double beta) {
        int lin = p.opImm(ElementwiseOp.ADD_SCALAR, beta, p.opImm(ElementwiseOp.MUL_SCALAR, alpha, x));
        return p.opImm(ElementwiseOp.CLAMP_MAX, 1, p.opImm(ElementwiseOp.CLAMP_MIN, 0, lin));
    }

    /** x > 0 ? x : alpha * (exp(x * inner) - 1) */
    private static int elu(ElementwiseProgram.Builder p, double alpha, double inner) {
        int e = p.op(ElementwiseOp.EXP, inner == 1 ? 0 : p.opImm(ElementwiseOp.MUL_SCALAR, inner, 0));
        int neg = p.opImm(ElementwiseOp.MUL_SCALAR, alpha, p.opImm(ElementwiseOp.ADD_SCALAR, -1, e));
        int pos = p.op(ElementwiseOp.GT, 0, p.opImm(ElementwiseOp.CONST, 0));
        return p.op(ElementwiseOp.WHERE, pos, 0, neg);
    }

    private void prelu(ElementwiseProgram prog, Object x, ConstTensor slope) {
        if (x instanceof ConstTensor c) throw unsupported("PRelu of a constant is not folded");
        Value v = (Value) x;
        if (slope.rank() >= v.rank() && !(slope.rank() == v.rank() && slope.shape()[0] == 1))
            throw unsupported("slope " + Arrays.toString(slope.shape()) + " would fix the batch axis of " + Arrays.toString(v.shape()));
        out(im.named(n).elementwise(prog, v, asValue(slope)));
    }
}
