package dev.engine.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.DType;
import dev.engine.api.DTypeException;
import dev.engine.api.EngineException;
import dev.engine.api.ShapeException;
import dev.engine.autograd.Generator;
import dev.engine.autograd.GradMode;
import dev.engine.autograd.MemoryScope;
import dev.engine.autograd.Tensor;
import dev.engine.graph.Graph;
import dev.engine.graph.InputSpec;
import dev.engine.graph.OpKind;
import dev.engine.nn.LayerNorm;
import dev.engine.nn.MultiHeadAttention;
import dev.engine.nn.TransformerEncoder;
import dev.engine.nn.TransformerEncoderLayer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A key-padding mask as a second model input of a frozen transformer: against the eager forward with the same
 * mask, against a naive Java attention, a fully padded row, a recorded context fed new masks, a bundle round
 * trip, and bad inputs named in the error.
 */
class KeyPaddingMaskTest {
    static final int L = 6, E = 16, H = 4;
    static final List<InputSpec> SPECS = List.of(InputSpec.of("x", 1, L, E), InputSpec.of("key_padding_mask", 1, L));

    /** Row b has its last pads[b] keys padded (1), the rest 0. */
    static float[] mask(int... pads) {
        float[] m = new float[pads.length * L];
        for (int b = 0; b < pads.length; b++) for (int j = L - pads[b]; j < L; j++) m[b * L + j] = 1;
        return m;
    }

    static float[] eager(TransformerEncoderLayer m, float[] x, float[] mask, int batch, boolean causal) {
        try (GradMode g = GradMode.noGrad(); MemoryScope s = MemoryScope.open()) {
            return m.forward(Tensor.of(x, batch, L, E), Tensor.of(mask, batch, L), causal).toFloatArray();
        }
    }

    static FrozenModel freezeLayer(TransformerEncoderLayer m, boolean causal, FreezeOptions o) {
        return Freezer.freeze((t, in) -> m.trace(t, in.get(0), in.get(1), causal), SPECS, o);
    }

    @Test void frozenLayerWithMaskMatchesEager() {
        for (boolean normFirst : new boolean[]{false, true}) {
            TransformerEncoderLayer m = new TransformerEncoderLayer(E, H, 32, 0.1, normFirst, normFirst, new Generator(11));
            m.eval();
            float[] x = Models.randn(new Random(1), 3 * L * E, 1), pad = mask(0, 2, 4);
            float[] want = eager(m, x, pad, 3, false);
            for (FreezeOptions o : new FreezeOptions[]{FreezeOptions.defaults(), FreezeOptions.none()}) {
                try (FrozenModel f = freezeLayer(m, false, o)) {
                    assertEquals(List.of("x", "key_padding_mask"), f.inputNames());
                    assertArrayEquals(want, f.run(new float[][]{x, pad}, 3), 1e-5f, f.describePlan(3));
                    // one row alone gives that row's values: the mask's batch follows x's
                    float[] row1 = f.run(new float[][]{Arrays.copyOfRange(x, L * E, 2 * L * E), Arrays.copyOfRange(pad, L, 2 * L)}, 1);
                    assertArrayEquals(Arrays.copyOfRange(want, L * E, 2 * L * E), row1, 1e-5f);
                    try (Tensor y = f.run(Tensor.of(x, 3, L, E), Tensor.of(pad, 3, L))) {
                        assertArrayEquals(want, y.toFloatArray(), 1e-5f);
                    }
                }
            }
        }
    }

    /** The mask changes the result (else the tests above would pass with the mask ignored). */
    @Test void theMaskMatters() {
        TransformerEncoderLayer m = new TransformerEncoderLayer(E, H, 32, 0.0, false, false, new Generator(12));
        m.eval();
        float[] x = Models.randn(new Random(2), L * E, 1);
        try (FrozenModel f = freezeLayer(m, false, FreezeOptions.defaults())) {
            float[] none = f.run(new float[][]{x, mask(0)}, 1), some = f.run(new float[][]{x, mask(3)}, 1);
            assertTrue(maxDiff(none, some) > 1e-3, "padding three keys must change the output");
            assertArrayEquals(eager(m, x, mask(0), 1, false), none, 1e-5f);
        }
    }

    /** A context records its call after the first run; later runs with other masks must still read them. */
    @Test void recordedCallsReadEachCallsMask() {
        TransformerEncoderLayer m = new TransformerEncoderLayer(E, H, 32, 0.0, false, false, new Generator(13));
        m.eval();
        float[] x = Models.randn(new Random(3), 2 * L * E, 1);
        try (FrozenModel f = freezeLayer(m, false, FreezeOptions.defaults())) {
            for (int[] pads : new int[][]{{0, 1}, {2, 5}, {5, 0}, {0, 1}}) {
                float[] pad = mask(pads);
                assertArrayEquals(eager(m, x, pad, 2, false), f.run(new float[][]{x, pad}, 2), 1e-5f, Arrays.toString(pads));
            }
        }
    }

