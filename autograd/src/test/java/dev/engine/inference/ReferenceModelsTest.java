package dev.engine.inference;

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
