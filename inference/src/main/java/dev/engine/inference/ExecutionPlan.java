package dev.engine.inference;

import dev.engine.graph.Value;
import dev.engine.graph.Graph;
import dev.engine.graph.Node;
import dev.engine.graph.OpKind;
import dev.engine.graph.ShapeInference;
import dev.engine.api.Conv2dShape;
import dev.engine.api.DType;
import dev.engine.api.Pool2dShape;
import dev.engine.api.EngineException;
import dev.engine.api.Shapes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A graph linearised and specialised to one batch size: the shape of every value, where every value
 * lives (the input buffer, the output buffer, a constant, or an offset in the arena), the steps that
 * run kernels, and the scratch each step needs. Lifetimes over the step order feed the
 * {@link ArenaPlanner}. Immutable; each {@link FrozenModel} caches one per batch size.
 *
 * <pre>{@code
 * ExecutionPlan p = ExecutionPlan.build(graph, 64);
 * System.out.println(p);   // steps with fused names, shapes and arena offsets
 * }</pre>
 */
public final class ExecutionPlan {
    /** Where a value's elements are; FUSED: nowhere (a fused chain's intermediate that no kernel writes). */
    public enum Home { INPUT, OUTPUT, CONSTANT, ARENA, FUSED }

    /**
     * Whether a packed convolution and the max pool that alone reads its output run as one call on the plan's
     * backend ({@link dev.engine.api.Backend#fusesConvMaxPool}, {@link dev.engine.api.Backend#fusesConvMaxPoolInt8}
     * for an int8 one); the convolution's output then gets no memory.
     */
    @FunctionalInterface
    public interface ConvPoolFusion {
        boolean fuses(Node conv, Conv2dShape g, Node pool, Pool2dShape p);

        ConvPoolFusion NONE = (conv, g, pool, p) -> false;
    }

    /**
     * A value's storage: home and byte offset (arena, or input: a graph's inputs lie one after another in one
     * input buffer, in {@link Graph#inputs()} order, so a call copies them in as one block); {@code root} is the
     * value it aliases (views).
     */
    public record Slot(Home home, long byteOffset, int root) {}

    /** Extra memory a step needs while it runs (pool indices, norm statistics). */
    public record Scratch(DType dtype, long elements, long byteOffset) {}

    /** One kernel launch: a node and its scratch. */
    public record Step(Node node, List<Scratch> scratch) {}

    static final long ALIGN = 64;

    private final Graph graph;
    private final long batch;
    private final Map<Integer, long[]> shapes;
    private final Map<Integer, Slot> slots;
    private final List<Step> steps;
    private final boolean finalCopy;
    private final long arenaBytes;
    private final long inputElements;
    private final Set<Integer> fusedWithNext;

    private ExecutionPlan(Graph g, long batch, Map<Integer, long[]> shapes, Map<Integer, Slot> slots, List<Step> steps, boolean finalCopy, long arenaBytes,
                          long inputElements, Set<Integer> fusedWithNext) {
        this.graph = g; this.batch = batch; this.shapes = shapes; this.slots = slots; this.steps = steps; this.finalCopy = finalCopy; this.arenaBytes = arenaBytes;
        this.inputElements = inputElements;
        this.fusedWithNext = fusedWithNext;
    }

    /** Infers shapes for {@code batch}, linearises, computes lifetimes and plans the arena. */
    public static ExecutionPlan build(Graph g, long batch) { return build(g, batch, true); }

    /** As {@link #build(Graph, long)}; with {@code share} false every value gets its own arena region. */
    public static ExecutionPlan build(Graph g, long batch, boolean share) { return build(g, batch, share, ConvPoolFusion.NONE); }