    @Test void causalEncoderWithFinalNormAndMaskMatchesEager() {
        Generator g = new Generator(14);
        TransformerEncoder enc = new TransformerEncoder(() -> new TransformerEncoderLayer(E, H, 24, 0.1, true, false, g), 2, new LayerNorm(E));
        enc.eval();
        float[] x = Models.randn(new Random(4), 2 * L * E, 1), pad = mask(1, 3);
        float[] want;
        try (GradMode gm = GradMode.noGrad(); MemoryScope s = MemoryScope.open()) {
            want = enc.forward(Tensor.of(x, 2, L, E), Tensor.of(pad, 2, L), true).toFloatArray();
        }
        try (FrozenModel f = Freezer.freeze((t, in) -> enc.trace(t, in.get(0), in.get(1), true), SPECS, FreezeOptions.defaults())) {
            assertArrayEquals(want, f.run(new float[][]{x, pad}, 2), 1e-5f, f.describePlan(2));
            assertEquals(2, f.graph().nodes().stream().filter(n -> n.kind() == OpKind.ATTENTION && n.inputs().size() == 2).count(),
                    "both layers' attention reads the mask input");
        }
    }

    /** MultiHeadAttention frozen with a mask against a naive Java attention from its parameters. */
    @Test void frozenAttentionMatchesNaiveJava() {
        MultiHeadAttention mha = new MultiHeadAttention(E, H, 0, new Generator(15));
        Map<String, Tensor> p = mha.namedParameters();
        set(p.get("in_proj_bias"), Models.randn(new Random(9), 3 * E, 0.3));
        set(p.get("out_proj.bias"), Models.randn(new Random(10), E, 0.3));
        float[] x = Models.randn(new Random(5), 3 * L * E, 1), pad = mask(0, 3, L);
        float[] want = naive(x, pad, 3, p.get("in_proj_weight").toFloatArray(), p.get("in_proj_bias").toFloatArray(),
                p.get("out_proj.weight").toFloatArray(), p.get("out_proj.bias").toFloatArray());
        try (FrozenModel f = Freezer.freeze((t, in) -> mha.trace(t, in.get(0), in.get(1), false), SPECS, FreezeOptions.defaults())) {
            assertArrayEquals(want, f.run(new float[][]{x, pad}, 3), 1e-5f, f.describePlan(3));
        }
    }

    /**
     * A fully padded row: its queries see no key. The fused kernel gives them a zero context, and the eager
     * MultiHeadAttention does the same (PyTorch's slow path would give NaN), so the row's attention output is
     * the output projection's bias and the layer's output is finite and equal on both paths.
     */
    @Test void fullyPaddedRowGivesAZeroContextOnBothPaths() {
        MultiHeadAttention mha = new MultiHeadAttention(E, H, 0, new Generator(16));
        float[] bias = Models.randn(new Random(11), E, 0.5);
        set(mha.namedParameters().get("out_proj.bias"), bias);
        float[] x = Models.randn(new Random(6), 2 * L * E, 1), pad = mask(1, L);
        float[] eager;
        try (GradMode g = GradMode.noGrad(); MemoryScope s = MemoryScope.open()) {
            Tensor xt = Tensor.of(x, 2, L, E);
            eager = mha.forward(xt, xt, xt, Tensor.of(pad, 2, L), null, false).toFloatArray();
        }
        try (FrozenModel f = Freezer.freeze((t, in) -> mha.trace(t, in.get(0), in.get(1), false), SPECS, FreezeOptions.defaults())) {
            float[] frozen = f.run(new float[][]{x, pad}, 2);
            assertArrayEquals(eager, frozen, 1e-5f);
            for (int i = 0; i < L; i++) assertArrayEquals(bias, Arrays.copyOfRange(frozen, (L + i) * E, (L + i + 1) * E), 1e-6f);
        }
        TransformerEncoderLayer layer = new TransformerEncoderLayer(E, H, 32, 0.0, false, false, new Generator(17));
        layer.eval();
        try (FrozenModel f = freezeLayer(layer, true, FreezeOptions.defaults())) {
            float[] want = eager(layer, x, pad, 2, true), got = f.run(new float[][]{x, pad}, 2);
            for (float v : want) assertTrue(Float.isFinite(v), "eager output must be finite for a fully padded row");
            assertArrayEquals(want, got, 1e-5f);
        }
    }

