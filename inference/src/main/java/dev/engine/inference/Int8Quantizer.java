package dev.engine.inference;

import dev.engine.api.Backend;
import dev.engine.api.InputQuantization;
import dev.engine.api.ShapeException;
import dev.engine.api.Shapes;
import dev.engine.graph.Const;
import dev.engine.graph.Graph;
import dev.engine.graph.Node;
import dev.engine.graph.OpKind;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Turns every Linear node (and, when the {@link Quantization} includes convolutions, every Conv2d node of
 * groups 1) of an optimised graph into an int8 one: its
 * weight becomes "weightQ" (Linear: [in, out]; Conv2d: KCRS; integers in [-127, 127], symmetric per output
 * channel) and "weightScale" ([out]); a static quantisation also stores the input's "inputScale" and
 * "inputZeroPoint", calibrated by running the F32 graph on the calibration rows and observing each such
 * node's input. Bias, residual and activation stay as fused. {@link Weights} packs such a node with
 * {@code Backend.packMatrixInt8}; {@link ExecutionContext} runs it with {@code gemmInt8Packed} or
 * {@code conv2dForwardInt8Packed}.
 *
 * <pre>{@code
 * Graph q = Int8Quantizer.apply(graph, Quantization.int8Static(rows), backend);
 * }</pre>
 */
final class Int8Quantizer {
    static final String WEIGHT_Q = "weightQ", WEIGHT_SCALE = "weightScale", INPUT_SCALE = "inputScale", INPUT_ZERO_POINT = "inputZeroPoint";
    /** Values a percentile observer keeps per layer (a uniform sample of all it sees). */
    static final int RESERVOIR = 1 << 20;
    private static final int CALIBRATION_BATCH = 64;

    private Int8Quantizer() {}

    static boolean isInt8(Node n) { return (n.kind() == OpKind.LINEAR || n.kind() == OpKind.CONV2D) && n.constOrNull(WEIGHT_Q) != null; }

    /** Linear layers, and when asked convolutions of groups 1 (the int8 convolution's one layout). */
    private static boolean quantizable(Node n, Quantization q) {
        if (isInt8(n)) return false;
        return n.kind() == OpKind.LINEAR
                || (q.convolutions() && n.kind() == OpKind.CONV2D && n.intOr("groups", 1) == 1 && n.constOrNull("weight") != null);
    }

    static Graph apply(Graph g, Quantization q, Backend be) {
        List<Node> linears = new ArrayList<>();
        for (Node n : g.nodes()) if (quantizable(n, q)) linears.add(n);
        Map<Node, InputQuantization> inputs = q.isStatic() ? calibrate(g, q, be, linears) : Map.of();
        List<Node> out = new ArrayList<>();
        for (Node n : g.nodes()) {
            if (!quantizable(n, q)) { out.add(n); continue; }
            Const[] w = n.kind() == OpKind.CONV2D ? quantizeConvWeight(n.constOrNull("weight")) : quantizeWeight(n);
            Node.Builder b = n.toBuilder().name(n.name() + "+int8").constant("weight", null).constant("weightT", null)
                    .constant(WEIGHT_Q, w[0]).constant(WEIGHT_SCALE, w[1]);
            if (n.kind() == OpKind.CONV2D) b.ints(WeightPacking.PACK_CONV, 0);
            InputQuantization iq = inputs.get(n);
            if (iq != null) b.floatAttr(INPUT_SCALE, iq.scale()).floatAttr(INPUT_ZERO_POINT, iq.zeroPoint());
            out.add(b.build());
        }
        return new Graph(out, g.input(), g.output());
    }

    /** [in, out] integer weights and the [out] scales: scale = max |w| / 127 per column (1 for a zero column). */
    static Const[] quantizeWeight(Node n) {
        Const wt = n.constOrNull("weightT");
        float[] t = wt != null ? wt.data() : WeightPacking.transpose(n.constOrNull("weight")).data();
        long[] s = wt != null ? wt.shape() : new long[]{n.constOrNull("weight").shape()[1], n.constOrNull("weight").shape()[0]};
        int in = (int) s[0], outF = (int) s[1];
        float[] scales = new float[outF], q = new float[in * outF];
        for (int j = 0; j < outF; j++) {
            float max = 0;
            for (int k = 0; k < in; k++) max = Math.max(max, Math.abs(t[k * outF + j]));
            float sc = max > 0 ? max / 127f : 1f;
            scales[j] = sc;
            for (int k = 0; k < in; k++) q[k * outF + j] = Math.max(-127, Math.min(127, Math.round(t[k * outF + j] / sc)));
        }
        return new Const[]{new Const(q, in, outF), new Const(scales, outF)};
    }