    /**
     * As {@link #build(Graph, long, boolean)}, running the convolution + max pool chains {@code fusion} accepts as
     * one step each (what {@link FrozenModel} does with its backend and packed weights).
     *
     * <pre>{@code
     * ExecutionPlan p = ExecutionPlan.build(graph, 64, true, (conv, g, pool, q) -> be.fusesConvMaxPool(g, conv.activation(), q));
     * p.fusedWithNext(0);   // true when step 0 also runs step 1's pool
     * }</pre>
     */
    public static ExecutionPlan build(Graph g, long batch, boolean share, ConvPoolFusion fusion) {
        if (batch < 1) throw new EngineException("frozen model: batch size must be at least 1, got " + batch);
        Map<Integer, long[]> shapes = new HashMap<>();
        Map<Integer, Integer> root = new HashMap<>();
        Map<Integer, OpKind> rootKind = new HashMap<>();
        for (Node n : g.nodes()) {
            long[][] in = new long[n.inputs().size()][];
            for (int i = 0; i < in.length; i++) in[i] = shapes.get(n.input(i).id());
            long[] s;
            try {
                s = ShapeInference.infer(n, in, batch);
            } catch (ArithmeticException e) {
                throw new EngineException("frozen model: shapes of '" + n.name() + "' overflow at batch " + batch);
            }
            shapes.put(n.output().id(), s);
            int id = n.output().id();
            if (isView(n.kind())) root.put(id, root.get(n.input(0).id()));
            else { root.put(id, id); rootKind.put(id, n.kind()); }
        }
        // Linearise: steps in graph order, skipping views and sources.
        List<Node> launches = new ArrayList<>();
        for (Node n : g.nodes()) if (!isView(n.kind()) && n.kind() != OpKind.INPUT && n.kind() != OpKind.CONSTANT) launches.add(n);
        int outRoot = root.get(g.output().id());
        OpKind outKind = rootKind.get(outRoot);
        boolean finalCopy = outKind == OpKind.INPUT || outKind == OpKind.CONSTANT;
        Set<Integer> fusedWithNext = new HashSet<>(), fusedValues = new HashSet<>();
        for (int i = 0; i + 1 < launches.size(); i++)
            if (fusesWithNext(g, launches.get(i), launches.get(i + 1), shapes, fusion)) {
                fusedWithNext.add(i);
                fusedValues.add(launches.get(i).output().id());
            }
        // Lifetimes of arena roots: from the producing step to the last step reading any alias. A fused pool's
        // output is written by the convolution's step, while that step still reads its input.
        Map<Integer, int[]> life = new HashMap<>();
        for (int i = 0; i < launches.size(); i++) {
            Node n = launches.get(i);
            int r = n.output().id();
            int written = i > 0 && fusedWithNext.contains(i - 1) ? i - 1 : i;
            if (r != outRoot && !fusedValues.contains(r)) life.put(r, new int[]{written, i});
            for (Value v : n.inputs()) {
                int[] l = life.get(root.get(v.id()));
                if (l != null) l[1] = Math.max(l[1], i);
            }
        }
        List<ArenaPlanner.Block> blocks = new ArrayList<>();
        List<Integer> blockValue = new ArrayList<>();
        for (Map.Entry<Integer, int[]> e : life.entrySet()) {
            blocks.add(new ArenaPlanner.Block(DType.F32.bytes(Shapes.numel(shapes.get(e.getKey()))), e.getValue()[0], e.getValue()[1]));
            blockValue.add(e.getKey());
        }
        int valueBlocks = blocks.size();
        List<long[]> scratchReq = new ArrayList<>(); // {step, dtypeOrdinal, elements}
        for (int i = 0; i < launches.size(); i++) {
            Node n = launches.get(i);
            long[] out = shapes.get(n.output().id());
            switch (n.kind()) {
                case EMBEDDING -> scratchReq.add(new long[]{i, DType.I64.ordinal(), Shapes.numel(shapes.get(n.input(0).id()))});
                case LAYERNORM -> {
                    long rows = Shapes.numel(out) / Math.max(1, out[out.length - 1]);
                    scratchReq.add(new long[]{i, DType.F32.ordinal(), rows});
                    scratchReq.add(new long[]{i, DType.F32.ordinal(), rows});
                }
                default -> { }
            }
        }
        for (long[] s : scratchReq) blocks.add(new ArenaPlanner.Block(DType.values()[(int) s[1]].bytes(s[2]), (int) s[0], (int) s[0]));
        ArenaPlanner.Placement p = share ? ArenaPlanner.plan(blocks, ALIGN) : ArenaPlanner.sequential(blocks, ALIGN);
        long[] off = p.offsets();
        Map<Integer, Long> inputOffset = new HashMap<>();
        long inputElements = 0;
        for (Value v : g.inputs()) {
            inputOffset.put(v.id(), DType.F32.bytes(inputElements));
            inputElements += Shapes.numel(shapes.get(v.id()));
        }
        Map<Integer, Slot> slots = new HashMap<>();
        for (Node n : g.nodes()) {
            int id = n.output().id(), r = root.get(id);
            Home h = r == outRoot && !finalCopy ? Home.OUTPUT : fusedValues.contains(r) ? Home.FUSED : switch (rootKind.get(r)) {
                case INPUT -> Home.INPUT;
                case CONSTANT -> Home.CONSTANT;
                default -> Home.ARENA;
            };
            slots.put(id, new Slot(h, h == Home.INPUT ? inputOffset.get(r) : 0, r));
        }
        for (int b = 0; b < valueBlocks; b++) {
            int v = blockValue.get(b);
            for (Map.Entry<Integer, Slot> e : slots.entrySet())
                if (e.getValue().root() == v) e.setValue(new Slot(Home.ARENA, off[b], v));
        }
        List<List<Scratch>> scratch = new ArrayList<>();
        for (int i = 0; i < launches.size(); i++) scratch.add(new ArrayList<>());
        for (int s = 0; s < scratchReq.size(); s++) {
            long[] q = scratchReq.get(s);
            scratch.get((int) q[0]).add(new Scratch(DType.values()[(int) q[1]], q[2], off[valueBlocks + s]));
        }
        List<Step> steps = new ArrayList<>();
        for (int i = 0; i < launches.size(); i++) steps.add(new Step(launches.get(i), List.copyOf(scratch.get(i))));
        return new ExecutionPlan(g, batch, Collections.unmodifiableMap(shapes), Collections.unmodifiableMap(slots), List.copyOf(steps), finalCopy, p.totalBytes(),
                inputElements, Set.copyOf(fusedWithNext));
    }