    /** Eager training through a fully padded row gives finite gradients (no NaN from an all -inf softmax). */
    @Test void fullyPaddedRowTrainsWithFiniteGradients() {
        MultiHeadAttention mha = new MultiHeadAttention(E, H, 0, new Generator(18));
        try (MemoryScope s = MemoryScope.open()) {
            Tensor x = Tensor.of(Models.randn(new Random(7), 2 * L * E, 1), 2, L, E);
            mha.forward(x, x, x, Tensor.of(mask(2, L), 2, L), null, true).sum().backward();
            for (Tensor g : mha.parameters()) for (float v : g.grad().toFloatArray()) assertTrue(Float.isFinite(v));
        }
    }

    @Test void maskInputSurvivesABundle(@TempDir Path dir) {
        TransformerEncoderLayer m = new TransformerEncoderLayer(E, H, 32, 0.0, false, false, new Generator(19));
        m.eval();
        float[] x = Models.randn(new Random(8), 2 * L * E, 1), pad = mask(2, 0);
        Path file = dir.resolve("masked.model");
        float[] direct;
        try (FrozenModel f = freezeLayer(m, false, FreezeOptions.defaults())) {
            direct = f.run(new float[][]{x, pad}, 2);
            Bundle.save(file, f, null, null);
        }
        Graph g = Bundle.load(file).graph();
        assertEquals(List.of("x", "key_padding_mask"), g.inputNames());
        try (FrozenModel back = new FrozenModel(g, dev.engine.api.Backends.preferred(), List.of())) {
            assertArrayEquals(direct, back.run(new float[][]{x, pad}, 2), 0f);
        }
    }

    /** Our ONNX export has the mask as a second graph input: ONNX Runtime agrees, and importing it fuses the same plan back. */
    @Test void exportWithMaskRunsInOnnxRuntimeAndImportsBack() throws Exception {
        TransformerEncoderLayer m = new TransformerEncoderLayer(E, H, 32, 0.0, false, false, new Generator(21));
        m.eval();
        float[] x = Models.randn(new Random(12), 2 * L * E, 1), pad = mask(1, 4);
        for (boolean causal : new boolean[]{false, true}) {
            try (FrozenModel f = freezeLayer(m, causal, FreezeOptions.defaults())) {
                float[] want = f.run(new float[][]{x, pad}, 2);
                byte[] onnx = OnnxExporter.toBytes(f.graph());
                assertArrayEquals(want, runOrt(onnx, x, pad, 2), 1e-4f, "ONNX Runtime on our export, causal " + causal);
                try (FrozenModel back = Freezer.freeze(dev.engine.inference.onnx.Onnx.toGraph(onnx, null, null), FreezeOptions.defaults())) {
                    assertEquals(ImportedVsNativeTest.steps(f.plan(2)), ImportedVsNativeTest.steps(back.plan(2)));
                    assertEquals(List.of("input", "key_padding_mask"), back.inputNames());
                    assertArrayEquals(want, back.run(new float[][]{x, pad}, 2), 0f, "export -> import must be bit-identical");
                }
            }
        }
    }

    static float[] runOrt(byte[] model, float[] x, float[] pad, int batch) throws Exception {
        var env = ai.onnxruntime.OrtEnvironment.getEnvironment();
        try (var so = new ai.onnxruntime.OrtSession.SessionOptions(); var s = env.createSession(model, so);
             var xt = ai.onnxruntime.OnnxTensor.createTensor(env, java.nio.FloatBuffer.wrap(x), new long[]{batch, L, E});
             var mt = ai.onnxruntime.OnnxTensor.createTensor(env, java.nio.FloatBuffer.wrap(pad), new long[]{batch, L});
             var r = s.run(Map.of("input", xt, "key_padding_mask", mt))) {
            java.nio.FloatBuffer fb = ((ai.onnxruntime.OnnxTensor) r.get(0)).getFloatBuffer();
            float[] out = new float[fb.remaining()];
            fb.get(out);
            return out;
        }
    }

