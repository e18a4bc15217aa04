package dev.engine.api;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A short list of elementwise instructions run in one pass over the output, so a chain such as
 * {@code relu(x * s + b)} reads its inputs once and writes once. Registers {@code 0..inputs-1} hold the
 * inputs; each instruction writes a new register; the program's result is one register. Immutable.
 *
 * <pre>{@code
 * var b = ElementwiseProgram.builder(2);          // r0 = x, r1 = y
 * int t = b.op(ElementwiseOp.MUL, 0, 1);          // r2 = x * y
 * int r = b.op(ElementwiseOp.RELU, t);            // r3 = relu(r2)
 * ElementwiseProgram p = b.build(r);
 * backend.elementwise(p, new BufferView[]{x, y}, out);
 * }</pre>
 */
public final class ElementwiseProgram {
    /** Most registers a program may use; native kernels size their scratch by it. */
    public static final int MAX_REGISTERS = 32;
    /** Ints per encoded instruction: op code, destination, three sources. */
    public static final int INSTRUCTION_INTS = 5;
    /** Most instructions a program may hold. */
    public static final int MAX_INSTRUCTIONS = 64;

    private final int inputs;
    private final int registers;
    private final int result;
    private final int[] code;
    private final double[] immediates;
    private final ElementwiseOp[] ops;

    private ElementwiseProgram(int inputs, int registers, int result, int[] code, double[] imm, ElementwiseOp[] ops) {
        this.inputs = inputs; this.registers = registers; this.result = result; this.code = code; this.immediates = imm; this.ops = ops;
    }

    /** A one-instruction program over its operands, e.g. {@code single(ADD, 0)} computes r0 + r1. */
    public static ElementwiseProgram single(ElementwiseOp op, double imm) {
        Builder b = builder(op.arity());
        int[] src = new int[op.arity()];
        for (int i = 0; i < src.length; i++) src[i] = i;
        return b.build(b.opImm(op, imm, src));
    }

    public static Builder builder(int inputs) { return new Builder(inputs); }

    public int inputs() { return inputs; }
    public int registers() { return registers; }
    public int result() { return result; }
    public int instructions() { return ops.length; }
    public ElementwiseOp op(int i) { return ops[i]; }
    /** Encoded instructions, {@link #INSTRUCTION_INTS} ints each. A copy. */
    public int[] code() { return code.clone(); }
    /** The immediates, one per instruction. A copy. */
    public double[] immediates() { return immediates.clone(); }
    /** Direct read without copying, for backends marshalling to native code. */
    public int codeAt(int i) { return code[i]; }
    public double immediateAt(int i) { return immediates[i]; }

    @Override public String toString() {
        StringBuilder sb = new StringBuilder("program(inputs=" + inputs + ")");
        for (int i = 0; i < ops.length; i++) {
            int o = i * INSTRUCTION_INTS;
            sb.append("; r").append(code[o + 1]).append(" = ").append(ops[i]);
            for (int a = 0; a < ops[i].arity(); a++) sb.append(a == 0 ? "(" : ", ").append("r").append(code[o + 2 + a]);
            if (ops[i].arity() > 0) sb.append(")");
            if (immediates[i] != 0) sb.append(" imm=").append(immediates[i]);
        }
        return sb.append("; -> r").append(result).toString();
    }

    /** Builds a program instruction by instruction. */
    public static final class Builder {
        private final int inputs;
        private int next;
        private final List<int[]> code = new ArrayList<>();
        private final List<Double> imm = new ArrayList<>();
        private final List<ElementwiseOp> ops = new ArrayList<>();

        private Builder(int inputs) {
            if (inputs < 0 || inputs > MAX_REGISTERS / 2) throw new EngineException("elementwise program: " + inputs + " inputs (at most " + MAX_REGISTERS / 2 + ")");
            this.inputs = inputs;
            this.next = inputs;
        }

        /** Appends {@code op(sources)} and returns the register holding the result. */
        public int op(ElementwiseOp op, int... sources) { return opImm(op, 0, sources); }

        /** Appends an instruction with an immediate (slope, exponent, scalar or constant). */
        public int opImm(ElementwiseOp op, double immediate, int... sources) {
            if (sources.length != op.arity())
                throw new EngineException("elementwise program: " + op + " takes " + op.arity() + " operands, got " + sources.length);
            for (int s : sources)
                if (s < 0 || s >= next) throw new EngineException("elementwise program: " + op + " reads register r" + s + " before it is written");
            if (ops.size() >= MAX_INSTRUCTIONS) throw new EngineException("elementwise program: more than " + MAX_INSTRUCTIONS + " instructions");
            if (next >= MAX_REGISTERS) throw new EngineException("elementwise program: more than " + MAX_REGISTERS + " registers");
            int[] ins = new int[INSTRUCTION_INTS];
            ins[0] = op.code();
            ins[1] = next;
            for (int i = 0; i < sources.length; i++) ins[2 + i] = sources[i];
            code.add(ins);
            imm.add(immediate);
            ops.add(op);
            return next++;
        }

        public ElementwiseProgram build(int result) {
            if (result < 0 || result >= next) throw new EngineException("elementwise program: result register r" + result + " was never written");
            int[] flat = new int[code.size() * INSTRUCTION_INTS];
            for (int i = 0; i < code.size(); i++) System.arraycopy(code.get(i), 0, flat, i * INSTRUCTION_INTS, INSTRUCTION_INTS);
            double[] im = new double[imm.size()];
            for (int i = 0; i < im.length; i++) im[i] = imm.get(i);
            return new ElementwiseProgram(inputs, next, result, flat, im, ops.toArray(new ElementwiseOp[0]));
        }
    }

    @Override public boolean equals(Object o) {
        return o instanceof ElementwiseProgram p && p.inputs == inputs && p.result == result && Arrays.equals(p.code, code)
                && Arrays.equals(p.immediates, immediates);
    }

    @Override public int hashCode() { return Arrays.hashCode(code) * 31 + result; }
}
