package dev.engine.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.autograd.Generator;
import dev.engine.autograd.GradMode;
import dev.engine.autograd.MemoryScope;
import dev.engine.autograd.Tensor;
import dev.engine.inference.onnx.Onnx;
import dev.engine.nn.LayerNorm;
import dev.engine.nn.Module;
import dev.engine.nn.TransformerEncoder;
import dev.engine.nn.TransformerEncoderLayer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * MultiHeadAttention / TransformerEncoderLayer / TransformerEncoder freeze into the fused attention op (no
 * masks, and causal), match the eager forward, export to ONNX that ONNX Runtime agrees with, and import back
 * to the same plan (the attention pattern fused again) and bits.
 */
class FrozenTransformerTest {
    static final int L = 10, E = 32;

    static float[] eager(Module m, float[] x, int batch) {
        try (GradMode g = GradMode.noGrad(); MemoryScope s = MemoryScope.open()) {
            return m.forward(Tensor.of(x, batch, L, E)).toFloatArray();
        }
    }

    static void check(Module m) throws Exception {
        m.eval();
        float[] x = Models.randn(new Random(5), 3 * L * E, 1);
        float[] want = eager(m, x, 3);
        for (FreezeOptions o : new FreezeOptions[]{FreezeOptions.defaults(), FreezeOptions.none()}) {
            try (FrozenModel f = Freezer.freeze(m, new long[]{1, L, E}, o)) {
                assertArrayEquals(want, f.run(x, 3), 2e-5f, f.describePlan(3));
                assertArrayEquals(java.util.Arrays.copyOf(want, L * E), f.run(java.util.Arrays.copyOf(x, L * E), 1), 2e-5f);
            }
        }
        try (FrozenModel f = Freezer.freeze(m, new long[]{1, L, E}, FreezeOptions.defaults())) {
            byte[] onnx = OnnxExporter.toBytes(f.graph());
            assertArrayEquals(want, OnnxExportTest.runOrt(onnx, x, new long[]{3, L, E}), 1e-4f, "ONNX Runtime on our export");
            try (FrozenModel back = Freezer.freeze(Onnx.toGraph(onnx, null, null), FreezeOptions.defaults())) {
                assertEquals(ImportedVsNativeTest.steps(f.plan(3)), ImportedVsNativeTest.steps(back.plan(3)));
                assertArrayEquals(f.run(x, 3), back.run(x, 3), 0f, "export -> import must be bit-identical");
            }
            assertTrue(f.describePlan(1).contains("attention") && !f.describePlan(1).contains("matmul"), f.describePlan(1));
        }
    }

    /** A causal layer: frozen with the mask in the fused kernel, against eager forward(x, null, true), and through ONNX both ways. */
    @Test void causalLayer() throws Exception {
        TransformerEncoderLayer m = new TransformerEncoderLayer(E, 4, 64, 0.0, false, false, new Generator(4));
        m.eval();
        float[] x = Models.randn(new Random(6), 2 * L * E, 1);
        float[] want;
        try (GradMode g = GradMode.noGrad(); MemoryScope s = MemoryScope.open()) {
            want = m.forward(Tensor.of(x, 2, L, E), null, true).toFloatArray();
        }
        try (FrozenModel f = Freezer.freeze((t, v) -> m.trace(t, v, true), new long[]{1, L, E}, FreezeOptions.defaults())) {
            assertArrayEquals(want, f.run(x, 2), 2e-5f, f.describePlan(2));
            byte[] onnx = OnnxExporter.toBytes(f.graph());
            assertArrayEquals(want, OnnxExportTest.runOrt(onnx, x, new long[]{2, L, E}), 1e-4f, "ONNX Runtime on our causal export");
            try (FrozenModel back = Freezer.freeze(Onnx.toGraph(onnx, null, null), FreezeOptions.defaults())) {
                assertEquals(ImportedVsNativeTest.steps(f.plan(2)), ImportedVsNativeTest.steps(back.plan(2)));
                assertArrayEquals(f.run(x, 2), back.run(x, 2), 0f, "causal export -> import must be bit-identical");
            }
        }
    }

    @Test void postNormReluLayer() throws Exception { check(new TransformerEncoderLayer(E, 4, 64, 0.1, false, false, new Generator(1))); }

    @Test void preNormGeluLayer() throws Exception { check(new TransformerEncoderLayer(E, 4, 64, 0.0, true, true, new Generator(2))); }

    @Test void twoLayerEncoderWithFinalNorm() throws Exception {
        Generator g = new Generator(3);
        check(new TransformerEncoder(() -> new TransformerEncoderLayer(E, 8, 48, 0.1, true, false, g), 2, new LayerNorm(E)));
    }
}
