package dev.engine.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.Backends;
import dev.engine.api.EngineException;
import dev.engine.api.InputQuantization;
import dev.engine.api.ShapeException;
import dev.engine.graph.Const;
import dev.engine.graph.Node;
import dev.engine.graph.Traceable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * int8 post-training quantisation of frozen models: a single random layer stays within the quantisation
 * error bound of its F32 output (static and dynamic), whole models stay close, the graph holds int8
 * weights and scales, bundles round-trip them in a quarter of the space, old (version 1) bundles still
 * load, results do not depend on the thread count, and misuse is refused clearly.
 */
class QuantizationTest {
    @TempDir Path dir;

    private static float[][] rows(Random r, int n, int features, double scale) {
        float[][] x = new float[n][features];
        for (float[] row : x) for (int j = 0; j < features; j++) row[j] = (float) (r.nextGaussian() * scale + 0.2);
        return x;
    }

    private static float[] flat(float[][] x) {
        float[] f = new float[x.length * x[0].length];
        for (int i = 0; i < x.length; i++) System.arraycopy(x[i], 0, f, i * x[0].length, x[0].length);
        return f;
    }

    /**
     * One Linear layer (bias, no activation): |int8 - F32| <= sum_k |x_k| ws_j / 2 + |w_kj| sa / 2 + sa ws_j / 4
     * for every element, ws_j and sa the scales the quantiser chose (inputs inside the calibrated range).
     */
    @Test void singleLayerWithinTheQuantisationBound() {
        Random r = new Random(3);
        int in = 200, out = 37;
        float[] w = Models.randn(r, out * in, 0.2), b = Models.randn(r, out, 0.1);
        Traceable layer = (t, x) -> t.linear(x, w, out, in, b);
        float[][] x = rows(r, 20, in, 1.5);
        try (FrozenModel f32 = Freezer.freeze(layer, new long[]{1, in}, FreezeOptions.defaults())) {
            float[] ref = f32.run(flat(x), x.length);
            for (Quantization q : new Quantization[]{Quantization.int8Static(x), Quantization.int8Dynamic()}) {
                try (FrozenModel m = Freezer.freeze(layer, new long[]{1, in}, FreezeOptions.defaults().quantize(q))) {
                    Node n = m.graph().nodes().stream().filter(Int8Quantizer::isInt8).findFirst().orElseThrow();
                    float[] ws = n.constOrNull(Int8Quantizer.WEIGHT_SCALE).data();
                    float lo = 0, hi = 0;
                    for (float[] row : x) for (float v : row) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
                    float sa = InputQuantization.ofRange(lo, hi).scale();
                    if (q.isStatic()) assertEquals(sa, (float) n.floatOr(Int8Quantizer.INPUT_SCALE, 0), 0f, "min/max calibration on the same rows");
                    float[] got = m.run(flat(x), x.length);
                    for (int i = 0; i < x.length; i++)
                        for (int j = 0; j < out; j++) {
                            double bound = 0;
                            for (int k = 0; k < in; k++) bound += Math.abs(x[i][k]) * ws[j] / 2 + Math.abs(w[j * in + k]) * sa / 2 + sa * ws[j] / 4;
                            double err = Math.abs(got[i * out + j] - ref[i * out + j]);
                            assertTrue(err <= bound * 1.001 + 1e-4, q + " element (" + i + ", " + j + "): error " + err + " above " + bound);
                        }
                }
            }
        }
    }

