package dev.engine.inference;

import dev.engine.graph.Traceable;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Exported ONNX files run in ONNX Runtime and agree with our frozen models within 1e-4. */
class OnnxExportTest {
    @TempDir Path dir;

    static float[] runOrt(byte[] model, float[] x, long[] shape) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions();
             OrtSession s = env.createSession(model, so);
             OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape);
             OrtSession.Result r = s.run(Map.of("input", t))) {
            FloatBuffer fb = ((OnnxTensor) r.get(0)).getFloatBuffer();
            float[] out = new float[fb.remaining()];
            fb.get(out);
            return out;
        }
    }

    void check(Traceable model, long[] sample, FreezeOptions o, int batch) throws Exception {
        try (FrozenModel m = Freezer.freeze(model, sample, o)) {
            Path p = dir.resolve("m.onnx");
            OnnxExporter.export(m.graph(), p);
            float[] x = Models.randn(new Random(batch), batch * m.inputFeatures(), 1);
            long[] shape = m.inputShape(batch);
            assertArrayEquals(m.run(x, batch), runOrt(Files.readAllBytes(p), x, shape), 1e-4f, m.describePlan(batch));
        }
    }

    @Test void tinyModels() throws Exception {
        for (FreezeOptions o : new FreezeOptions[]{FreezeOptions.defaults(), FreezeOptions.none()}) {
            check(Models.tinyMlp(1, 5, 7, 3), new long[]{1, 5}, o, 4);
            check(Models.tinyCnn(2), new long[]{1, 2, 8, 8}, o, 3);
            check(Models.residual(3, 6, 4), new long[]{1, 6}, o, 2);
        }
    }

    /** ConvTranspose with groups, stride, output padding and dilation, as ONNX Runtime reads our export. */
    @Test void transposedConvolution() throws Exception {
        Random r = new Random(5);
        dev.engine.graph.Tracer t = new dev.engine.graph.Tracer();
        dev.engine.graph.Value x = t.input(1, 4, 5, 6);
        dev.engine.graph.Value u = t.named("up1").convTranspose2d(x, Models.randn(r, 4 * 3 * 9, 0.3), new long[]{4, 3, 3, 3},
                Models.randn(r, 6, 0.1), new int[]{2, 2}, new int[]{1, 1}, new int[]{1, 1}, new int[]{1, 1}, 2);
        u = t.named("up2").convTranspose2d(t.relu(u), Models.randn(r, 6 * 2 * 6, 0.3), new long[]{6, 2, 2, 3}, null,
                new int[]{1, 2}, new int[]{0, 1}, new int[]{0, 1}, new int[]{2, 1}, 1);
        try (FrozenModel m = Freezer.freeze(t.build(u), FreezeOptions.defaults())) {
            float[] in = Models.randn(new Random(3), 3 * m.inputFeatures(), 1);
            assertArrayEquals(m.run(in, 3), runOrt(OnnxExporter.toBytes(m.graph()), in, m.inputShape(3)), 1e-4f, m.describePlan(3));
        }
    }

    @Test void referenceModels() throws Exception {
        Path d = Models.requireData();
        check(Models.mlp(Safetensors.read(d.resolve("mlp.safetensors"))), new long[]{1, 784}, FreezeOptions.defaults(), 8);
        check(Models.lenet(Safetensors.read(d.resolve("lenet.safetensors"))), new long[]{1, 1, 28, 28}, FreezeOptions.defaults(), 8);
    }
}
