package dev.engine.inference;

import dev.engine.graph.Value;
import dev.engine.graph.Node;
import dev.engine.graph.OpKind;
import dev.engine.graph.ShapeInference;
import dev.engine.api.Activation;
import dev.engine.api.Backend;
import dev.engine.api.Buffer;
import dev.engine.api.BufferView;
import dev.engine.api.Conv2dShape;
import dev.engine.api.DType;
import dev.engine.api.ElementwiseOp;
import dev.engine.api.ElementwiseProgram;
import dev.engine.api.EngineException;
import dev.engine.api.Epilogue;
import dev.engine.api.InputQuantization;
import dev.engine.api.Layout;
import dev.engine.api.MatrixRef;
import dev.engine.api.PackedMatrix;
import dev.engine.api.Pool2dShape;
import dev.engine.api.RecordedCall;
import dev.engine.api.Shapes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The memory one thread uses to run one {@link ExecutionPlan}: an arena, an input and an output buffer,
 * allocated once, and the plan's steps compiled into kernel calls bound to slices of them. A graph with
 * several inputs (e.g. a key-padding mask) keeps them one after another in the one input buffer, so a run
 * still copies one block in and a recorded call stays one host-to-device copy. The first run
 * makes the calls one by one (a warm-up: kernels load, caches fill) and then has the backend record the
 * whole call ({@link Backend#recordCall}): on CUDA, where enabled, one graph with pinned host copies, so every later run
 * is one native call. When recording fails the context keeps making the calls and remembers why
 * ({@link #recordingFailure()}). After the first run, running allocates no native memory. Not
 * thread-safe: a {@link FrozenModel} gives each thread its own.
 *
 * <pre>{@code
 * try (ExecutionContext ctx = new ExecutionContext(plan, weights)) {
 *     ctx.run(input, 0, output, 0);      // first run: calls one by one, then recorded
 * }
 * }</pre>
 */
public final class ExecutionContext implements AutoCloseable {
    private static final ElementwiseProgram ADD = ElementwiseProgram.single(ElementwiseOp.ADD, 0);
    private static final ElementwiseProgram AFFINE;

    static {
        var b = ElementwiseProgram.builder(3);
        AFFINE = b.build(b.op(ElementwiseOp.ADD, b.op(ElementwiseOp.MUL, 0, 1), 2));
    }

    private final Backend backend;
    private final Weights weights;
    private final ExecutionPlan plan;
    private final Buffer arena, input, output;
    private final Runnable[] steps;
    private final int inputCount, outputCount;
    private float[] packed;  // the inputs of a multi-input run laid one after another (allocated on first use)
    private RecordedCall recorded;
    private boolean recordingTried;
    private String recordingFailure;

    /** Allocates the buffers and binds every step. */
    public ExecutionContext(ExecutionPlan plan, Weights weights) {
        this.backend = weights.backend();
        this.weights = weights;
        this.plan = plan;
        this.inputCount = Math.toIntExact(plan.inputElements());
        this.outputCount = Shapes.numelInt(plan.outputShape());
        this.arena = backend.allocate(DType.F32, Math.max(1, (plan.arenaBytes() + 3) / 4));
        this.input = backend.allocate(DType.F32, Math.max(1, inputCount));
        this.output = backend.allocate(DType.F32, Math.max(1, outputCount));
        List<Runnable> list = new ArrayList<>();
        List<ExecutionPlan.Step> planned = plan.steps();
        for (int i = 0; i < planned.size(); i++) {
            if (!plan.fusedWithNext(i)) { list.add(compile(planned.get(i), weights)); continue; }
            list.add(convMaxPool(planned.get(i).node(), planned.get(i + 1).node(), weights));  // the convolution's step runs both
            list.add(() -> { });      // the pool's step: already done
            i++;
        }
        if (plan.finalCopy()) {
            BufferView src = new BufferView(buf(plan.graph().output(), weights), Layout.contiguous(plan.outputShape()));
            BufferView dst = BufferView.of(output, plan.outputShape());
            list.add(() -> backend.copy(src, dst));
        }
        this.steps = list.toArray(new Runnable[0]);
    }

    public ExecutionPlan plan() { return plan; }

    /**
     * Copies {@code in} into the input buffer, runs every step, copies the result into {@code out}: the
     * recorded call once there is one, else the calls one by one (and, the first time, records them). With
     * several inputs {@code in} holds them one after another, in the graph's input order.
     */
    public void run(float[] in, int inOffset, float[] out, int outOffset) {
        RecordedCall r = recorded;
        if (r != null) {
            r.run(in, inOffset, out, outOffset);
            return;
        }
        backend.copyIn(in, inOffset, input, 0, inputCount);
        runBuffers();
        backend.copyOut(output, 0, out, outOffset, outputCount);
        if (!recordingTried) record();
    }

    /**
     * Runs with one array per graph input (each already checked to hold its input's values at this batch):
     * packs them into one array and runs that, so the copy in (and a recording) stays one block.
     */
    public void run(float[][] ins, float[] out, int outOffset) {
        if (ins.length == 1) { run(ins[0], 0, out, outOffset); return; }
        if (packed == null) packed = new float[inputCount];
        int at = 0;
        for (float[] a : ins) {
            System.arraycopy(a, 0, packed, at, a.length);
            at += a.length;
        }
        if (at != inputCount) throw new EngineException("frozen model: inputs hold " + at + " values together, the plan needs " + inputCount);
        run(packed, 0, out, outOffset);
    }

    private void record() {
        recordingTried = true;
        try {
            recorded = backend.recordCall(input, inputCount, output, outputCount, this::runBuffers);
        } catch (EngineException e) {
            recordingFailure = "backend " + backend.name() + " could not record the call, so each run makes " + steps.length
                    + " calls: " + e.getMessage();
        }
    }

    /** Whether later runs replay a recorded call (after the first run, unless recording failed). */
    public boolean isRecorded() { return recorded != null; }

    /** Why the call could not be recorded, or null (not tried yet, or recorded). */
    public String recordingFailure() { return recordingFailure; }

    /**
     * Runs the steps one by one {@code runs} times with the input already in {@link #inputBuffer()}, waiting
     * for the backend after each step, and returns each step's median time in nanoseconds (in step order).
     */
    long[] timeSteps(int runs) {
        long[][] t = new long[steps.length][runs];
        backend.synchronize();
        for (int r = 0; r < runs; r++) {
            for (int i = 0; i < steps.length; i++) {
                long t0 = System.nanoTime();
                steps[i].run();
                backend.synchronize();
                t[i][r] = System.nanoTime() - t0;
            }
        }
        long[] median = new long[steps.length];
        for (int i = 0; i < steps.length; i++) {
            Arrays.sort(t[i]);
            median[i] = t[i][runs / 2];
        }
        return median;
    }

    /** Runs with the input already in {@link #inputBuffer()}; the result is left in {@link #outputBuffer()}. */
    public void runBuffers() { for (Runnable r : steps) r.run(); }

    public Buffer inputBuffer() { return input; }

    /**
     * A copy of value {@code v} as the last run left it (a plan built without memory sharing keeps every
     * value): how calibration observes a layer's input.
     */
    float[] read(Value v) {
        float[] out = new float[Shapes.numelInt(plan.shape(v))];
        backend.copyOut(buf(v, weights), 0, out, 0, out.length);
        return out;
    }
    public Buffer outputBuffer() { return output; }

    @Override public void close() {
        if (recorded != null) recorded.close();  // before the buffers its recording reads and writes
        arena.close();
        input.close();
        output.close();
    }

    private Buffer buf(Value v, Weights w) {
        ExecutionPlan.Slot s = plan.slot(v);
        long n = Shapes.numel(plan.shape(v));
        return switch (s.home()) {
            case INPUT -> input.slice(DType.F32, s.byteOffset(), n);
            case OUTPUT -> output.slice(DType.F32, 0, n);
            case CONSTANT -> w.value(s.root());
            case ARENA -> arena.slice(DType.F32, s.byteOffset(), n);
            case FUSED -> throw new IllegalStateException("'" + v + "' lives inside a fused step and has no memory");
        };
    }

    private Buffer scratch(ExecutionPlan.Step s, int i) {
        ExecutionPlan.Scratch sc = s.scratch().get(i);
        return arena.slice(sc.dtype(), sc.byteOffset(), sc.elements());
    }

    /** One call for a convolution and the max pool the plan fused it with (its output has no memory). */
    private Runnable convMaxPool(Node conv, Node next, Weights w) {
        PackedMatrix wp = w.packed(conv);
        Conv2dShape cg = ShapeInference.conv(conv, plan.shape(conv.input(0)), conv.name());
        Pool2dShape pg = ShapeInference.pool(next, plan.shape(conv.output()), next.name());
        Activation act = conv.activation();
        Buffer x = buf(conv.input(0), w), y = buf(next.output(), w), bias = w.get(conv, "bias");
        Backend be = backend;
        if (Int8Quantizer.isInt8(conv)) {
            InputQuantization aq = inputQuantization(conv);
            return () -> be.conv2dMaxPoolForwardInt8Packed(cg, x, aq, wp, bias, act, pg, y);
        }
        return () -> be.conv2dMaxPoolForwardPacked(cg, x, wp, bias, act, pg, y);
    }

    private Runnable compile(ExecutionPlan.Step step, Weights w) {
        Node n = step.node();
        Value outV = n.output();
        long[] os = plan.shape(outV);
        Buffer y = buf(outV, w);
        Buffer x = n.inputs().isEmpty() ? null : buf(n.input(0), w);
        long[] xs = n.inputs().isEmpty() ? null : plan.shape(n.input(0));
        Backend be = backend;
        switch (n.kind()) {
            case LINEAR: {
                PackedMatrix wt = w.packed(n);
                boolean int8 = Int8Quantizer.isInt8(n);
                Buffer wm = w.get(n, "weight"), bias = w.get(n, "bias");
                long out = os[os.length - 1], in = xs[xs.length - 1], rows = Shapes.numel(os) / Math.max(1, out);
                MatrixRef res = n.inputs().size() > 1 ? new MatrixRef(buf(n.input(1), w), 0, out, 0) : null;
                Epilogue epi = new Epilogue(bias, res, n.activation(), n.floatOr("activationParam", 0.01));
                MatrixRef a = new MatrixRef(x, 0, in, 0), c = new MatrixRef(y, 0, out, 0);
                if (int8) {
                    InputQuantization aq = inputQuantization(n);
                    return () -> be.gemmInt8Packed(rows, a, aq, wt, c, epi);
                }
                if (Bf16Conversion.isBf16(n)) return () -> be.gemmBf16Packed(rows, a, wt, c, epi);
                if (wt != null) return () -> be.gemmPacked(rows, a, wt, c, epi);
                MatrixRef b = new MatrixRef(wm, 0, in, 0);
                return () -> be.gemm(false, true, rows, out, in, 1, a, b, 0, c, 1, epi);
            }
            case CONV2D: {
                Conv2dShape g = ShapeInference.conv(n, xs, n.name());
                PackedMatrix wp = w.packed(n);
                Buffer wm = w.get(n, "weight"), bias = w.get(n, "bias");
                Activation act = n.activation();
                if (Int8Quantizer.isInt8(n)) {
                    InputQuantization aq = inputQuantization(n);
                    return () -> be.conv2dForwardInt8Packed(g, x, aq, wp, bias, act, y);
                }
                if (wp != null) return () -> be.conv2dForwardPacked(g, x, wp, bias, act, y);
                return () -> be.conv2dForward(g, x, wm, bias, act, y);
            }
            case CONV_TRANSPOSE2D: {
                Conv2dShape g = ShapeInference.convTranspose(n, xs, n.name());
                Buffer wm = w.get(n, "weight"), bias = w.get(n, "bias");
                if (bias == null) return () -> be.conv2dBackwardInput(g, x, wm, y);
                BufferView[] ins = {BufferView.of(y, os), channelView(bias, os)};
                BufferView out = BufferView.of(y, os);
                return () -> { be.conv2dBackwardInput(g, x, wm, y); be.elementwise(ADD, ins, out); };
            }
            case BATCHNORM: {
                BufferView[] ins = {BufferView.of(x, xs), channelView(w.get(n, "scale"), xs), channelView(w.get(n, "shift"), xs)};
                BufferView out = BufferView.of(y, os);
                return () -> be.elementwise(AFFINE, ins, out);
            }
            case LAYERNORM: {
                long cols = xs[xs.length - 1], rows = Shapes.numel(xs) / Math.max(1, cols);
                Buffer gamma = w.get(n, "gamma"), beta = w.get(n, "beta"), mean = scratch(step, 0), rstd = scratch(step, 1);
                double eps = n.floatOr("eps", 1e-5);
                return () -> be.layerNormForward(x, gamma, beta, rows, cols, eps, y, mean, rstd);
            }
            case MAXPOOL2D: {
                Pool2dShape g = ShapeInference.pool(n, xs, n.name());
                return () -> be.maxPool2dForward(g, x, y, null);  // no backward: values only
            }
            case AVGPOOL2D: {
                Pool2dShape g = ShapeInference.pool(n, xs, n.name());
                return () -> be.avgPool2dForward(g, x, y);
            }
            case ADAPTIVEAVGPOOL2D: {
                long nc = xs[0] * xs[1];
                return () -> be.adaptiveAvgPool2dForward(x, y, nc, xs[2], xs[3], os[2], os[3]);
            }
            case ELEMENTWISE: case ADD: {
                BufferView[] ins = new BufferView[n.inputs().size()];
                for (int i = 0; i < ins.length; i++)
                    ins[i] = new BufferView(buf(n.input(i), w), Layout.contiguous(plan.shape(n.input(i))).broadcastTo(os));
                BufferView out = BufferView.of(y, os);
                ElementwiseProgram p = n.kind() == OpKind.ADD ? ADD : n.program();
                return () -> be.elementwise(p, ins, out);
            }
            case SOFTMAX: case LOG_SOFTMAX: {
                long cols = xs[xs.length - 1], rows = Shapes.numel(xs) / Math.max(1, cols);
                boolean log = n.kind() == OpKind.LOG_SOFTMAX;
                return () -> be.softmax(x, y, rows, cols, log);
            }
            case MATMUL: {
                Buffer b = buf(n.input(1), w);
                long[] bs = plan.shape(n.input(1));
                long k = xs[xs.length - 1], nn = bs[bs.length - 1];
                if (bs.length == 2) {
                    long rows = Shapes.numel(xs) / Math.max(1, k);
                    MatrixRef a = new MatrixRef(x, 0, k, 0), bm = new MatrixRef(b, 0, nn, 0), c = new MatrixRef(y, 0, nn, 0);
                    return () -> be.gemm(false, false, rows, nn, k, 1, a, bm, 0, c, 1, Epilogue.NONE);
                }
                long m = xs[xs.length - 2], batch = Shapes.numel(xs) / Math.max(1, m * k);
                MatrixRef a = new MatrixRef(x, 0, k, m * k), bm = new MatrixRef(b, 0, nn, k * nn), c = new MatrixRef(y, 0, nn, m * nn);
                return () -> be.gemm(false, false, m, nn, k, 1, a, bm, 0, c, batch, Epilogue.NONE);
            }
            case ATTENTION: {
                long heads = n.intOr("heads", 1), bn = os[0], lq = os[1], ev = os[2], dv = ev / heads;
                boolean causal = n.intOr("causal", 0) != 0;
                double scale = n.floatOr("scale", 1);
                int qkvInputs = n.inputs().size() % 2 == 0 ? n.inputs().size() - 1 : n.inputs().size();  // 2 or 4: a key-padding mask last
                Buffer pad = qkvInputs < n.inputs().size() ? buf(n.input(qkvInputs), w) : null;
                BufferView q, k, v;
                if (qkvInputs == 1) {  // packed [B, L, 3E]: the heads of q, k and v read in place
                    long e = xs[2] / 3, d = e / heads;
                    Layout head = new Layout(new long[]{bn, heads, lq, d}, new long[]{lq * 3 * e, d, 3 * e, 1}, 0);
                    q = new BufferView(x, head);
                    k = new BufferView(x, head.withOffset(e));
                    v = new BufferView(x, head.withOffset(2 * e));
                } else {
                    q = headsOf(x, xs, heads);
                    k = headsOf(buf(n.input(1), w), plan.shape(n.input(1)), heads);
                    v = headsOf(buf(n.input(2), w), plan.shape(n.input(2)), heads);
                }
                BufferView out = new BufferView(y, new Layout(new long[]{bn, heads, lq, dv}, new long[]{lq * ev, dv, ev, 1}, 0));
                return () -> be.attention(q, k, v, pad, causal, scale, out);
            }
            case EMBEDDING: {
                Buffer idx = scratch(step, 0);
                long count = Shapes.numel(xs);
                long[] ts = n.constOrNull("table").shape();
                Buffer table = w.get(n, "table");
                BufferView src = BufferView.of(x, xs), dst = BufferView.of(idx, xs);
                return () -> {
                    be.copy(src, dst);
                    be.gatherRows(table, ts[0], ts[1], idx, count, y);
                };
            }
            case COPY: {
                BufferView src = BufferView.of(x, xs), dst = BufferView.of(y, os);
                return () -> be.copy(src, dst);
            }
            case PERMUTE: {
                long[] p = n.ints("perm"), cs = Layout.contiguous(xs).strides(), st = new long[p.length];
                for (int i = 0; i < p.length; i++) st[i] = cs[(int) p[i]];
                BufferView src = new BufferView(x, new Layout(os, st, 0)), dst = BufferView.of(y, os);
                return () -> be.copy(src, dst);
            }
            case SLICE: {
                int ax = (int) n.intOr("axis", 1);
                long[] st = Layout.contiguous(xs).strides();
                long offset = n.intOr("start", 0) * st[ax];
                st[ax] *= n.intOr("step", 1);
                BufferView src = new BufferView(x, new Layout(os, st, offset)), dst = BufferView.of(y, os);
                return () -> be.copy(src, dst);
            }
            case CONCAT: {
                int ax = (int) n.intOr("axis", 1);
                long[] ost = Layout.contiguous(os).strides();
                BufferView[] src = new BufferView[n.inputs().size()], dst = new BufferView[src.length];
                long at = 0;
                for (int i = 0; i < src.length; i++) {
                    long[] is = plan.shape(n.input(i));
                    src[i] = BufferView.of(buf(n.input(i), w), is);
                    dst[i] = new BufferView(y, new Layout(is, ost, at * ost[ax]));
                    at += is[ax];
                }
                return () -> { for (int i = 0; i < src.length; i++) be.copy(src[i], dst[i]); };
            }
            default:
                throw new IllegalStateException("no kernel for " + n.kind() + " '" + n.name() + "'");
        }
    }

    /** A contiguous [B, L, E] value seen as [B, H, L, E / H]. */
    private static BufferView headsOf(Buffer b, long[] s, long heads) {
        long d = s[2] / heads;
        return new BufferView(b, new Layout(new long[]{s[0], heads, s[1], d}, new long[]{s[1] * s[2], d, s[2], 1}, 0));
    }

    /** An int8 node's calibrated input parameters, or dynamic ones when it has none. */
    private static InputQuantization inputQuantization(Node n) {
        return n.floats().containsKey(Int8Quantizer.INPUT_SCALE)
                ? InputQuantization.of((float) n.floatOr(Int8Quantizer.INPUT_SCALE, 1), (int) n.floatOr(Int8Quantizer.INPUT_ZERO_POINT, 0))
                : InputQuantization.dynamic();
    }

    /** A per-channel vector seen with x's shape: stride 1 on axis 1, 0 elsewhere. */
    private static BufferView channelView(Buffer v, long[] xs) {
        long[] st = new long[xs.length];
        st[1] = 1;
        return new BufferView(v, new Layout(xs, st, 0));
    }
}