    @Test void graphHoldsInt8WeightsAndScales() {
        Random r = new Random(4);
        float[][] x = rows(r, 8, 16, 1);
        try (FrozenModel m = Freezer.freeze(Models.residual(5, 16, 4), new long[]{1, 16},
                FreezeOptions.defaults().quantize(Quantization.int8Static(x)))) {
            long int8 = m.graph().nodes().stream().filter(Int8Quantizer::isInt8).count();
            assertEquals(3, int8, m.describePlan(1));
            for (Node n : m.graph().nodes()) {
                if (!Int8Quantizer.isInt8(n)) continue;
                assertTrue(n.name().endsWith("+int8"), n.name());
                assertTrue(n.floats().containsKey(Int8Quantizer.INPUT_SCALE));
                for (float v : n.constOrNull(Int8Quantizer.WEIGHT_Q).data()) assertTrue(v == Math.rint(v) && Math.abs(v) <= 127);
                // the largest weight of every column maps to +-127
                Const q = n.constOrNull(Int8Quantizer.WEIGHT_Q);
                int cols = (int) q.shape()[1];
                for (int j = 0; j < cols; j++) {
                    float max = 0;
                    for (int k = 0; k < q.shape()[0]; k++) max = Math.max(max, Math.abs(q.data()[k * cols + j]));
                    assertEquals(127f, max);
                }
            }
            assertTrue(m.appliedPasses().get(m.appliedPasses().size() - 1).startsWith("quantize int8 static"), m.appliedPasses().toString());
        }
    }

    /** Residual adds, GELU/softmax epilogues and layer norm around int8 layers: close to F32 on a random model. */
    @Test void wholeModelsStayCloseToF32() {
        Random r = new Random(6);
        float[][] x = rows(r, 64, 16, 1);
        Traceable model = Models.residual(7, 16, 4);
        try (FrozenModel f32 = Freezer.freeze(model, new long[]{1, 16}, FreezeOptions.defaults());
             FrozenModel st = Freezer.freeze(model, new long[]{1, 16}, FreezeOptions.defaults().quantize(Quantization.int8Static(x)));
             FrozenModel dy = Freezer.freeze(model, new long[]{1, 16}, FreezeOptions.defaults().quantize(Quantization.int8Dynamic()))) {
            float[] ref = f32.run(flat(x), 64), a = st.run(flat(x), 64), b = dy.run(flat(x), 64);
            for (int i = 0; i < ref.length; i++) {
                assertEquals(ref[i], a[i], 0.03, "static, element " + i);
                assertEquals(ref[i], b[i], 0.03, "dynamic, element " + i);
            }
        }
    }

    /** Convolutions (batch norm folded in) are int8 too unless excluded; pooling and the rest stay F32 between them. */
    @Test void convolutionsAndLinearLayersOfACnn() {
        Random r = new Random(13);
        float[][] x = rows(r, 32, 2 * 8 * 8, 1);
        try (FrozenModel f32 = Freezer.freeze(Models.tinyCnn(2), new long[]{1, 2, 8, 8}, FreezeOptions.defaults());
             FrozenModel lin = Freezer.freeze(Models.tinyCnn(2), new long[]{1, 2, 8, 8},
                     FreezeOptions.defaults().quantize(Quantization.int8Static(x).excludingConvolutions()));
             FrozenModel q = Freezer.freeze(Models.tinyCnn(2), new long[]{1, 2, 8, 8}, FreezeOptions.defaults().quantize(Quantization.int8Static(x)))) {
            assertEquals(1, lin.graph().nodes().stream().filter(Int8Quantizer::isInt8).count(), "excludingConvolutions: the Linear layer alone");
            assertEquals(3, q.graph().nodes().stream().filter(Int8Quantizer::isInt8).count(), q.describePlan(1));
            assertEquals(2, q.graph().nodes().stream().filter(n -> n.kind() == dev.engine.graph.OpKind.CONV2D && Int8Quantizer.isInt8(n)).count());
            float[] ref = f32.run(flat(x), 32), got = q.run(flat(x), 32);
            double err2 = 0, ref2 = 0, maxErr = 0, maxRef = 0;
            for (int i = 0; i < ref.length; i++) {
                double e = got[i] - ref[i];
                err2 += e * e;
                ref2 += (double) ref[i] * ref[i];
                maxErr = Math.max(maxErr, Math.abs(e));
                maxRef = Math.max(maxRef, Math.abs(ref[i]));
            }
            // three int8 layers in a row (two of them convolutions of unnormalised random weights): a few per cent
            assertTrue(Math.sqrt(err2 / ref2) < 0.03 && maxErr < 0.05 * maxRef,
                    "relative RMS error " + Math.sqrt(err2 / ref2) + ", max error " + maxErr + " of outputs up to " + maxRef);
        }
    }

