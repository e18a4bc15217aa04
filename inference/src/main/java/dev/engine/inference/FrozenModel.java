package dev.engine.inference;

import dev.engine.graph.Graph;
import dev.engine.api.Backend;
import dev.engine.api.DType;
import dev.engine.api.DTypeException;
import dev.engine.api.EngineException;
import dev.engine.api.ShapeException;
import dev.engine.api.Shapes;
import dev.engine.autograd.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An optimised graph ready to run: immutable and safe to call from many threads at once. Weights are
 * uploaded once; each running call holds its own {@link ExecutionContext} (arena, input and output
 * buffers) for its batch size, taken from a small pool and returned after the call, so there are at most
 * as many contexts as concurrent callers and, once warmed up, calls allocate no native memory. Shapes are
 * specialised: each batch size gets its own cached {@link ExecutionPlan}. A wrong feature size or dtype
 * throws naming the expected input shape. A context's first call makes the kernel calls one by one and then
 * records them with the backend ({@link Backend#recordCall}): on CUDA every later call is one pinned
 * host-to-device copy, one graph launch, one device-to-host copy and one wait. When a backend cannot record
 * a plan, calls stay as they were and {@link #recordingFailure()} says why (logged once). Closing frees
 * idle contexts and the weights at once, and a context still in use when its call returns; calls after
 * close throw.
 *
 * <p>A model traced with several inputs (e.g. a sequence and its key-padding mask, see
 * {@link Freezer#freeze(dev.engine.graph.MultiInputTraceable, List, FreezeOptions)}) runs through
 * {@link #run(float[][], int)} or {@link #run(Tensor...)}, one array or tensor per input in
 * {@link #inputNames()} order, all with the same batch; a missing, extra or misshapen input throws naming it.
 * The single-input methods then refuse, naming the missing inputs.
 *
 * <pre>{@code
 * try (FrozenModel m = Freezer.freeze(model, new long[]{1, 784}, FreezeOptions.defaults())) {
 *     float[] logits = m.run(pixels, 1);          // [1, 10]
 *     System.out.println(m.describePlan(1));       // "fc1+bias+relu  linear ..." per step
 * }
 * float[] y = encoder.run(new float[][]{tokens, keyPaddingMask}, 2);   // a model with inputs x, key_padding_mask
 * }</pre>
 */
public final class FrozenModel implements AutoCloseable {
    private final Graph graph;
    private final Backend backend;
    private final Weights weights;
    private final List<String> passLog;
    private final long[] sampleShape;
    private final int featuresPerRow;
    private final List<String> inputNames;
    private final List<long[]> sampleShapes;  // every input's row shape, in inputNames order
    private final int[] valuesPerRow;
    private final Map<Integer, ExecutionPlan> plans = new ConcurrentHashMap<>();
    private final Map<Integer, ConcurrentLinkedQueue<ExecutionContext>> idle = new ConcurrentHashMap<>();
    private final boolean shareMemory;
    private final Object lifecycle = new Object();  // guards closed and inFlight
    private boolean closed;
    private int inFlight;
    private final AtomicReference<String> recordingFailure = new AtomicReference<>();
    private static final System.Logger LOG = System.getLogger(FrozenModel.class.getName());

    /** Wraps an (already optimised) graph; uploads its weights to {@code backend}. */
    public FrozenModel(Graph graph, Backend backend, List<String> passLog) { this(graph, backend, passLog, true); }

    /** As above; {@code shareMemory} false gives every intermediate its own arena region. */
    public FrozenModel(Graph graph, Backend backend, List<String> passLog, boolean shareMemory) {
        this.shareMemory = shareMemory;
        this.graph = graph;
        this.backend = backend;
        this.passLog = List.copyOf(passLog);
        long[] s = graph.input().shape();
        this.sampleShape = Arrays.copyOfRange(s, 1, s.length);
        this.featuresPerRow = Shapes.numelInt(sampleShape);
        this.inputNames = graph.inputNames();
        this.sampleShapes = graph.inputs().stream().map(v -> { long[] t = v.shape(); return Arrays.copyOfRange(t, 1, t.length); }).toList();
        this.valuesPerRow = sampleShapes.stream().mapToInt(Shapes::numelInt).toArray();
        ExecutionPlan.build(graph, Math.max(1, Math.min(Integer.MAX_VALUE, s[0])), shareMemory); // validates shapes before weights are uploaded
        this.weights = Weights.upload(graph, backend);
    }

    public Graph graph() { return graph; }
    public Backend backend() { return backend; }
    /** What each pass did, in order. */
    public List<String> appliedPasses() { return passLog; }
    /** One input row's shape (the input shape without the batch axis). */
    public long[] sampleShape() { return sampleShape.clone(); }
    /** The input shape for a batch, e.g. [batch, 1, 28, 28]. */
    public long[] inputShape(int batch) { return withBatch(sampleShape, batch); }
    public int inputFeatures() { return featuresPerRow; }
    /** The inputs' names, the main input first (e.g. [x, key_padding_mask]); one name for a single-input model. */
    public List<String> inputNames() { return inputNames; }
    /** Input {@code index}'s shape for a batch, in {@link #inputNames()} order. */
    public long[] inputShape(int index, int batch) { return withBatch(sampleShapes.get(index), batch); }
    /** The output shape for a batch. */
    public long[] outputShape(int batch) { return plan(batch).outputShape(); }
    public int outputFeatures() { return Shapes.numelInt(plan(1).outputShape()) ; }

    /** The cached plan for a batch size. */
    public ExecutionPlan plan(int batch) {
        if (batch < 1) throw new ShapeException("frozen model: batch size must be at least 1, got " + batch);
        return plans.computeIfAbsent(batch, b -> ExecutionPlan.build(graph, b, shareMemory,
                (conv, g, pool, p) -> weights.packed(conv) != null && (Int8Quantizer.isInt8(conv)
                        ? backend.fusesConvMaxPoolInt8(g, conv.activation(), p) : backend.fusesConvMaxPool(g, conv.activation(), p))));
    }

    /** The applied passes and the plan for a batch size, with readable fused names. */
    public String describePlan(int batch) {
        StringBuilder sb = new StringBuilder("passes:\n");
        for (String p : passLog) sb.append("  ").append(p).append('\n');
        return sb.append(plan(batch)).toString();
    }

    /** Runs {@code batch} rows held contiguously in {@code input}; returns the flattened output. */
    public float[] run(float[] input, int batch) {
        float[] out = new float[Shapes.numelInt(outputShape(batch))];
        run(input, batch, out);
        return out;
    }

    /** Like {@link #run(float[], int)} but writes into {@code out} (no Java allocation either). */
    public void run(float[] input, int batch, float[] out) {
        if (inputNames.size() > 1) throw new ShapeException("frozen model: " + missing(1) + "; run(float[][], int) takes all " + expectedAll());
        run(new float[][]{input}, batch, out);
    }

    /**
     * Runs {@code batch} rows of every input, one array per input in {@link #inputNames()} order, each
     * holding its input's rows contiguously; returns the flattened output.
     *
     * <pre>{@code
     * float[] y = m.run(new float[][]{x, mask}, 2);   // x [2, 10, 32], mask [2, 10]: 1 where a key is padding
     * }</pre>
     */
    public float[] run(float[][] inputs, int batch) {
        float[] out = new float[Shapes.numelInt(outputShape(Math.max(1, batch)))];
        run(inputs, batch, out);
        return out;
    }

    /** Like {@link #run(float[][], int)} but writes into {@code out}. */
    public void run(float[][] inputs, int batch, float[] out) {
        check(inputs, batch);
        ExecutionContext ctx = acquire(batch);
        try {
            int need = Shapes.numelInt(ctx.plan().outputShape());
            if (out == null) throw new EngineException("frozen model: output array is null; needs " + need + " values");
            if (out.length < need) throw new ShapeException("frozen model: output array holds " + out.length + " values, needs " + need);
            ctx.run(inputs, out, 0);
            if (ctx.recordingFailure() != null && recordingFailure.compareAndSet(null, ctx.recordingFailure()))
                LOG.log(System.Logger.Level.WARNING, "frozen model calls are not recorded: " + ctx.recordingFailure());
        } finally {
            release(batch, ctx);
        }
    }

    /**
     * Times each step of the plan for {@code batch}: runs the model once on {@code inputs} (checked as for
     * {@link #run(float[][], int)}), then the steps one by one {@code runs} times, and returns each step's
     * median, in plan order (a last "output-copy" step where the plan has one). For finding where a model's
     * time goes; the sum is a little above a normal call's latency, which runs the steps back to back.
     *
     * <pre>{@code
     * System.out.print(StepTiming.table(model.profile(new float[][]{x}, 8, 200)));
     * }</pre>
     */
    public List<StepTiming> profile(float[][] inputs, int batch, int runs) {
        if (runs < 1) throw new EngineException("frozen model: profile needs at least 1 run, got " + runs);
        float[] out = new float[Shapes.numelInt(outputShape(Math.max(1, batch)))];
        check(inputs, batch);
        ExecutionContext ctx = acquire(batch);
        try {
            ctx.run(inputs, out, 0);  // leaves the input in the context's input buffer
            long[] nanos = ctx.timeSteps(runs);
            ExecutionPlan plan = ctx.plan();
            List<StepTiming> r = new ArrayList<>();
            for (int i = 0; i < nanos.length; i++) {
                boolean copy = i == plan.steps().size();
                String name = copy ? "output-copy" : plan.stepLabel(i);
                String kind = copy ? "copy" : plan.steps().get(i).node().kind().name().toLowerCase();
                r.add(new StepTiming(i, name, kind, nanos[i] / 1e3));
            }
            return r;
        } finally {
            release(batch, ctx);
        }
    }

    /** Why a context could not record its call (the first such reason), or null; see {@link Backend#recordCall}. */
    public String recordingFailure() { return recordingFailure.get(); }

    /** How many idle contexts replay a recorded call (on CUDA: one graph each); for tests and diagnostics. */
    public int recordedContexts() {
        int n = 0;
        for (ConcurrentLinkedQueue<ExecutionContext> q : idle.values())
            for (ExecutionContext c : q) if (c.isRecorded()) n++;
        return n;
    }

    /** Runs {@code batch} rows and post-processes each output row (probabilities, top-k, labels, ...). */
    public Prediction[] predict(float[] input, int batch, PostProcessor post) {
        float[] out = run(input, batch);
        int w = out.length / batch;
        Prediction[] r = new Prediction[batch];
        for (int i = 0; i < batch; i++) r[i] = post.apply(out, i * w, w);
        return r;
    }

    /**
     * Runs tensors of shape [batch, ...] (F32), one per input in {@link #inputNames()} order, and returns a new
     * tensor: {@code m.run(x)}, or {@code m.run(x, keyPaddingMask)} for a model with a mask input.
     */
    public Tensor run(Tensor... inputs) {
        if (inputs == null) throw new EngineException("frozen model: inputs are null; expected " + expectedAll());
        if (inputs.length < inputNames.size()) throw new ShapeException("frozen model: " + missing(inputs.length) + "; expected " + expectedAll());
        if (inputs.length > inputNames.size()) throw new ShapeException(tooMany(inputs.length));
        float[][] arrays = new float[inputs.length][];
        long batch = -1;
        for (int i = 0; i < inputs.length; i++) {
            Tensor t = inputs[i];
            if (t == null) throw new EngineException("frozen model: " + label(i) + " is null; expected " + expected(i));
            if (t.dtype() != DType.F32)
                throw new DTypeException("frozen model: " + label(i) + " has dtype " + t.dtype() + ", expected F32 of shape " + expected(i)
                        + (i > 0 ? " (a mask: convert it with .to(DType.F32), non-zero where a key is padding)" : ""));
            long[] s = t.shape();
            long[] row = sampleShapes.get(i);
            if (s.length != row.length + 1 || !Arrays.equals(Arrays.copyOfRange(s, 1, s.length), row))
                throw new ShapeException("frozen model: " + label(i) + " shape " + Shapes.str(s) + " does not match the expected " + expected(i));
            if (s[0] > Integer.MAX_VALUE) throw new ShapeException("frozen model: batch " + s[0] + " too large");
            if (batch >= 0 && s[0] != batch)
                throw new ShapeException("frozen model: input '" + inputNames.get(i) + "' has batch " + s[0] + " but input '" + inputNames.get(0)
                        + "' has " + batch + "; every input shares the batch");
            batch = s[0];
            arrays[i] = t.toFloatArray();
        }
        float[] out = run(arrays, (int) batch);
        return Tensor.of(inputs[0].backend(), out, outputShape((int) batch));
    }

    /** Each input present, of its shape at {@code batch}; each error names the input. */
    private void check(float[][] inputs, int batch) {
        synchronized (lifecycle) {
            if (closed) throw new EngineException("frozen model was closed");
        }
        if (inputs == null) throw new EngineException("frozen model: inputs are null; expected " + expectedAll());
        if (inputs.length < inputNames.size()) throw new ShapeException("frozen model: " + missing(inputs.length) + "; expected " + expectedAll());
        if (inputs.length > inputNames.size()) throw new ShapeException(tooMany(inputs.length));
        if (batch < 1) throw new ShapeException("frozen model: batch size must be at least 1, got " + batch + "; expected " + expectedAll());
        for (int i = 0; i < inputs.length; i++) {
            String name = label(i);
            if (inputs[i] == null) throw new EngineException("frozen model: " + name + " is null; expected " + expected(i));
            long need = (long) batch * valuesPerRow[i];
            if (inputs[i].length != need)
                throw new ShapeException("frozen model: " + name + " has " + inputs[i].length + " values but a batch of " + batch + " of shape "
                        + Shapes.str(inputShape(i, batch)) + " needs " + need + " (expected " + name + " " + expected(i) + ")");
        }
    }

    /** How errors name input {@code i}: "input" for a single-input model, else "input 'key_padding_mask'". */
    private String label(int i) { return inputNames.size() == 1 ? "input" : "input '" + inputNames.get(i) + "'"; }

    /** "input 'mask' is missing" for the inputs after the first {@code given}. */
    private String missing(int given) {
        List<String> names = inputNames.subList(given, inputNames.size());
        return (names.size() == 1 ? "input '" + names.get(0) + "' is" : "inputs " + names + " are") + " missing (" + given + " given)";
    }

    private String tooMany(int given) {
        return "frozen model: takes " + inputNames.size() + (inputNames.size() == 1 ? " input" : " inputs") + " (" + expectedAll() + ") but got " + given;
    }

    /** A context for {@code batch} that no other thread is using: an idle one, or a new one (the only allocation). */
    private ExecutionContext acquire(int batch) {
        synchronized (lifecycle) {
            if (closed) throw new EngineException("frozen model was closed");
            inFlight++;
        }
        try {
            ExecutionContext ctx = idle.computeIfAbsent(batch, b -> new ConcurrentLinkedQueue<>()).poll();
            return ctx != null ? ctx : new ExecutionContext(plan(batch), weights);
        } catch (RuntimeException e) {
            release(batch, null);
            throw e;
        }
    }

    /** Back to the pool; after close, frees the context instead, and the weights when no call is left. */
    private void release(int batch, ExecutionContext ctx) {
        boolean last;
        synchronized (lifecycle) {
            inFlight--;
            if (!closed) {
                if (ctx != null) idle.get(batch).offer(ctx);
                return;
            }
            last = inFlight == 0;
        }
        if (ctx != null) ctx.close();
        if (last) weights.close();
    }

    private String expected(int i) {
        long[] row = sampleShapes.get(i);
        return "[batch" + (row.length == 0 ? "" : ", ") + Shapes.str(row).substring(1) + " F32";
    }

    /** Every input with its expected shape: "x [batch, 10, 32] F32, key_padding_mask [batch, 10] F32". */
    private String expectedAll() {
        if (inputNames.size() == 1) return expected(0);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < inputNames.size(); i++) sb.append(i == 0 ? "" : ", ").append(inputNames.get(i)).append(' ').append(expected(i));
        return sb.toString();
    }

    private static long[] withBatch(long[] sample, long batch) {
        long[] s = new long[sample.length + 1];
        s[0] = batch;
        System.arraycopy(sample, 0, s, 1, sample.length);
        return s;
    }

    /** Frees the weights and every context; a call still running frees its own when it returns. Calls after close throw. */
    @Override public void close() {
        boolean none;
        synchronized (lifecycle) {
            if (closed) return;
            closed = true;
            none = inFlight == 0;
        }
        for (ConcurrentLinkedQueue<ExecutionContext> q : idle.values()) {
            ExecutionContext c;
            while ((c = q.poll()) != null) c.close();
        }
        if (none) weights.close();
    }
}
