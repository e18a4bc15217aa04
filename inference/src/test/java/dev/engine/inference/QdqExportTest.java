package dev.engine.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.engine.api.EngineException;
import dev.engine.graph.Traceable;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Static int8 models exported as ONNX QDQ run in ONNX Runtime, read literally or through its int8 kernels,
 * and compute our int8 frozen model's arithmetic (within a rounding flip) and stay close to the F32 model;
 * models without int8 layers export as before;
 * dynamic int8 and bad arguments are refused.
 */
class QdqExportTest {
    @TempDir Path dir;

    private static float[][] rows(float[] flat, int features, int from, int n) {
        float[][] r = new float[n][];
        for (int i = 0; i < n; i++) r[i] = Arrays.copyOfRange(flat, (from + i) * features, (from + i + 1) * features);
        return r;
    }

    private static float maxAbs(float[] a) {
        float m = 0;
        for (float v : a) m = Math.max(m, Math.abs(v));
        return m;
    }

    private static float maxDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        float m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    /** The argmax of each row of {@code classes} values. */
    private static int[] argmax(float[] y, int classes) {
        int[] r = new int[y.length / classes];
        for (int i = 0; i < r.length; i++)
            for (int j = 1; j < classes; j++) if (y[i * classes + j] > y[i * classes + r[i]]) r[i] = j;
        return r;
    }