    /**
     * An int8 convolution and the ReLU + 2x2 max pool after it run as one step where the backend fuses them
     * (not conv3, whose output is read twice), with the bits of the plan that runs them one by one.
     */
    @Test void int8ConvolutionAndPoolRunAsOneStep() {
        Random r = new Random(21);
        Traceable model = Models.convReluPoolChains(21);
        try (FrozenModel q = Freezer.freeze(model, new long[]{1, 1, 28, 28}, FreezeOptions.defaults().quantize(Quantization.int8Static(rows(r, 16, 784, 1))))) {
            assertEquals(3, q.graph().nodes().stream().filter(Int8Quantizer::isInt8).count(), q.describePlan(1));
            Assumptions.assumeTrue(q.backend().describe().contains("int8 convolution: plane"), "no fused int8 kernel here: " + q.backend().describe());
            ExecutionPlan fused = q.plan(9), unfused = ExecutionPlan.build(q.graph(), 9);
            long fusedSteps = java.util.stream.IntStream.range(0, fused.steps().size()).filter(fused::fusedWithNext).count();
            assertEquals(2, fusedSteps, fused.toString());
            assertTrue(fused.fusedWithNext(0) && fused.arenaBytes() < unfused.arenaBytes(), fused + "\n" + unfused);
            float[] in = flat(rows(r, 9, 784, 1)), got = q.run(in, 9), want = new float[got.length];
            try (Weights w = Weights.upload(q.graph(), q.backend()); ExecutionContext ctx = new ExecutionContext(unfused, w)) {
                ctx.run(in, 0, want, 0);
            }
            assertArrayEquals(want, got);
        }
    }

    /**
     * The shared PyTorch-trained MLP and LeNet-5 (convolutions int8 too) on their 64 reference inputs: int8
     * static (calibrated on those inputs) picks the same class as F32 for at least 63 of 64 and stays close.
     */
    @Test void trainedModelsKeepTheirPredictions() throws Exception {
        Path dir = Models.requireData();
        for (String name : new String[]{"mlp", "lenet"}) {
            java.util.Map<String, Safetensors.Entry> sd = Safetensors.read(dir.resolve(name + ".safetensors"));
            Traceable model = name.equals("mlp") ? Models.mlp(sd) : Models.lenet(sd);
            long[] shape = name.equals("mlp") ? new long[]{1, 784} : new long[]{1, 1, 28, 28};
            float[] in = Models.readF32(dir.resolve(name + ".ref_in.f32"));
            int n = in.length / 784;
            float[][] rows = new float[n][];
            for (int i = 0; i < n; i++) rows[i] = java.util.Arrays.copyOfRange(in, i * 784, (i + 1) * 784);
            try (FrozenModel f32 = Freezer.freeze(model, shape, FreezeOptions.defaults());
                 FrozenModel q = Freezer.freeze(model, shape, FreezeOptions.defaults().quantize(Quantization.int8Static(rows)))) {
                if (name.equals("lenet")) assertEquals(5, q.graph().nodes().stream().filter(Int8Quantizer::isInt8).count());
                float[] a = f32.run(in, n), b = q.run(in, n);
                int same = 0;
                double maxErr = 0, maxRef = 0;
                for (int i = 0; i < n; i++) {
                    int ia = 0, ib = 0;
                    for (int j = 1; j < 10; j++) {
                        if (a[i * 10 + j] > a[i * 10 + ia]) ia = j;
                        if (b[i * 10 + j] > b[i * 10 + ib]) ib = j;
                    }
                    if (ia == ib) same++;
                }
                for (int i = 0; i < a.length; i++) { maxErr = Math.max(maxErr, Math.abs(a[i] - b[i])); maxRef = Math.max(maxRef, Math.abs(a[i])); }
                System.out.printf("%s int8: %d/%d same class, max logit error %.4f of logits up to %.2f%n", name, same, n, maxErr, maxRef);
                assertTrue(same >= n - 1, name + ": " + same + " of " + n + " predictions kept");
                assertTrue(maxErr < 0.05 * maxRef, name + ": max logit error " + maxErr + " of logits up to " + maxRef);
            }
        }
    }

