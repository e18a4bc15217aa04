package dev.engine.benchmarks;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.engine.api.Backends;
import dev.engine.autograd.Functional;
import dev.engine.autograd.MemoryScope;
import dev.engine.autograd.Tensor;
import dev.engine.inference.FreezeOptions;
import dev.engine.inference.Freezer;
import dev.engine.inference.FrozenModel;
import dev.engine.inference.OnnxExporter;
import dev.engine.inference.Safetensors;
import dev.engine.inference.Traceable;
import dev.engine.inference.Value;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Frozen inference against eager execution and ONNX Runtime (on our exported file, all optimisations on,
 * the same thread count, its input tensor reused), side by side in one run. Sample-time mode reports the
 * median (p0.50) and p0.99. Models come from {@code -Dengine.models=DIR} (default
 * {@code ../shared/data/models}, relative to the repository root).
 *
 * <pre>{@code
 * mvn -o -pl benchmarks -am package -DskipTests
 * mvn -o -pl benchmarks exec:exec -Dexec.executable=java \
 *     -Dexec.args="-cp %classpath org.openjdk.jmh.Main FrozenInference"
 * }</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class FrozenInferenceBenchmark {
    /** model:batch */
    @Param({"mlp:1", "mlp:64", "lenet:1"})
    public String config;

    private FrozenModel frozen;
    private OrtSession ort;
    private OnnxTensor ortInput;
    private Map<String, OnnxTensor> feeds;
    private float[] x, out;
    private int batch;
    private Tensor[] eagerWeights;

    @Setup public void setup() throws Exception {
        String[] c = config.split(":");
        batch = Integer.parseInt(c[1]);
        Path dir = Path.of(System.getProperty("engine.models", "../shared/data/models"));
        Map<String, Safetensors.Entry> sd = Safetensors.read(dir.resolve(c[0] + ".safetensors"));
        boolean mlp = c[0].equals("mlp");
        long[] sample = mlp ? new long[]{1, 784} : new long[]{1, 1, 28, 28};
        frozen = Freezer.freeze(mlp ? mlp(sd) : lenet(sd), sample, FreezeOptions.defaults());
        Random r = new Random(0);
        x = new float[batch * frozen.inputFeatures()];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        out = new float[batch * 10];
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        so.setIntraOpNumThreads(Backends.preferred().threads());
        ort = env.createSession(OnnxExporter.toBytes(frozen.graph()), so);
        ortInput = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), frozen.inputShape(batch));
        feeds = Map.of("input", ortInput);
        if (mlp) {
            eagerWeights = new Tensor[6];
            String[] names = {"net.0.weight", "net.0.bias", "net.2.weight", "net.2.bias", "net.4.weight", "net.4.bias"};
            for (int i = 0; i < 6; i++) eagerWeights[i] = sd.get(names[i]).toTensor();
        }
    }

    @TearDown public void tearDown() throws OrtException {
        ortInput.close();
        ort.close();
        frozen.close();
        if (eagerWeights != null) for (Tensor t : eagerWeights) t.close();
    }

    @Benchmark public float[] frozen() {
        frozen.run(x, batch, out);
        return out;
    }

    @Benchmark public float[] onnxRuntime() throws OrtException {
        try (OrtSession.Result res = ort.run(feeds)) {
            FloatBuffer fb = ((OnnxTensor) res.get(0)).getFloatBuffer();
            fb.get(out, 0, Math.min(out.length, fb.remaining()));
            return out;
        }
    }

    /** Eager MLP through autograd tensors (LeNet needs the conv layers, not written yet). */
    @Benchmark public float[] eager() {
        if (eagerWeights == null) return out;
        try (MemoryScope s = MemoryScope.open()) {
            Tensor h = Tensor.of(x, batch, 784);
            h = Functional.linear(h, eagerWeights[0], eagerWeights[1]).relu();
            h = Functional.linear(h, eagerWeights[2], eagerWeights[3]).relu();
            return Functional.linear(h, eagerWeights[4], eagerWeights[5]).toFloatArray();
        }
    }

    static Traceable mlp(Map<String, Safetensors.Entry> sd) {
        return (t, in) -> {
            Value h = t.relu(t.named("fc1").linear(in, sd.get("net.0.weight").floats(), 512, 784, sd.get("net.0.bias").floats()));
            h = t.relu(t.named("fc2").linear(h, sd.get("net.2.weight").floats(), 512, 512, sd.get("net.2.bias").floats()));
            return t.named("fc3").linear(h, sd.get("net.4.weight").floats(), 10, 512, sd.get("net.4.bias").floats());
        };
    }

    static Traceable lenet(Map<String, Safetensors.Entry> sd) {
        return (t, in) -> {
            Value h = t.relu(t.named("conv1").conv2d(in, sd.get("conv1.weight").floats(), 6, 1, 5, sd.get("conv1.bias").floats(), 1, 0));
            h = t.maxPool2d(h, 2, 2, 0);
            h = t.relu(t.named("conv2").conv2d(h, sd.get("conv2.weight").floats(), 16, 6, 5, sd.get("conv2.bias").floats(), 1, 0));
            h = t.flatten(t.maxPool2d(h, 2, 2, 0));
            h = t.relu(t.named("fc1").linear(h, sd.get("fc1.weight").floats(), 120, 256, sd.get("fc1.bias").floats()));
            h = t.relu(t.named("fc2").linear(h, sd.get("fc2.weight").floats(), 84, 120, sd.get("fc2.bias").floats()));
            return t.named("fc3").linear(h, sd.get("fc3.weight").floats(), 10, 84, sd.get("fc3.bias").floats());
        };
    }
}
