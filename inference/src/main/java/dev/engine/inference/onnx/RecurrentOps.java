package dev.engine.inference.onnx;

import dev.engine.api.ElementwiseOp;
import dev.engine.api.ElementwiseProgram;
import dev.engine.graph.Tracer;
import dev.engine.graph.Value;
import java.util.Arrays;
import java.util.List;

/**
 * LSTM, GRU (linear_before_reset=1, PyTorch's and Keras's form) and RNN, forward, reverse or bidirectional, unrolled over the
 * sequence length (fixed at import time): the input projection of every step is one product over [N, L, I], then
 * each step is a product with the recurrent weight, slices of the gates and one or two elementwise programs.
 * Sequence-first tensors (layout 0, PyTorch's batch_first export) arrive and leave as {@link BatchMoved}; layout 1
 * is batch-first already. The initial state must be zero or absent, as PyTorch exports it without (h0, c0).
 *
 * <pre>{@code
 * recurrent.bind(node);
 * recurrent.convert(inputs);    // nn.LSTM(5, 6, batch_first=True)(x)[0]
 * }</pre>
 */
final class RecurrentOps extends OnnxNodeContext {
    private static final int SIGMOID = 0, TANH = 1;
    /** Longest sequence unrolled: about 10 graph nodes per step and direction. */
    static final long MAX_STEPS = 4096;

    RecurrentOps(OnnxImporter im) { super(im); }

    /** One direction's outputs: every step's hidden state [N, L, H], the last hidden state and (LSTM) cell state [N, H]. */
    private record Run(Value y, Value h, Value c) {}

    void convert(List<Object> ins) {
        String op = n.opType();
        int gates = op.equals("LSTM") ? 4 : op.equals("GRU") ? 3 : 1;
        long layout = attrInt("layout", 0);
        Value x = sequence(arg(ins, 0), layout);
        long hidden = attrInt("hidden_size", Long.MIN_VALUE);
        String direction = attrString("direction", "forward");
        if (!List.of("forward", "reverse", "bidirectional").contains(direction)) throw unsupported("direction '" + direction + "'");
        int dirs = direction.equals("bidirectional") ? 2 : 1;
        if (attr("clip") != null) throw unsupported("clip is not supported");
        if (attrInt("input_forget", 0) != 0) throw unsupported("input_forget=1 is not supported");
        if (attr("activation_alpha") != null || attr("activation_beta") != null) throw unsupported("activation_alpha/beta are not supported");
        if (op.equals("GRU") && attrInt("linear_before_reset", 0) == 0) throw unsupported("linear_before_reset=0 is not supported (PyTorch and Keras export 1)");
        checkActivations(op, dirs);
        long in = x.dim(2), g = gates * hidden;
        if (x.dim(1) > MAX_STEPS) throw unsupported("a sequence of " + x.dim(1) + " steps is unrolled into too many nodes (at most " + MAX_STEPS + ")");
        ConstTensor w = k(ins, 1), r = k(ins, 2);
        if (hidden < 1 || !Arrays.equals(w.shape(), new long[]{dirs, g, in}) || !Arrays.equals(r.shape(), new long[]{dirs, g, hidden}))
            throw unsupported("weights " + Arrays.toString(w.shape()) + " and " + Arrays.toString(r.shape()) + " do not fit hidden_size " + hidden
                    + ", " + dirs + " direction(s) and input " + Arrays.toString(x.shape()));
        float[] bias = new float[(int) (dirs * 2 * g)];
        if (ins.size() > 3 && ins.get(3) != null) {
            ConstTensor b = k(ins, 3);
            if (b.size() != dirs * 2 * g) throw unsupported("bias has " + b.size() + " values, not " + dirs * 2 * g);
            bias = b.asFloats();
        }
        if (ins.size() > 4 && ins.get(4) != null) throw unsupported("sequence_lens is not supported (every sequence runs the full length)");
        for (int i = 5; i < Math.min(ins.size(), 8); i++) zeroState(ins, i);
        Run[] runs = new Run[dirs];
        for (int d = 0; d < dirs; d++) {
            float[] wd = Arrays.copyOfRange(w.asFloats(), (int) (d * g * in), (int) ((d + 1) * g * in));
            float[] rd = Arrays.copyOfRange(r.asFloats(), (int) (d * g * hidden), (int) ((d + 1) * g * hidden));
            float[] bd = Arrays.copyOfRange(bias, (int) (d * 2 * g), (int) ((d + 1) * 2 * g));
            runs[d] = run(op, x, wd, rd, bd, hidden, g, direction.equals("reverse") || d == 1);
        }
        Tracer t = im.tracer;
        long steps = x.dim(1);
        // batch-first forms: Y [N, L, D, H], Y_h and Y_c [N, D, H]
        Value y = stack(t, 2, Arrays.stream(runs).map(Run::y).toArray(Value[]::new), steps, 1, hidden);
        Value h = stack(t, 1, Arrays.stream(runs).map(Run::h).toArray(Value[]::new), 1, hidden);
        Value c = runs[0].c() == null ? null : stack(t, 1, Arrays.stream(runs).map(Run::c).toArray(Value[]::new), 1, hidden);
        if (layout == 0) {  // Y [L, D, N, H], Y_h [D, N, H]
            im.define(n, 0, new BatchMoved(y, new int[]{1, 2, 0, 3}));
            im.define(n, 1, new BatchMoved(h, new int[]{1, 0, 2}));
            if (c != null) im.define(n, 2, new BatchMoved(c, new int[]{1, 0, 2}));
        } else {
            im.define(n, 0, y);
            im.define(n, 1, h);
            if (c != null) im.define(n, 2, c);
        }
    }

