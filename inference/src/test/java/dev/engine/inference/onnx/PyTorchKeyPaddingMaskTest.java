package dev.engine.inference.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.graph.Node;
import dev.engine.graph.OpKind;
import dev.engine.inference.FrozenModel;
import dev.engine.inference.Prediction;
import dev.engine.inference.Predictor;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * PyTorch 1.13's export of {@code nn.TransformerEncoderLayer} called with {@code src_key_padding_mask} (a
 * second, bool graph input, turned into an additive -inf term inside the graph; made by make_models.py):
 * imports with two inputs, fuses into one attention reading the mask, and matches PyTorch's outputs for a
 * batch of 2 rows padded differently, fed the mask as F32 0/1.
 */
class PyTorchKeyPaddingMaskTest {
    static void check(String name) throws Exception {
        float[] x = OnnxFiles.readF32(OnnxFiles.OWN.resolve(name + ".ref_in.f32"));
        float[] mask = OnnxFiles.readF32(OnnxFiles.OWN.resolve(name + ".ref_mask.f32"));
        float[] want = OnnxFiles.readF32(OnnxFiles.OWN.resolve(name + ".ref_out.f32"));
        try (FrozenModel m = Onnx.load(OnnxFiles.OWN.resolve(name + ".onnx"))) {
            assertEquals(List.of("input", "key_padding_mask"), m.inputNames());
            assertArrayEquals(want, m.run(new float[][]{x, mask}, 2), 1e-5f, m.describePlan(2));
            List<Node> steps = m.plan(2).steps().stream().map(s -> s.node()).toList();
            List<Node> attention = steps.stream().filter(n -> n.kind() == OpKind.ATTENTION).toList();
            assertEquals(1, attention.size(), m.describePlan(2));
            assertEquals(2, attention.get(0).inputs().size(), "the fused attention reads the mask input");
            assertTrue(steps.stream().noneMatch(n -> n.kind() == OpKind.MATMUL || n.kind() == OpKind.SOFTMAX || n.kind() == OpKind.ELEMENTWISE
                    && n.inputs().contains(m.graph().inputs().get(1))), m.describePlan(2));
            // one row alone: the mask's batch follows the input's
            float[] row = m.run(new float[][]{java.util.Arrays.copyOfRange(x, 320, 640), java.util.Arrays.copyOfRange(mask, 10, 20)}, 1);
            assertArrayEquals(java.util.Arrays.copyOfRange(want, 320, 640), row, 1e-5f);
        }
    }

    @Test void encoderLayerWithKeyPaddingMaskOpset13() throws Exception { check("transformer_layer_kpmask_opset13"); }

    /** The same file through {@code Predictor.load}: one sample per call, the mask as the second input. */
    @Test void predictorTakesTheMaskAsASecondInput() throws Exception {
        String name = "transformer_layer_kpmask_opset17";
        float[] x = OnnxFiles.readF32(OnnxFiles.OWN.resolve(name + ".ref_in.f32"));
        float[] mask = OnnxFiles.readF32(OnnxFiles.OWN.resolve(name + ".ref_mask.f32"));
        float[] want = OnnxFiles.readF32(OnnxFiles.OWN.resolve(name + ".ref_out.f32"));
        try (Predictor p = Predictor.load(OnnxFiles.OWN.resolve(name + ".onnx"))) {
            for (int i = 0; i < 2; i++) {
                Prediction r = p.predictSample(Arrays.copyOfRange(x, i * 320, (i + 1) * 320), Arrays.copyOfRange(mask, i * 10, (i + 1) * 10));
                assertArrayEquals(Arrays.copyOfRange(want, i * 320, (i + 1) * 320), r.values(), 1e-5f, "row " + i);
            }
        }
    }

    @Test void encoderLayerWithKeyPaddingMaskOpset17() throws Exception { check("transformer_layer_kpmask_opset17"); }
}