    @Test void identicalForAnyThreadCount() {
        Random r = new Random(8);
        float[][] x = rows(r, 70, 64, 1);
        var be = Backends.get("cpu");
        int before = be.threads();
        try (FrozenModel m = Freezer.freeze(Models.tinyMlp(9, 64, 300, 10), new long[]{1, 64},
                FreezeOptions.defaults().backend(be).quantize(Quantization.int8Static(x)))) {
            be.setThreads(1);
            float[] one = m.run(flat(x), 70);
            be.setThreads(2);
            float[] two = m.run(flat(x), 70);
            assertArrayEquals(one, two);
        } finally {
            be.setThreads(before);
        }
    }

    @Test void bundleRoundTripsInt8WeightsInAQuarterOfTheSpace() throws Exception {
        Random r = new Random(10);
        float[][] x = rows(r, 16, 64, 1);
        Traceable model = Models.tinyMlp(11, 64, 128, 10);
        try (FrozenModel f32 = Freezer.freeze(model, new long[]{1, 64}, FreezeOptions.defaults());
             FrozenModel q = Freezer.freeze(model, new long[]{1, 64}, FreezeOptions.defaults().quantize(Quantization.int8Static(x)))) {
            Path pf = dir.resolve("f32.model"), pq = dir.resolve("int8.model");
            Bundle.save(pf, f32, null, null);
            Bundle.save(pq, q, null, null);
            long sf = Files.size(pf), sq = Files.size(pq);
            assertTrue(sq < sf * 0.3, "int8 bundle " + sq + " bytes vs F32 " + sf);
            assertEquals(Bundle.VERSION, java.nio.ByteBuffer.wrap(Files.readAllBytes(pq)).getInt(8));
            try (Predictor p = Predictor.load(pq)) {
                assertArrayEquals(q.run(flat(x), 16), p.model().run(flat(x), 16));
                assertEquals(q.graph().nodes().stream().filter(Int8Quantizer::isInt8).count(),
                        p.model().graph().nodes().stream().filter(Int8Quantizer::isInt8).count());
            }
        }
    }

    /** examples/serve-predictions/digits.model was written in bundle format 1 (untagged F32 constants). */
    @Test void versionOneBundlesStillLoad() throws Exception {
        Path old = Path.of("../examples/serve-predictions/digits.model");
        byte[] bytes = Files.readAllBytes(old);
        assertEquals(1, java.nio.ByteBuffer.wrap(bytes).getInt(8), "the example bundle is a version 1 file");
        Bundle b = Bundle.load(old);
        try (FrozenModel m = new FrozenModel(b.graph(), Backends.preferred(), java.util.List.of("v1"))) {
            float[] out = m.run(new float[m.inputFeatures()], 1);
            for (float v : out) assertTrue(Float.isFinite(v));
            // written again it becomes the current version and predicts the same
            byte[] again = Bundle.toBytes(b.graph(), b.preprocessing(), b.postProcessor());
            assertEquals(Bundle.VERSION, java.nio.ByteBuffer.wrap(again).getInt(8));
            try (FrozenModel m2 = new FrozenModel(Bundle.fromBytes(again).graph(), Backends.preferred(), java.util.List.of("v2"))) {
                assertArrayEquals(out, m2.run(new float[m.inputFeatures()], 1));
            }
        }
    }

