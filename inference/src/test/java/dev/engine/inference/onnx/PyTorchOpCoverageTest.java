package dev.engine.inference.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.ModelFormatException;
import dev.engine.graph.OpKind;
import dev.engine.inference.ExecutionPlan;
import dev.engine.inference.FrozenModel;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Assertions;

/**
 * The op-coverage models of make_models.py (coverage()), exported by PyTorch at opsets 13 and 17, match PyTorch:
 * MobileNetV3-style activations (Hardswish, Hardsigmoid, ReLU6, ELU, SELU, CELU, PReLU, squeeze-excite, global
 * max pool), pools in ceil mode / rectangular / padded with and without the pads counted, Pad in every mode,
 * instance and group norm, a U-Net with bilinear and nearest Resize, 1-D convolutions and pools, reductions,
 * DepthToSpace / SpaceToDepth, Tile, Expand, CumSum and flip, stacked / bidirectional LSTM, GRU and RNN, and
 * torchvision's VisionTransformer (tiny).
 */
class PyTorchOpCoverageTest {
    @ParameterizedTest
    @ValueSource(strings = {"mobile_blocks", "pools_pads", "unet_resize", "signal1d", "reductions", "layout_extras", "recurrent", "tiny_vit"})
    void matchesPyTorchAtOpsets13And17(String model) throws Exception {
        for (int opset : new int[]{13, 17}) OnnxImportTest.check(OnnxFiles.OWN, model + "_opset" + opset, 4, 2e-5);
    }

    @Test void symmetricZeroPadFoldsIntoTheConvolution() {
        // pools_pads pads symmetrically before conv_sym: no concat feeds that convolution
        try (FrozenModel m = Onnx.load(OnnxFiles.OWN.resolve("pools_pads_opset17.onnx"))) {
            List<ExecutionPlan.Step> steps = m.plan(1).steps();
            String plan = m.describePlan(1);
            long convs = steps.stream().filter(s -> s.node().kind() == OpKind.CONV2D).count();
            assertEquals(2, convs, plan);
            assertTrue(m.graph().nodes().stream().anyMatch(n -> n.kind() == OpKind.CONV2D && n.ints("padding")[0] == 1 && n.ints("padding")[1] == 1), plan);
        }
    }

    @Test void hardSwishAndRelu6RunInTheConvolutionEpilogue() {
        // mobile_blocks: stem Conv+BN+Hardswish, depthwise Conv+BN+ReLU6 (exported as Clip(0, 6))
        for (int opset : new int[]{13, 17})
            try (FrozenModel m = Onnx.load(OnnxFiles.OWN.resolve("mobile_blocks_opset" + opset + ".onnx"))) {
                List<ExecutionPlan.Step> convs = m.plan(1).steps().stream().filter(s -> s.node().kind() == OpKind.CONV2D).toList();
                String plan = m.describePlan(1);
                assertTrue(convs.stream().anyMatch(s -> s.node().activation() == dev.engine.api.Activation.HARD_SWISH), plan);
                assertTrue(convs.stream().anyMatch(s -> s.node().activation() == dev.engine.api.Activation.RELU6), plan);
                assertTrue(m.plan(1).steps().stream().noneMatch(s -> s.node().name().contains("Clip")
                        && s.node().kind() == OpKind.ELEMENTWISE), plan);
            }
    }

    @Test void visionTransformerAttentionFusesThroughSharedInitializers() {
        // torchvision's ViT: zero attention biases shared through Identity nodes; both layers still fuse
        for (int opset : new int[]{13, 17})
            try (FrozenModel m = Onnx.load(OnnxFiles.OWN.resolve("tiny_vit_opset" + opset + ".onnx"))) {
                List<OpKind> k = m.plan(2).steps().stream().map(s -> s.node().kind()).toList();
                assertEquals(2, k.stream().filter(x -> x == OpKind.ATTENTION).count(), k.toString());
                assertTrue(!k.contains(OpKind.SOFTMAX) && !k.contains(OpKind.MATMUL), k.toString());
            }
    }

