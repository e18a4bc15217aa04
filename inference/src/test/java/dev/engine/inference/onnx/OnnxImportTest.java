package dev.engine.inference.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.inference.FreezeOptions;
import dev.engine.inference.FrozenModel;
import dev.engine.inference.Prediction;
import dev.engine.inference.Predictor;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** PyTorch-exported MLP and LeNet (opset 13, dynamic batch) import and reproduce PyTorch's outputs. */
class OnnxImportTest {
    static void check(Path dir, String name, int batch, double tol) throws Exception {
        float[] in = OnnxFiles.readF32(dir.resolve(name + ".ref_in.f32")), ref = OnnxFiles.readF32(dir.resolve(name + ".ref_out.f32"));
        for (FreezeOptions o : new FreezeOptions[]{FreezeOptions.defaults(), FreezeOptions.none()}) {
            try (FrozenModel m = Onnx.load(dir.resolve(name + ".onnx"), null, o)) {
                float[] out = m.run(in, batch);
                double worst = OnnxFiles.maxAbsDiff(ref, out);
                assertTrue(worst <= tol, name + " with " + o + " differs from PyTorch by " + worst + "\n" + m.describePlan(batch));
                // batch 1 (another plan) gives the last row's answer
                int per = ref.length / batch, feat = in.length / batch, r = batch - 1;
                float[] row = m.run(Arrays.copyOfRange(in, r * feat, (r + 1) * feat), 1);
                assertArrayEquals(Arrays.copyOfRange(ref, r * per, (r + 1) * per), row, (float) tol);
            }
        }
    }

    @Test void pytorchMlpMatchesWithin1e5() throws Exception { check(OnnxFiles.shared(), "mlp", 64, 1e-5); }

    @Test void pytorchLenetMatchesWithin1e5() throws Exception { check(OnnxFiles.shared(), "lenet", 64, 1e-5); }

    @Test void importedMlpRunsAsFusedGemms() {
        try (FrozenModel m = Onnx.load(OnnxFiles.shared().resolve("mlp.onnx"))) {
            String plan = m.describePlan(1);
            assertEquals(3, m.plan(1).steps().size(), plan);
            assertTrue(plan.contains("+relu"), plan);
            assertArrayEquals(new long[]{784}, m.sampleShape());
        }
    }

    @Test void predictorLoadsOnnxFiles() throws Exception {
        Path dir = OnnxFiles.shared();
        float[] in = OnnxFiles.readF32(dir.resolve("lenet.ref_in.f32")), ref = OnnxFiles.readF32(dir.resolve("lenet.ref_out.f32"));
        try (Predictor p = Predictor.load(dir.resolve("lenet.onnx"))) {
            for (int i = 0; i < 4; i++) {
                Prediction r = p.predict(Arrays.copyOfRange(in, i * 784, (i + 1) * 784));
                int best = 0;
                for (int j = 1; j < 10; j++) if (ref[i * 10 + j] > ref[i * 10 + best]) best = j;
                assertEquals(best, r.index());
            }
        }
    }
}