    /** The directions' values, each reshaped to {@code shape} (its direction axis of size 1), joined on that axis. */
    private static Value stack(Tracer t, int axis, Value[] parts, long... shape) {
        Value[] r = new Value[parts.length];
        for (int i = 0; i < r.length; i++) r[i] = t.reshape(parts[i], shape);
        return r.length == 1 ? r[0] : t.concat(axis, r);
    }

    private Run run(String op, Value x, float[] w, float[] r, float[] bias, long hidden, long g, boolean reverse) {
        Tracer t = im.tracer;
        long in = x.dim(2), steps = x.dim(1);
        float[] xBias = new float[(int) g], hBias = null;
        for (int i = 0; i < g; i++) xBias[i] = bias[i] + (op.equals("GRU") && i >= 2 * hidden ? 0 : bias[(int) g + i]);
        if (op.equals("GRU")) { hBias = new float[(int) g]; System.arraycopy(bias, (int) (g + 2 * hidden), hBias, (int) (2 * hidden), (int) hidden); }
        Value xw = im.named(n).linear(x, w, g, in, xBias);  // [N, L, G*H]
        Value h = null, c = null;
        Value[] ys = new Value[(int) steps];
        for (long s = 0; s < steps; s++) {
            long step = reverse ? steps - 1 - s : s;
            Value xt = t.reshape(t.slice(xw, 1, step, step + 1, 1), g);
            Value hr = h == null ? null : t.linear(h, r, g, hidden, hBias);
            switch (op) {
                case "LSTM" -> {
                    Value z = hr == null ? xt : t.add(xt, hr);
                    Value i = gate(t, z, 0, hidden), o = gate(t, z, 1, hidden), f = gate(t, z, 2, hidden), cc = gate(t, z, 3, hidden);
                    c = c == null ? t.elementwise(lstmFirstCell(), i, cc) : t.elementwise(lstmCell(), f, c, i, cc);
                    h = t.elementwise(lstmHidden(), o, c);
                }
                case "GRU" -> {
                    Value zx = gate(t, xt, 0, hidden), rx = gate(t, xt, 1, hidden), nx = gate(t, xt, 2, hidden);
                    if (hr == null) {
                        float[] rbh = Arrays.copyOfRange(bias, (int) (g + 2 * hidden), (int) (g + 3 * hidden));
                        h = t.elementwise(gruFirst(), zx, rx, nx, t.constant(rbh, 1, hidden));
                    } else h = t.elementwise(gru(), zx, rx, nx, gate(t, hr, 0, hidden), gate(t, hr, 1, hidden), gate(t, hr, 2, hidden), h);
                }
                default -> h = t.unary(hr == null ? xt : t.add(xt, hr), rnnActivation(), 0, "rnn");
            }
            ys[(int) step] = t.reshape(h, 1, hidden);
        }
        return new Run(steps == 1 ? ys[0] : t.concat(1, ys), h, c);
    }

    /** The batch-first [N, L, I] input: a sequence-first value as PyTorch transposes it, or layout 1. */
    private Value sequence(Object x, long layout) {
        if (layout == 1) {
            if (!(x instanceof Value v) || v.rank() != 3) throw unsupported("input must be a [batch, sequence, features] graph value with layout=1");
            return v;
        }
        if (layout != 0) throw unsupported("layout " + layout);
        if (x instanceof BatchMoved b && b.axes().length == 3 && b.axes()[0] == 1 && b.axes()[1] == 0 && b.axes()[2] == 2) return b.v();
        throw unsupported("input 0 must be [sequence, batch, features] with the batch of the model's input (PyTorch's batch_first export); got "
                + (x instanceof BatchMoved b ? b : x instanceof Value v ? "a batch-first " + Arrays.toString(v.shape()) : "a constant"));
    }

    private void zeroState(List<Object> ins, int i) {
        Object o = ins.get(i);
        if (o == null) return;
        String name = i == 5 ? "initial_h" : i == 6 ? "initial_c" : "P (peepholes)";
        if (!(o instanceof ConstTensor c)) throw unsupported(name + " must be zero or absent (a state computed by the graph or fed as an input is not supported)");
        for (int k = 0; k < c.size(); k++) if (c.get(k) != 0) throw unsupported(name + " must be zero or absent");
    }

