package dev.engine.inference;

import dev.engine.graph.Traceable;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.engine.inference.onnx.Onnx;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * PyTorch's ONNX files of the shared MLP and LeNet, imported, give the same plan as the same weights
 * frozen natively from safetensors (step kinds, fused activations, shapes, arena size) and bit-identical
 * outputs: the imported model runs exactly the native kernels (issue 17's "within 5 %, same plan").
 */
class ImportedVsNativeTest {
    static List<String> steps(ExecutionPlan p) {
        List<String> s = new ArrayList<>();
        for (ExecutionPlan.Step st : p.steps())
            s.add(st.node().kind() + " " + st.node().activation() + " " + java.util.Arrays.toString(p.shape(st.node().output())));
        s.add("arena " + p.arenaBytes());
        return s;
    }

    static void same(String name, Traceable nativeModel, long[] sample) throws Exception {
        float[] in = Models.readF32(Models.DATA.resolve(name + ".ref_in.f32"));
        try (FrozenModel a = Freezer.freeze(nativeModel, sample, FreezeOptions.defaults());
             FrozenModel b = Onnx.load(Models.DATA.resolve(name + ".onnx"))) {
            for (int batch : new int[]{1, 64}) {
                assertEquals(steps(a.plan(batch)), steps(b.plan(batch)), a.describePlan(batch) + "\nvs imported\n" + b.describePlan(batch));
                float[] x = java.util.Arrays.copyOf(in, batch * a.inputFeatures());
                assertArrayEquals(a.run(x, batch), b.run(x, batch), 0f, name + " at batch " + batch);
            }
        }
    }

    @Test void mlp() throws Exception {
        Map<String, Safetensors.Entry> sd = Safetensors.read(Models.requireData().resolve("mlp.safetensors"));
        same("mlp", Models.mlp(sd), new long[]{1, 784});
    }

    @Test void lenet() throws Exception {
        Map<String, Safetensors.Entry> sd = Safetensors.read(Models.requireData().resolve("lenet.safetensors"));
        same("lenet", Models.lenet(sd), new long[]{1, 1, 28, 28});
    }
}
