package dev.engine.inference.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.inference.ExecutionPlan;
import dev.engine.inference.FreezeOptions;
import dev.engine.inference.FrozenModel;
import dev.engine.graph.OpKind;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The models make_models.py exported from PyTorch (residual CNN, GELU/LayerNorm MLP at opsets 13 and 17,
 * a hand-written Conv/BatchNormalization/Gemm graph, a TransformerEncoderLayer at opsets 13 and 17 and causal
 * MultiheadAttention, both batch-first) import and match PyTorch's outputs.
 */
class PyTorchModelsTest {
    static void check(String name, double tol) throws Exception { OnnxImportTest.check(OnnxFiles.OWN, name, 4, tol); }

    static List<OpKind> kinds(String name) {
        try (FrozenModel m = Onnx.load(OnnxFiles.OWN.resolve(name + ".onnx"))) {
            return m.plan(2).steps().stream().map(ExecutionPlan.Step::node).map(n -> n.kind()).toList();
        }
    }

    @Test void residualCnnOpset13() throws Exception { check("resnet_bn_opset13", 1e-5); }

    @Test void residualCnnOpset17() throws Exception { check("resnet_bn_opset17", 1e-5); }

    @Test void geluLayerNormMlpOpset13() throws Exception { check("mlp_gelu_ln_opset13", 1e-5); }

    @Test void geluLayerNormMlpOpset17() throws Exception { check("mlp_gelu_ln_opset17", 1e-5); }

    @Test void convBatchNormSamePaddingDilationGemmAlpha() throws Exception { check("conv_bn_opset15", 1e-5); }

    @Test void transposeConcatSliceSplitGatherSoftmaxAnyAxisOpset13() throws Exception { check("layout_opset13", 1e-5); }

    @Test void transposeConcatSliceSplitGatherSoftmaxAnyAxisOpset17() throws Exception { check("layout_opset17", 1e-5); }

    @Test void importedLayoutModelSurvivesABundle(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        float[] in = OnnxFiles.readF32(OnnxFiles.OWN.resolve("layout_opset17.ref_in.f32"));
        Path bundle = dir.resolve("layout.model");
        float[] direct;
        try (FrozenModel m = Onnx.load(OnnxFiles.OWN.resolve("layout_opset17.onnx"))) {
            direct = m.run(in, 4);
            dev.engine.inference.Bundle.save(bundle, m, null, null);
        }
        try (dev.engine.inference.Predictor p = dev.engine.inference.Predictor.load(bundle)) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(direct, p.model().run(in, 4), 0f);
        }
    }

    @Test void transposedConvolutionsOpset13() throws Exception { check("conv_transpose_opset13", 1e-5); }

    @Test void transposedConvolutionsOpset17() throws Exception { check("conv_transpose_opset17", 1e-5); }

    @Test void transformerEncoderLayerOpset13() throws Exception { check("transformer_layer_opset13", 1e-5); }

    @Test void transformerEncoderLayerOpset17() throws Exception { check("transformer_layer_opset17", 1e-5); }

    @Test void causalMultiheadAttentionOpset17() throws Exception { check("causal_attention_opset17", 1e-5); }

    /** PyTorch's attention (sequence-first inside, heads in the batch) becomes in-projection, one fused attention, out-projection. */
    @Test void pytorchAttentionPatternFusesIntoOneOp() {
        for (String name : new String[]{"transformer_layer_opset13", "transformer_layer_opset17", "causal_attention_opset17"}) {
            List<OpKind> k = kinds(name);
            assertEquals(1, k.stream().filter(x -> x == OpKind.ATTENTION).count(), name + ": " + k);
            assertTrue(!k.contains(OpKind.MATMUL) && !k.contains(OpKind.SOFTMAX) && !k.contains(OpKind.PERMUTE), name + ": " + k);
        }
        assertEquals(kinds("transformer_layer_opset17"), kinds("transformer_layer_opset13"));
        try (FrozenModel m = Onnx.load(OnnxFiles.OWN.resolve("causal_attention_opset17.onnx"))) {
            assertTrue(m.graph().nodes().stream().anyMatch(n -> n.kind() == OpKind.ATTENTION && n.intOr("causal", 0) == 1), m.describePlan(1));
        }
    }

    @Test void olderLayerNormAndGeluPatternsBecomeTheSamePlan() {
        List<OpKind> k13 = kinds("mlp_gelu_ln_opset13"), k17 = kinds("mlp_gelu_ln_opset17");
        assertEquals(k17, k13);
        assertEquals(2, k13.stream().filter(k -> k == OpKind.LAYERNORM).count(), k13.toString());
    }

    @Test void batchNormFoldsIntoTheConvolution() {
        try (FrozenModel m = Onnx.load(OnnxFiles.OWN.resolve("conv_bn_opset15.onnx"))) {
            String plan = m.describePlan(1);
            assertTrue(m.plan(1).steps().stream().noneMatch(s -> s.node().kind() == OpKind.BATCHNORM), plan);
            assertTrue(plan.contains("conv1+bn+bias+relu"), plan);
        }
    }

    @Test void shapeSubgraphFoldsAwayAndBatchStaysDynamic() throws Exception {
        Path p = OnnxFiles.OWN.resolve("resnet_bn_opset13.onnx");
        try (FrozenModel m = Onnx.load(p, null, FreezeOptions.defaults())) {
            for (int b : new int[]{1, 3, 17}) assertEquals(10, m.outputShape(b)[1]);
            assertTrue(m.plan(3).steps().stream().noneMatch(s -> s.node().kind() == OpKind.CONSTANT));
        }
    }
}