    @Test void integerNearestUpsamplingCopiesValuesExactly() {
        // infinities survive a nearest resize (a product with a 0/1 matrix would turn them into NaN)
        OnnxBuilder b = new OnnxBuilder().input("x", -1, 1, 2, 2).output("y", -1, 1, 4, 6)
                .init("scales", new long[]{4}, new float[]{1, 1, 2, 3})
                .node("Resize", "up", new String[]{"x", "", "scales"}, new String[]{"y"}, OnnxBuilder.attrString("mode", "nearest"),
                        OnnxBuilder.attrString("coordinate_transformation_mode", "asymmetric"), OnnxBuilder.attrString("nearest_mode", "floor"));
        try (FrozenModel m = dev.engine.inference.Freezer.freeze(Onnx.toGraph(b.bytes(), null, null), dev.engine.inference.FreezeOptions.defaults())) {
            float inf = Float.POSITIVE_INFINITY;
            float[] y = m.run(new float[]{1, inf, -inf, Float.NaN}, 1);
            Assertions.assertArrayEquals(new float[]{1, 1, 1, inf, inf, inf, 1, 1, 1, inf, inf, inf,
                    -inf, -inf, -inf, Float.NaN, Float.NaN, Float.NaN, -inf, -inf, -inf, Float.NaN, Float.NaN, Float.NaN}, y);
        }
    }

    @Test void longPadsAndTilesDoubleInsteadOfOneNodePerElement() {
        OnnxBuilder edge = new OnnxBuilder().input("x", -1, 3).output("y", -1, 4003)
                .init(OnnxBuilder.longTensor("pads", new long[]{4}, new long[]{0, 0, 0, 4000}))
                .node("Pad", "p", new String[]{"x", "pads"}, new String[]{"y"}, OnnxBuilder.attrString("mode", "edge"));
        try (FrozenModel m = dev.engine.inference.Freezer.freeze(Onnx.toGraph(edge.bytes(), null, null), dev.engine.inference.FreezeOptions.none())) {
            assertTrue(m.graph().nodes().size() < 30, m.graph().nodes().size() + " nodes");
            float[] y = m.run(new float[]{1, 2, 3, -4, 5, 6}, 2);
            for (int i = 0; i < 4003; i++) {
                assertEquals(i < 3 ? i + 1 : 3, y[i], 0f, "row 0 column " + i);
                assertEquals(i < 3 ? new float[]{-4, 5, 6}[i] : 6, y[4003 + i], 0f, "row 1 column " + i);
            }
        }
        OnnxBuilder tile = new OnnxBuilder().input("x", -1, 2).output("y", -1, 2000)
                .init(OnnxBuilder.longTensor("r", new long[]{2}, new long[]{1, 1000}))
                .node("Tile", "t", new String[]{"x", "r"}, new String[]{"y"});
        try (FrozenModel m = dev.engine.inference.Freezer.freeze(Onnx.toGraph(tile.bytes(), null, null), dev.engine.inference.FreezeOptions.none())) {
            assertTrue(m.graph().nodes().size() < 30, m.graph().nodes().size() + " nodes");
            float[] y = m.run(new float[]{7, 8}, 1);
            for (int i = 0; i < 2000; i++) assertEquals(i % 2 == 0 ? 7 : 8, y[i], 0f, "column " + i);
        }
    }