    private void checkActivations(String op, int dirs) {
        OnnxProto.Attribute a = attr("activations");
        if (a == null) return;
        List<String> one = op.equals("LSTM") ? List.of("sigmoid", "tanh", "tanh") : op.equals("GRU") ? List.of("sigmoid", "tanh") : null;
        List<String> got = Arrays.stream(a.strings()).map(String::toLowerCase).toList();
        List<String> want = one == null ? null : dirs == 1 ? one : java.util.stream.Stream.concat(one.stream(), one.stream()).toList();
        boolean rnnOk = got.size() == dirs && got.stream().allMatch(f -> f.equals(got.get(0))) && List.of("tanh", "relu", "sigmoid").contains(got.get(0));
        if (op.equals("RNN") ? !rnnOk : !got.equals(want))
            throw unsupported("activations " + got + " (only the defaults" + (op.equals("RNN") ? ", or Relu / Sigmoid" : "") + " are supported)");
    }

    private ElementwiseOp rnnActivation() {
        OnnxProto.Attribute a = attr("activations");
        String f = a == null ? "tanh" : a.strings()[0].toLowerCase();
        return f.equals("relu") ? ElementwiseOp.RELU : f.equals("sigmoid") ? ElementwiseOp.SIGMOID : ElementwiseOp.TANH;
    }

    private static Value gate(Tracer t, Value z, int k, long hidden) { return t.slice(z, 1, k * hidden, (k + 1) * hidden, 1); }

    private static int act(ElementwiseProgram.Builder p, int kind, int x) { return p.op(kind == SIGMOID ? ElementwiseOp.SIGMOID : ElementwiseOp.TANH, x); }

    /** (f, c, i, g) -> sigmoid(f) * c + sigmoid(i) * tanh(g) */
    private static ElementwiseProgram lstmCell() {
        ElementwiseProgram.Builder p = ElementwiseProgram.builder(4);
        int keep = p.op(ElementwiseOp.MUL, act(p, SIGMOID, 0), 1), add = p.op(ElementwiseOp.MUL, act(p, SIGMOID, 2), act(p, TANH, 3));
        return p.build(p.op(ElementwiseOp.ADD, keep, add));
    }

    /** (i, g) -> sigmoid(i) * tanh(g): the first cell, from a zero state */
    private static ElementwiseProgram lstmFirstCell() {
        ElementwiseProgram.Builder p = ElementwiseProgram.builder(2);
        return p.build(p.op(ElementwiseOp.MUL, act(p, SIGMOID, 0), act(p, TANH, 1)));
    }

    /** (o, c) -> sigmoid(o) * tanh(c) */
    private static ElementwiseProgram lstmHidden() {
        ElementwiseProgram.Builder p = ElementwiseProgram.builder(2);
        return p.build(p.op(ElementwiseOp.MUL, act(p, SIGMOID, 0), act(p, TANH, 1)));
    }

    /** (zx, rx, nx, zh, rh, nh, h) -> (1 - z) * n + z * h, z = sigmoid(zx + zh), r = sigmoid(rx + rh), n = tanh(nx + r * nh) */
    private static ElementwiseProgram gru() {
        ElementwiseProgram.Builder p = ElementwiseProgram.builder(7);
        int z = act(p, SIGMOID, p.op(ElementwiseOp.ADD, 0, 3)), r = act(p, SIGMOID, p.op(ElementwiseOp.ADD, 1, 4));
        int nn = act(p, TANH, p.op(ElementwiseOp.ADD, 2, p.op(ElementwiseOp.MUL, r, 5)));
        return p.build(blend(p, z, nn, 6));
    }

    /** (zx, rx, nx, rbh) -> (1 - z) * n, z = sigmoid(zx), n = tanh(nx + sigmoid(rx) * rbh): the first step, from a zero state */
    private static ElementwiseProgram gruFirst() {
        ElementwiseProgram.Builder p = ElementwiseProgram.builder(4);
        int z = act(p, SIGMOID, 0), r = act(p, SIGMOID, 1);
        int nn = act(p, TANH, p.op(ElementwiseOp.ADD, 2, p.op(ElementwiseOp.MUL, r, 3)));
        return p.build(p.op(ElementwiseOp.MUL, p.opImm(ElementwiseOp.RSUB_SCALAR, 1, z), nn));
    }

    /** (1 - z) * n + z * h */
    private static int blend(ElementwiseProgram.Builder p, int z, int nn, int h) {
        return p.op(ElementwiseOp.ADD, p.op(ElementwiseOp.MUL, p.opImm(ElementwiseOp.RSUB_SCALAR, 1, z), nn), p.op(ElementwiseOp.MUL, z, h));
    }
}
