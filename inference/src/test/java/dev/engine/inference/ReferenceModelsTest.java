package dev.engine.inference;

import dev.engine.graph.Traceable;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The PyTorch models of shared/data/models, loaded from safetensors, reproduce PyTorch's outputs. */
class ReferenceModelsTest {
    private static void check(String name, Traceable model, long[] sample) throws Exception {
        Path dir = Models.requireData();
        float[] in = Models.readF32(dir.resolve(name + ".ref_in.f32"));
        float[] ref = Models.readF32(dir.resolve(name + ".ref_out.f32"));
        long[] shape = sample.clone();
        for (FreezeOptions o : new FreezeOptions[]{FreezeOptions.defaults(), FreezeOptions.none()}) {
            try (FrozenModel m = Freezer.freeze(model, shape, o)) {
                float[] out = m.run(in, 64);
                assertEquals(ref.length, out.length);
                double worst = 0;
                for (int i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(ref[i] - out[i]));
                assertEquals(0, worst, 1e-4, name + " with " + o + " differs from PyTorch by " + worst);
                // batch 1 (a different cached plan) gives the same rows
                int per = ref.length / 64, feat = in.length / 64;
                float[] row = m.run(java.util.Arrays.copyOfRange(in, 5 * feat, 6 * feat), 1);
                for (int j = 0; j < per; j++) assertEquals(ref[5 * per + j], row[j], 1e-4);
            }
        }
    }

    @Test void mlpMatchesPyTorch() throws Exception {
        Map<String, Safetensors.Entry> sd = Safetensors.read(Models.requireData().resolve("mlp.safetensors"));
        check("mlp", Models.mlp(sd), new long[]{1, 784});
    }

    @Test void lenetMatchesPyTorch() throws Exception {
        Map<String, Safetensors.Entry> sd = Safetensors.read(Models.requireData().resolve("lenet.safetensors"));
        check("lenet", Models.lenet(sd), new long[]{1, 1, 28, 28});
    }

    @Test void lenetBundleThroughPredictor(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path dir = Models.requireData();
        Map<String, Safetensors.Entry> sd = Safetensors.read(dir.resolve("lenet.safetensors"));
        float[] in = Models.readF32(dir.resolve("lenet.ref_in.f32")), ref = Models.readF32(dir.resolve("lenet.ref_out.f32"));
        java.util.List<String> labels = java.util.List.of("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine");
        Path bundle = tmp.resolve("lenet.model");
        try (FrozenModel m = Freezer.freeze(Models.lenet(sd), new long[]{1, 1, 28, 28}, FreezeOptions.defaults())) {
            Bundle.save(bundle, m, null, PostProcessor.softmax(labels));
        }
        try (Predictor p = Predictor.load(bundle)) {
            float[][] rows = new float[64][];
            for (int i = 0; i < 64; i++) rows[i] = java.util.Arrays.copyOfRange(in, i * 784, (i + 1) * 784);
            Prediction[] batch = p.predict(rows);
            for (int i = 0; i < 64; i++) {
                int best = 0;
                for (int j = 1; j < 10; j++) if (ref[i * 10 + j] > ref[i * 10 + best]) best = j;
                assertEquals(labels.get(best), batch[i].label());
                assertEquals(labels.get(best), p.predict(rows[i]).label());
                assertEquals(batch[i].probability(), batch[i].topK(3).get(0).probability(), 1e-9);
            }
        }
    }

    @Test void planPrintsFusedNames() throws Exception {
        Map<String, Safetensors.Entry> sd = Safetensors.read(Models.requireData().resolve("mlp.safetensors"));
        try (FrozenModel m = Freezer.freeze(Models.mlp(sd), new long[]{1, 784}, FreezeOptions.defaults())) {
            String plan = m.describePlan(64);
            System.out.println(plan);
            org.junit.jupiter.api.Assertions.assertTrue(plan.contains("fc1+bias+relu"), plan);
            assertEquals(3, m.plan(64).steps().size());
        }
    }
}