    /** ONNX Runtime's output for {@code x}, with graph optimisations (its QDQ fusion into int8 kernels) or none. */
    static float[] runOrt(byte[] model, float[] x, long[] shape, boolean optimise) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setOptimizationLevel(optimise ? OrtSession.SessionOptions.OptLevel.ALL_OPT : OrtSession.SessionOptions.OptLevel.NO_OPT);
            try (OrtSession s = env.createSession(model, so); OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape);
                 OrtSession.Result r = s.run(Map.of("input", t))) {
                FloatBuffer fb = ((OnnxTensor) r.get(0)).getFloatBuffer();
                float[] out = new float[fb.remaining()];
                fb.get(out);
                return out;
            }
        }
    }

    /**
     * Freezes {@code model} F32 and static int8 (calibrated on {@code cal}), exports the int8 graph and runs it
     * in ONNX Runtime on {@code x}, both unoptimised (the QDQ graph evaluated literally, F32 math on
     * dequantised values) and optimised (QDQ fused into its int8 kernels QGemm / QLinearConv). Both compute
     * our int8 model's arithmetic, so they must agree with it within {@code tight} x max |F32 output| (bit for
     * bit without int8 convolutions; a Conv's int32 bias, rounded to input scale x weight scale, can flip a
     * rounding in a later layer), stay within {@code loose} x of the F32 model and change the class of at
     * most {@code flips} rows.
     */
    private void check(Traceable model, long[] sample, Quantization q, float[] x, int batch, double tight, double loose, int flips) throws Exception {
        try (FrozenModel f32 = Freezer.freeze(model, sample, FreezeOptions.defaults());
             FrozenModel int8 = Freezer.freeze(model, sample, FreezeOptions.defaults().quantize(q))) {
            Path p = dir.resolve("q.onnx");
            OnnxExporter.export(int8.graph(), p);
            byte[] bytes = Files.readAllBytes(p);
            assertTrue(new String(bytes, StandardCharsets.ISO_8859_1).contains("QuantizeLinear"), "QDQ nodes written");
            long[] shape = int8.inputShape(batch);
            float[] literal = runOrt(bytes, x, shape, false), fused = runOrt(bytes, x, shape, true), ours = int8.run(x, batch), ref = f32.run(x, batch);
            float scale = maxAbs(ref);
            assertTrue(maxDiff(literal, ours) <= tight * scale, "ORT (QDQ as written) vs our int8: " + maxDiff(literal, ours) + " > " + tight + " x " + scale);
            assertTrue(maxDiff(fused, ours) <= tight * scale, "ORT (int8 kernels) vs our int8: " + maxDiff(fused, ours) + " > " + tight + " x " + scale);
            assertTrue(maxDiff(fused, ref) <= loose * scale, "ORT (int8 kernels) vs our F32: " + maxDiff(fused, ref) + " > " + loose + " x " + scale);
            int classes = ref.length / batch, differ = 0;
            int[] a = argmax(fused, classes), b = argmax(ref, classes);
            for (int i = 0; i < a.length; i++) if (a[i] != b[i]) differ++;
            assertTrue(differ <= flips, differ + " rows change class against F32");
        }
    }

    /** The reference digits MLP (784-512-512-10) on MNIST rows: calibrated on 32, checked on the other 32. */
    @Test void digitsMlp() throws Exception {
        Path d = Models.requireData();
        float[] in = Models.readF32(d.resolve("mlp.ref_in.f32"));
        Traceable mlp = Models.mlp(Safetensors.read(d.resolve("mlp.safetensors")));
        float[] x = Arrays.copyOfRange(in, 32 * 784, 64 * 784);
        check(mlp, new long[]{1, 784}, Quantization.int8Static(rows(in, 784, 0, 32)), x, 32, 0.01, 0.05, 1);
    }

    /** LeNet with its convolutions int8 too (QDQ Conv), and with only its Linear layers int8. */
    @Test void lenet() throws Exception {
        Path d = Models.requireData();
        float[] in = Models.readF32(d.resolve("lenet.ref_in.f32"));
        Traceable lenet = Models.lenet(Safetensors.read(d.resolve("lenet.safetensors")));
        float[] x = Arrays.copyOfRange(in, 32 * 784, 64 * 784);
        Quantization q = Quantization.int8Static(rows(in, 784, 0, 32));
        check(lenet, new long[]{1, 1, 28, 28}, q, x, 32, 0.01, 0.05, 1);
        check(lenet, new long[]{1, 1, 28, 28}, q.excludingConvolutions(), x, 32, 0.01, 0.05, 1);
    }

    /** Small random nets: padded convs with BatchNorm folded in, a residual Linear, a per-token (3-D) Linear, GELU. */
    @Test void smallNets() throws Exception {
        Random r = new Random(5);
        float[] cnnX = Models.randn(r, 6 * 2 * 8 * 8, 1);
        check(Models.tinyCnn(2), new long[]{1, 2, 8, 8}, Quantization.int8Static(rows(cnnX, 128, 0, 6)), cnnX, 6, 0.01, 0.05, 1);
        float[] resX = Models.randn(r, 8 * 6, 1);
        check(Models.residual(3, 6, 4), new long[]{1, 6}, Quantization.int8Static(rows(resX, 6, 0, 8)), resX, 8, 0.01, 0.05, 1);
        float[] seqW = Models.randn(r, 5 * 6, 0.3), seqB = Models.randn(r, 5, 0.1), seqX = Models.randn(r, 3 * 4 * 6, 1);
        Traceable perToken = (t, v) -> t.relu(t.linear(v, seqW, 5, 6, seqB));  // [batch, 4, 6]: QDQ MatMul + Add
        check(perToken, new long[]{1, 4, 6}, Quantization.int8Static(rows(seqX, 24, 0, 3)), seqX, 3, 0.01, 0.05, 0);
        float[] mlpX = Models.randn(r, 8 * 5, 1);
        check(Models.tinyMlp(1, 5, 7, 3), new long[]{1, 5}, Quantization.int8Static(rows(mlpX, 5, 0, 8)), mlpX, 8, 0.01, 0.05, 1);
    }

    /**
     * A Linear's bias is an F32 Add after the QDQ Gemm: with it as QGemm's int32 C instead, ONNX Runtime 1.23
     * got whole columns wrong at this shape (32 x 256 -> 120, per-channel scales). Here the fused result
     * is our int8 model's to F32 rounding.
     */
    @Test void linearBiasSurvivesOnnxRuntimesFusion() throws Exception {
        Random r = new Random(3);
        float[] w = Models.randn(r, 120 * 256, 0.2), b = Models.randn(r, 120, 0.5), x = new float[32 * 256];
        for (int i = 0; i < x.length; i++) x[i] = r.nextFloat() * 3;
        Traceable layer = (t, v) -> t.linear(v, w, 120, 256, b);
        try (FrozenModel m = Freezer.freeze(layer, new long[]{1, 256}, FreezeOptions.defaults().quantize(Quantization.int8Static(rows(x, 256, 0, 32))))) {
            float[] ours = m.run(x, 32), fused = runOrt(OnnxExporter.toBytes(m.graph()), x, m.inputShape(32), true);
            assertTrue(maxDiff(fused, ours) <= 1e-5f * maxAbs(ours), "ORT (int8 kernels) vs our int8: " + maxDiff(fused, ours));
        }
    }

    /** A conv-only net quantised without convolutions has no int8 layer: its export is byte for byte the F32 one. */
    @Test void noQuantisedLayerExportsAsBefore() {
        Random r = new Random(6);
        float[] w = Models.randn(r, 3 * 2 * 3 * 3, 0.3), x = Models.randn(r, 4 * 2 * 6 * 6, 1);
        Traceable convOnly = (t, v) -> t.relu(t.conv2d(v, w, 3, 2, 3, null, 1, 1));
        try (FrozenModel f32 = Freezer.freeze(convOnly, new long[]{1, 2, 6, 6}, FreezeOptions.defaults());
             FrozenModel q = Freezer.freeze(convOnly, new long[]{1, 2, 6, 6}, FreezeOptions.defaults().quantize(Quantization.int8Static(rows(x, 72, 0, 4)).excludingConvolutions()))) {
            byte[] a = OnnxExporter.toBytes(f32.graph()), b = OnnxExporter.toBytes(q.graph());
            assertArrayEquals(a, b);
            assertFalse(new String(b, StandardCharsets.ISO_8859_1).contains("QuantizeLinear"));
        }
    }

    @Test void dynamicInt8IsRefused() {
        try (FrozenModel m = Freezer.freeze(Models.tinyMlp(1, 5, 7, 3), new long[]{1, 5}, FreezeOptions.defaults().quantize(Quantization.int8Dynamic()))) {
            EngineException e = assertThrows(EngineException.class, () -> OnnxExporter.export(m.graph(), dir.resolve("d.onnx")));
            assertTrue(e.getMessage().contains("dynamic") && e.getMessage().contains("int8Static"), e.getMessage());
            assertFalse(Files.exists(dir.resolve("d.onnx")), "nothing written");
        }
    }

    @Test void nullArgumentsAreRefused() {
        try (FrozenModel m = Freezer.freeze(Models.tinyMlp(1, 5, 7, 3), new long[]{1, 5}, FreezeOptions.defaults())) {
            assertThrows(EngineException.class, () -> OnnxExporter.export(null, dir.resolve("n.onnx")));
            assertThrows(EngineException.class, () -> OnnxExporter.export(m.graph(), null));
            assertThrows(EngineException.class, () -> OnnxExporter.toBytes(null));
        }
    }
}