    @Test void unsupportedVariantsAreRefusedByName() {
        OnnxBuilder cubic = new OnnxBuilder().input("x", -1, 1, 2, 2).output("y", -1, 1, 4, 4)
                .init("scales", new long[]{4}, new float[]{1, 1, 2, 2})
                .node("Resize", "up", new String[]{"x", "", "scales"}, new String[]{"y"}, OnnxBuilder.attrString("mode", "cubic"));
        assertTrue(fails(cubic).contains("Resize 'up'") && fails(cubic).contains("mode 'cubic'"), fails(cubic));
        OnnxBuilder batchPad = new OnnxBuilder().input("x", -1, 3).output("y", -1, 5)
                .init(OnnxBuilder.longTensor("pads", new long[]{4}, new long[]{1, 1, 0, 1}))
                .node("Pad", "p", new String[]{"x", "pads"}, new String[]{"y"});
        assertTrue(fails(batchPad).contains("padding the batch axis"), fails(batchPad));
        OnnxBuilder reflect = new OnnxBuilder().input("x", -1, 3).output("y", -1, 9)
                .init(OnnxBuilder.longTensor("pads", new long[]{4}, new long[]{0, 3, 0, 3}))
                .node("Pad", "p", new String[]{"x", "pads"}, new String[]{"y"}, OnnxBuilder.attrString("mode", "reflect"));
        assertTrue(fails(reflect).contains("reflect padding of 3 needs more than 3"), fails(reflect));
        OnnxBuilder dilated = new OnnxBuilder().input("x", -1, 1, 5, 5).output("y", -1, 1, 1, 1)
                .node("MaxPool", "mp", new String[]{"x"}, new String[]{"y"}, OnnxBuilder.attrInts("kernel_shape", 3, 3), OnnxBuilder.attrInts("dilations", 2, 2));
        assertTrue(fails(dilated).contains("MaxPool 'mp'") && fails(dilated).contains("dilated"), fails(dilated));
    }

    @Test void recurrentLayersRefuseWhatTheyCannotRunByName() {
        float[] w = new float[16], r = new float[16];
        OnnxBuilder seqFirst = new OnnxBuilder().input("x", -1, 4, 2).output("y", 4, 1, -1, 2)
                .init("W", new long[]{1, 8, 2}, w).init("R", new long[]{1, 8, 2}, r)
                .node("LSTM", "l", new String[]{"x", "W", "R"}, new String[]{"y"}, OnnxBuilder.attrInt("hidden_size", 2));
        assertTrue(fails(seqFirst).contains("LSTM 'l'") && fails(seqFirst).contains("batch_first"), fails(seqFirst));
        OnnxBuilder state = new OnnxBuilder().input("x", -1, 4, 2).output("y", 4, 1, -1, 2)
                .init("W", new long[]{1, 8, 2}, w).init("R", new long[]{1, 8, 2}, r).init("h0", new long[]{1, 1, 2}, new float[]{0.5f, 0})
                .node("Transpose", "t", new String[]{"x"}, new String[]{"xt"}, OnnxBuilder.attrInts("perm", 1, 0, 2))
                .node("LSTM", "l", new String[]{"xt", "W", "R", "", "", "h0"}, new String[]{"y"}, OnnxBuilder.attrInt("hidden_size", 2));
        assertTrue(fails(state).contains("initial_h must be zero"), fails(state));
        OnnxBuilder longSequence = new OnnxBuilder().input("x", -1, 5000, 2).output("y", 5000, 1, -1, 2)
                .init("W", new long[]{1, 8, 2}, w).init("R", new long[]{1, 8, 2}, r)
                .node("Transpose", "t", new String[]{"x"}, new String[]{"xt"}, OnnxBuilder.attrInts("perm", 1, 0, 2))
                .node("LSTM", "l", new String[]{"xt", "W", "R"}, new String[]{"y"}, OnnxBuilder.attrInt("hidden_size", 2));
        assertTrue(fails(longSequence).contains("5000 steps"), fails(longSequence));
        OnnxBuilder moved = new OnnxBuilder().input("x", -1, 4, 2).output("y", 4, -1, 2)
                .node("Transpose", "t", new String[]{"x"}, new String[]{"y"}, OnnxBuilder.attrInts("perm", 1, 0, 2));
        assertTrue(fails(moved).contains("outputs must keep the batch first"), fails(moved));
        OnnxBuilder relu = new OnnxBuilder().input("x", -1, 4, 2).output("y", 4, -1, 2)
                .node("Transpose", "t", new String[]{"x"}, new String[]{"xt"}, OnnxBuilder.attrInts("perm", 1, 0, 2))
                .node("Relu", "r", new String[]{"xt"}, new String[]{"y"});
        assertTrue(fails(relu).contains("Relu 'r'") && fails(relu).contains("batch on axis 1"), fails(relu));
    }

    private static String fails(OnnxBuilder b) {
        return Assertions.assertThrows(ModelFormatException.class, () -> Onnx.toGraph(b.bytes(), null, null)).getMessage();
    }
}