    @Test void percentileObserverClipsOutliers() {
        Random r = new Random(12);
        float[][] x = rows(r, 100, 32, 1);
        x[5][3] = 500f;  // one outlier
        Traceable layer = (t, v) -> t.linear(v, Models.randn(new Random(1), 8 * 32, 0.2), 8, 32, null);
        try (FrozenModel mm = Freezer.freeze(layer, new long[]{1, 32}, FreezeOptions.defaults().quantize(Quantization.int8Static(x)));
             FrozenModel pc = Freezer.freeze(layer, new long[]{1, 32}, FreezeOptions.defaults()
                     .quantize(Quantization.int8Static(x).observer(Quantization.Observer.percentile(99.9))))) {
            double smm = scale(mm), spc = scale(pc);
            assertTrue(smm > 1.9, "min/max covers the outlier: scale " + smm);
            assertTrue(spc < 0.05, "the 99.9th percentile ignores it: scale " + spc);
        }
    }

    private static double scale(FrozenModel m) {
        return m.graph().nodes().stream().filter(Int8Quantizer::isInt8).findFirst().orElseThrow().floatOr(Int8Quantizer.INPUT_SCALE, 0);
    }

    /** With weight packing off the quantiser reads the [out, in] weight; a forged int8 weight out of range fails at upload. */
    @Test void unpackedWeightsAndForgedValues() {
        Random r = new Random(14);
        float[][] x = rows(r, 8, 4, 1);
        try (FrozenModel a = Freezer.freeze(Models.tinyMlp(1, 4, 6, 3), new long[]{1, 4}, FreezeOptions.defaults().quantize(Quantization.int8Static(x)));
             FrozenModel b = Freezer.freeze(Models.tinyMlp(1, 4, 6, 3), new long[]{1, 4},
                     FreezeOptions.defaults().without(FreezeOptions.Pass.PACK_WEIGHTS).quantize(Quantization.int8Static(x)))) {
            assertArrayEquals(a.run(flat(x), 8), b.run(flat(x), 8));
            java.util.List<Node> nodes = new java.util.ArrayList<>(a.graph().nodes());
            for (int i = 0; i < nodes.size(); i++) {
                Node n = nodes.get(i);
                if (!Int8Quantizer.isInt8(n)) continue;
                float[] q = n.constOrNull(Int8Quantizer.WEIGHT_Q).data().clone();
                q[0] = 200;
                nodes.set(i, n.toBuilder().constant(Int8Quantizer.WEIGHT_Q, new Const(q, n.constOrNull(Int8Quantizer.WEIGHT_Q).shape())).build());
                break;
            }
            dev.engine.graph.Graph forged = new dev.engine.graph.Graph(nodes, a.graph().input(), a.graph().output());
            EngineException e = assertThrows(EngineException.class, () -> new FrozenModel(forged, Backends.get("cpu"), java.util.List.of()));
            assertTrue(e.getMessage().contains("not an integer in [-127, 127]"), e.getMessage());
        }
    }

    @Test void misuseIsRefusedClearly() {
        assertThrows(EngineException.class, () -> Quantization.int8Static(new float[0][]));
        assertThrows(EngineException.class, () -> Quantization.int8Static(new float[][]{{1, Float.NaN}}));
        assertThrows(EngineException.class, () -> Quantization.int8Dynamic().observer(Quantization.Observer.minMax()));
        assertThrows(EngineException.class, () -> Quantization.Observer.percentile(20));
        ShapeException e = assertThrows(ShapeException.class, () -> Freezer.freeze(Models.tinyMlp(1, 4, 6, 3), new long[]{1, 4},
                FreezeOptions.defaults().quantize(Quantization.int8Static(new float[][]{{1, 2, 3}}))));
        assertTrue(e.getMessage().contains("calibration row 0 has 3 values") && e.getMessage().contains("needs 4"), e.getMessage());
        try (FrozenModel q = Freezer.freeze(Models.tinyMlp(1, 4, 6, 3), new long[]{1, 4}, FreezeOptions.defaults().quantize(Quantization.int8Dynamic()))) {
            EngineException x = assertThrows(EngineException.class, () -> OnnxExporter.export(q.graph(), dir.resolve("q.onnx")));
            assertTrue(x.getMessage().contains("int8"), x.getMessage());
        }
    }
}