    @Test void badInputsAreNamed() {
        TransformerEncoderLayer m = new TransformerEncoderLayer(E, H, 32, 0.0, false, false, new Generator(20));
        float[] x = new float[2 * L * E], pad = mask(0, 1);
        try (FrozenModel f = freezeLayer(m, false, FreezeOptions.defaults())) {
            String wrong = assertThrows(ShapeException.class, () -> f.run(new float[][]{x, new float[2 * L + 1]}, 2)).getMessage();
            assertTrue(wrong.contains("'key_padding_mask'") && wrong.contains("[2, 6]"), wrong);
            String missing = assertThrows(ShapeException.class, () -> f.run(new float[][]{x}, 2)).getMessage();
            assertTrue(missing.contains("input 'key_padding_mask' is missing"), missing);
            String single = assertThrows(ShapeException.class, () -> f.run(x, 2)).getMessage();
            assertTrue(single.contains("'key_padding_mask' is missing"), single);
            assertThrows(EngineException.class, () -> f.run(new float[][]{x, null}, 2));
            String tooMany = assertThrows(ShapeException.class, () -> f.run(new float[][]{x, pad, pad}, 2)).getMessage();
            assertTrue(tooMany.contains("takes 2 inputs"), tooMany);
            try (MemoryScope s = MemoryScope.open()) {
                Tensor xt = Tensor.of(x, 2, L, E);
                String dtype = assertThrows(DTypeException.class, () -> f.run(xt, Tensor.of(pad, 2, L).to(DType.F64))).getMessage();
                assertTrue(dtype.contains("'key_padding_mask'") && dtype.contains("F64"), dtype);
                String shape = assertThrows(ShapeException.class, () -> f.run(xt, Tensor.of(new float[2 * 5], 2, 5))).getMessage();
                assertTrue(shape.contains("'key_padding_mask'") && shape.contains("[2, 5]"), shape);
                String batch = assertThrows(ShapeException.class, () -> f.run(xt, Tensor.of(new float[3 * L], 3, L))).getMessage();
                assertTrue(batch.contains("'key_padding_mask' has batch 3"), batch);
                assertThrows(ShapeException.class, () -> f.run(xt));
            }
        }
        try (FrozenModel plain = Freezer.freeze(m, new long[]{1, L, E}, FreezeOptions.defaults())) {
            String extra = assertThrows(ShapeException.class, () -> plain.run(new float[][]{x, pad}, 2)).getMessage();
            assertTrue(extra.contains("takes 1 input") && extra.contains("got 2"), extra);
        }
        assertThrows(ShapeException.class, () -> Freezer.freeze((t, in) -> m.trace(t, in.get(0), in.get(1), false),
                List.of(InputSpec.of("x", 2, L, E), InputSpec.of("key_padding_mask", 3, L)), FreezeOptions.defaults()), "mask batch must follow x");
        String traced = assertThrows(ShapeException.class, () -> Freezer.freeze((t, in) -> m.trace(t, in.get(0), in.get(1), false),
                List.of(InputSpec.of("x", 1, L, E), InputSpec.of("key_padding_mask", 1, L + 1)), FreezeOptions.defaults())).getMessage();
        assertTrue(traced.contains("key-padding mask"), traced);
    }

    /** softmax(scale q k^T over visible keys) v per head, heads joined, then the output projection; zeros where no key is visible. */
    static float[] naive(float[] x, float[] pad, int batch, float[] win, float[] bin, float[] wout, float[] bout) {
        int d = E / H;
        float[] qkv = new float[batch * L * 3 * E], ctx = new float[batch * L * E], y = new float[batch * L * E];
        for (int r = 0; r < batch * L; r++)
            for (int o = 0; o < 3 * E; o++) {
                double s = bin[o];
                for (int i = 0; i < E; i++) s += (double) x[r * E + i] * win[o * E + i];
                qkv[r * 3 * E + o] = (float) s;
            }
        for (int b = 0; b < batch; b++)
            for (int h = 0; h < H; h++)
                for (int i = 0; i < L; i++) {
                    double[] w = new double[L];
                    double mx = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < L; j++) {
                        if (pad[b * L + j] != 0) continue;
                        double s = 0;
                        for (int c = 0; c < d; c++) s += (double) qkv[(b * L + i) * 3 * E + h * d + c] * qkv[(b * L + j) * 3 * E + E + h * d + c];
                        w[j] = s / Math.sqrt(d);
                        mx = Math.max(mx, w[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j < L; j++) sum += pad[b * L + j] != 0 ? (w[j] = 0) : (w[j] = Math.exp(w[j] - mx));
                    for (int c = 0; c < d; c++) {
                        double acc = 0;
                        for (int j = 0; j < L; j++) acc += sum == 0 ? 0 : w[j] / sum * qkv[(b * L + j) * 3 * E + 2 * E + h * d + c];
                        ctx[(b * L + i) * E + h * d + c] = (float) acc;
                    }
                }
        for (int r = 0; r < batch * L; r++)
            for (int o = 0; o < E; o++) {
                double s = bout[o];
                for (int i = 0; i < E; i++) s += (double) ctx[r * E + i] * wout[o * E + i];
                y[r * E + o] = (float) s;
            }
        return y;
    }

    static void set(Tensor param, float[] v) {
        try (GradMode g = GradMode.noGrad()) {
            param.copyFrom(Tensor.of(v, param.shape()));
        }
    }

    static double maxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }
}
