package dev.engine.inference;

import dev.engine.api.Backend;
import dev.engine.api.DType;
import dev.engine.api.DTypeException;
import dev.engine.api.EngineException;
import dev.engine.api.ShapeException;
import dev.engine.api.Shapes;
import dev.engine.autograd.Tensor;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * An optimised graph ready to run: immutable and safe to call from many threads at once. Weights are
 * uploaded once; each thread gets its own {@link ExecutionContext} (arena, input and output buffers) per
 * batch size, allocated on its first call, so later calls allocate no native memory. Shapes are
 * specialised: each batch size gets its own cached {@link ExecutionPlan}. A wrong feature size or dtype
 * throws naming the expected input shape.
 *
 * <pre>{@code
 * try (FrozenModel m = Freezer.freeze(model, new long[]{1, 784}, FreezeOptions.defaults())) {
 *     float[] logits = m.run(pixels, 1);          // [1, 10]
 *     System.out.println(m.describePlan(1));       // "fc1+bias+relu  linear ..." per step
 * }
 * }</pre>
 */
public final class FrozenModel implements AutoCloseable {
    private final Graph graph;
    private final Backend backend;
    private final Weights weights;
    private final List<String> passLog;
    private final long[] sampleShape;
    private final int featuresPerRow;
    private final Map<Integer, ExecutionPlan> plans = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<ExecutionContext> contexts = new ConcurrentLinkedQueue<>();
    private final ThreadLocal<Map<Integer, ExecutionContext>> local = ThreadLocal.withInitial(HashMap::new);
    private final boolean shareMemory;
    private volatile boolean closed;

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
        plan(Math.max(1, (int) Math.min(Integer.MAX_VALUE, s[0]))); // validates shapes before weights are uploaded
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
    /** The output shape for a batch. */
    public long[] outputShape(int batch) { return plan(batch).outputShape(); }
    public int outputFeatures() { return Shapes.numelInt(plan(1).outputShape()) ; }

    /** The cached plan for a batch size. */
    public ExecutionPlan plan(int batch) {
        if (batch < 1) throw new ShapeException("frozen model: batch size must be at least 1, got " + batch);
        return plans.computeIfAbsent(batch, b -> ExecutionPlan.build(graph, b, shareMemory));
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
        ExecutionContext ctx = context(input, batch);
        int need = Shapes.numelInt(ctx.plan().outputShape());
        if (out.length < need) throw new ShapeException("frozen model: output array holds " + out.length + " values, needs " + need);
        ctx.run(input, 0, out, 0);
    }

    /** Runs a tensor of shape [batch, ...sampleShape] (F32) and returns a new tensor. */
    public Tensor run(Tensor input) {
        if (input.dtype() != DType.F32)
            throw new DTypeException("frozen model: input has dtype " + input.dtype() + ", expected F32 of shape " + expected());
        long[] s = input.shape();
        if (s.length != sampleShape.length + 1 || !Arrays.equals(Arrays.copyOfRange(s, 1, s.length), sampleShape))
            throw new ShapeException("frozen model: input shape " + Shapes.str(s) + " does not match the expected " + expected());
        if (s[0] > Integer.MAX_VALUE) throw new ShapeException("frozen model: batch " + s[0] + " too large");
        int batch = (int) s[0];
        float[] out = run(input.toFloatArray(), batch);
        return Tensor.of(input.backend(), out, outputShape(batch));
    }

    private ExecutionContext context(float[] input, int batch) {
        if (closed) throw new EngineException("frozen model was closed");
        if (input == null) throw new EngineException("frozen model: input is null; expected " + expected());
        if (batch < 1) throw new ShapeException("frozen model: batch size must be at least 1, got " + batch + "; expected " + expected());
        long need = (long) batch * featuresPerRow;
        if (input.length != need)
            throw new ShapeException("frozen model: input has " + input.length + " values but a batch of " + batch + " of shape "
                    + Shapes.str(inputShape(batch)) + " needs " + need + " (expected input " + expected() + ")");
        Map<Integer, ExecutionContext> mine = local.get();
        ExecutionContext ctx = mine.get(batch);
        if (ctx == null) {
            ctx = new ExecutionContext(plan(batch), weights);
            mine.put(batch, ctx);
            contexts.add(ctx);
        }
        return ctx;
    }

    private String expected() { return "[batch" + (sampleShape.length == 0 ? "" : ", ") + Shapes.str(sampleShape).substring(1) + " F32"; }

    private static long[] withBatch(long[] sample, long batch) {
        long[] s = new long[sample.length + 1];
        s[0] = batch;
        System.arraycopy(sample, 0, s, 1, sample.length);
        return s;
    }

    /** Frees the weights and every thread's context. Calls after close throw. */
    @Override public void close() {
        closed = true;
        ExecutionContext c;
        while ((c = contexts.poll()) != null) c.close();
        weights.close();
    }
}