    /** A convolution, then the max pool that alone reads its output, where {@code fusion} runs them as one call. */
    private static boolean fusesWithNext(Graph g, Node conv, Node next, Map<Integer, long[]> shapes, ConvPoolFusion fusion) {
        if (conv.kind() != OpKind.CONV2D || next.kind() != OpKind.MAXPOOL2D) return false;
        Value mid = conv.output();
        if (!next.input(0).equals(mid) || g.uses(mid) != 1 || mid.equals(g.output())) return false;
        Conv2dShape cg = ShapeInference.conv(conv, shapes.get(conv.input(0).id()), conv.name());
        Pool2dShape pg = ShapeInference.pool(next, shapes.get(mid.id()), next.name());
        return fusion.fuses(conv, cg, next, pg);
    }

    /** Whether step {@code i} also runs step {@code i + 1} (a fused convolution + max pool; that step then does nothing). */
    public boolean fusedWithNext(int i) { return fusedWithNext.contains(i); }

    /** Step {@code i}'s node name, with what the step fused in from the next one or into the one before. */
    public String stepLabel(int i) {
        String name = steps.get(i).node().name();
        if (fusedWithNext(i)) return name + "+" + steps.get(i + 1).node().name();
        return i > 0 && fusedWithNext(i - 1) ? name + " (fused above)" : name;
    }

    /** Kinds executed as views over their input's memory (no kernel). */
    static boolean isView(OpKind k) {
        return k == OpKind.FLATTEN || k == OpKind.RESHAPE || k == OpKind.IDENTITY || k == OpKind.DROPOUT;
    }

    public Graph graph() { return graph; }
    public long batch() { return batch; }
    public long[] shape(Value v) { return shapes.get(v.id()).clone(); }
    long[] shapeOf(int id) { return shapes.get(id); }
    public Slot slot(Value v) { return slots.get(v.id()); }
    public List<Step> steps() { return steps; }
    /** True when the output aliases the input or a constant and is copied out by a last step. */
    public boolean finalCopy() { return finalCopy; }
    public long arenaBytes() { return arenaBytes; }
    /** The main input's shape. */
    public long[] inputShape() { return shape(graph.input()); }
    /** Every input's shape, in {@link Graph#inputs()} order. */
    public List<long[]> inputShapes() { return graph.inputs().stream().map(this::shape).toList(); }
    /** The values of every input together: the size of the one input buffer they share. */
    public long inputElements() { return inputElements; }
    public long[] outputShape() { return shape(graph.output()); }

    /** Lifetimes of arena values and scratch as (bytes, first, last, offset) rows, for checks. */
    public List<long[]> arenaIntervals() {
        List<long[]> out = new ArrayList<>();
        Map<Integer, int[]> life = new HashMap<>();
        for (int i = 0; i < steps.size(); i++) {
            Node n = steps.get(i).node();
            Slot so = slots.get(n.output().id());
            if (so.home() == Home.ARENA) life.putIfAbsent(so.root(), new int[]{i > 0 && fusedWithNext(i - 1) ? i - 1 : i, i});
            for (Value v : n.inputs()) {
                Slot s = slots.get(v.id());
                if (s.home() == Home.ARENA) life.get(s.root())[1] = i;
            }
            for (Scratch sc : steps.get(i).scratch()) out.add(new long[]{sc.dtype().bytes(sc.elements()), i, i, sc.byteOffset()});
        }
        life.forEach((r, l) -> out.add(new long[]{DType.F32.bytes(Shapes.numel(shapes.get(r))), l[0], l[1], slots.get(r).byteOffset()}));
        return out;
    }

    @Override public String toString() {
        StringBuilder sb = new StringBuilder();
        StringBuilder in = new StringBuilder(Shapes.str(inputShape()));
        for (int i = 1; i < graph.inputs().size(); i++) in.append(", ").append(graph.inputNames().get(i)).append(' ').append(Shapes.str(shape(graph.inputs().get(i))));
        sb.append(String.format("plan for batch %d: %d steps, arena %d bytes, input %s -> output %s%n", batch, steps.size() + (finalCopy ? 1 : 0),
                arenaBytes, in, Shapes.str(outputShape())));
        for (int i = 0; i < steps.size(); i++) {
            Node n = steps.get(i).node();
            Slot s = slots.get(n.output().id());
            StringBuilder ins = new StringBuilder();
            for (Value v : n.inputs()) ins.append(ins.length() == 0 ? "" : ", ").append(Shapes.str(shapes.get(v.id())));
            sb.append(String.format("  %2d  %-28s %-12s %s -> %s  @%s%n", i, n.name(), n.kind().name().toLowerCase(), ins,
                    Shapes.str(shapes.get(n.output().id())), s.home() == Home.ARENA ? "arena+" + s.byteOffset() : s.home().name().toLowerCase()));
        }
        if (finalCopy) sb.append(String.format("  %2d  %-28s copy -> output%n", steps.size(), "output-copy"));
        return sb.toString();
    }
}