    /** KCRS integer weights (same shape) and the [K] scales: scale = max |w| / 127 per filter (1 for a zero filter). */
    static Const[] quantizeConvWeight(Const w) {
        long[] s = w.shape();
        int k = (int) s[0], per = w.numel() / Math.max(1, k);
        float[] d = w.data(), q = new float[d.length], scales = new float[k];
        for (int f = 0; f < k; f++) {
            float max = 0;
            for (int t = 0; t < per; t++) max = Math.max(max, Math.abs(d[f * per + t]));
            float sc = max > 0 ? max / 127f : 1f;
            scales[f] = sc;
            for (int t = 0; t < per; t++) q[f * per + t] = Math.max(-127, Math.min(127, Math.round(d[f * per + t] / sc)));
        }
        return new Const[]{new Const(q, s), new Const(scales, k)};
    }

    /** Runs the F32 graph on the calibration samples and gives each quantised node's input its observed range. */
    private static Map<Node, InputQuantization> calibrate(Graph g, Quantization q, Backend be, List<Node> linears) {
        float[][][] inputs = q.calibration();
        int count = g.inputs().size();
        if (inputs.length != count)
            throw new ShapeException("quantization: the calibration has rows for " + inputs.length + " input" + (inputs.length == 1 ? "" : "s")
                    + ", the model has " + count + " " + g.inputNames() + "; pass one array of rows per input, in that order");
        int[] features = new int[count];
        int perSample = 0;
        for (int k = 0; k < count; k++) {
            long[] sample = g.inputs().get(k).shape().clone();
            sample[0] = 1;
            features[k] = Shapes.numelInt(sample);
            perSample += features[k];
            String which = count == 1 ? "the model's input" : "input '" + g.inputNames().get(k) + "'";
            for (int i = 0; i < inputs[k].length; i++)
                if (inputs[k][i].length != features[k])
                    throw new ShapeException("quantization: calibration row " + i + (count == 1 ? "" : " of input " + k) + " has " + inputs[k][i].length
                            + " values, " + which + " needs " + features[k]);
        }
        int samples = inputs[0].length;
        Map<Node, Observed> seen = new IdentityHashMap<>();
        for (Node n : linears) seen.put(n, new Observed(q.observer()));
        try (Weights w = Weights.upload(g, be)) {
            for (int r0 = 0; r0 < samples; r0 += CALIBRATION_BATCH) {
                int batch = Math.min(CALIBRATION_BATCH, samples - r0);
                // the inputs one after another, as the plan's input buffer holds them
                float[] x = new float[batch * perSample];
                for (int k = 0, at = 0; k < count; at += batch * features[k], k++)
                    for (int i = 0; i < batch; i++) System.arraycopy(inputs[k][r0 + i], 0, x, at + i * features[k], features[k]);
                try (ExecutionContext ctx = new ExecutionContext(ExecutionPlan.build(g, batch, false), w)) {
                    be.copyIn(x, 0, ctx.inputBuffer(), 0, x.length);
                    ctx.runBuffers();
                    for (Node n : linears) seen.get(n).add(ctx.read(n.input(0)));
                }
            }
        }
        Map<Node, InputQuantization> out = new IdentityHashMap<>();
        for (Node n : linears) out.put(n, seen.get(n).params());
        return out;
    }

    /** What an observer has seen of one layer's input: min/max, and a uniform sample for percentiles. */
    private static final class Observed {
        private final Quantization.Observer observer;
        private float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
        private float[] sample;
        private long count;
        private final Random random = new Random(42);

        Observed(Quantization.Observer o) { this.observer = o; }

        void add(float[] v) {
            for (float f : v) {
                if (!Float.isFinite(f)) continue;
                min = Math.min(min, f);
                max = Math.max(max, f);
                if (observer.percentile() >= 100) continue;
                if (sample == null) sample = new float[RESERVOIR];
                if (count < RESERVOIR) sample[(int) count] = f;
                else {
                    long j = (long) (random.nextDouble() * (count + 1));
                    if (j < RESERVOIR) sample[(int) j] = f;
                }
                count++;
            }
        }

        InputQuantization params() {
            if (min > max) return InputQuantization.of(1f, 0);  // nothing finite seen
            if (observer.percentile() >= 100) return InputQuantization.ofRange(min, max);
            float[] r = observer.range(sample, (int) Math.min(count, RESERVOIR));
            return InputQuantization.ofRange(r[0], r[1]);
        }
    }
}
