package dev.engine.bench;

import dev.engine.inference.Freezer;
import dev.engine.api.Backend;
import dev.engine.api.Backends;
import dev.engine.api.DType;
import dev.engine.autograd.Generator;
import dev.engine.autograd.MemoryScope;
import dev.engine.autograd.Tensor;
import dev.engine.inference.FreezeOptions;
import dev.engine.inference.FrozenModel;
import dev.engine.nn.Module;
import dev.engine.nn.TransformerEncoderLayer;
import dev.engine.nn.loss.CrossEntropyLoss;
import dev.engine.nn.loss.Loss;
import dev.engine.nn.loss.MSELoss;
import dev.engine.optim.Adam;
import dev.engine.optim.Optimizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The GPU bundle's model benchmark: training steps and frozen host-to-host inference on one backend,
 * timed the same way as {@code scripts/gpu/torch_peer.py} times PyTorch on the same models, so the two
 * JSON files give ratios measured in one run on one GPU. Not JMH (the GPU machine has a bare runtime);
 * each figure is the median of several repeats of many synchronised steps after a warm-up.
 *
 * <pre>{@code
 * java -Dengine.backend=cuda -cp 'lib/*' dev.engine.bench.GpuBench --label cublas --out gpu-cublas.json
 * java -Dengine.backend=cuda -Dengine.bench.autocast=bf16 -cp 'lib/*' dev.engine.bench.GpuBench --label cublaslt-bf16 --only mlp4096
 * }</pre>
 *
 * <p>Train models: {@code mlp4096} (4096-4096-4096-10, batch 1024), {@code lenet} (batch 64),
 * {@code mlp784} (784-512-512-10, batch 128), {@code transformer} (encoder layer d128, 4 heads, FFN 512,
 * seq 64, batch 8, MSE); all Adam 1e-3, cross-entropy unless said. Frozen: the 784-512-512-10 MLP at
 * batch 1 and 64 and LeNet-5 at batch 1, a host float[] in and a host float[] out per call.
 */
public final class GpuBench {
    private GpuBench() {}

    /** One measured figure. */
    record Row(String kind, String model, int batch, double medianMs, double minMs, int repeats, int stepsPerRepeat) {}

    public static void main(String[] args) throws IOException {
        String label = "engine";
        Path out = null;
        List<String> only = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--label" -> label = args[++i];
                case "--out" -> out = Path.of(args[++i]);
                case "--only" -> only.addAll(Arrays.asList(args[++i].split(",")));
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + " (--label L, --out FILE, --only a,b)");
            }
        }
        Backend be = Backends.preferred();
        System.out.println("GpuBench " + label + " on " + be.name() + ": " + be.describe().replace('\n', ' '));
        List<Row> rows = new ArrayList<>();
        for (String m : new String[]{"mlp784", "transformer", "lenet", "mlp4096"})
            if (only.isEmpty() || only.contains(m)) rows.add(trainStep(be, m));
        for (String[] f : new String[][]{{"mlp", "1"}, {"mlp", "64"}, {"lenet", "1"}, {"lenet", "64"}})
            if (only.isEmpty() || only.contains("frozen")) rows.add(frozen(be, f[0], Integer.parseInt(f[1])));
        if (only.contains("lenet-layers")) rows.addAll(lenetLayers(be));
        StringBuilder json = new StringBuilder("{\"label\":\"" + label + "\",\"backend\":\"" + be.name() + "\",\"rows\":[");
        for (int i = 0; i < rows.size(); i++) {
            Row r = rows.get(i);
            System.out.printf(Locale.ROOT, "%-6s %-12s batch %5d  median %9.4f ms  min %9.4f ms  (%d x %d)%n", r.kind(), r.model(), r.batch(),
                    r.medianMs(), r.minMs(), r.repeats(), r.stepsPerRepeat());
            json.append(i == 0 ? "" : ",").append(String.format(Locale.ROOT,
                    "{\"kind\":\"%s\",\"model\":\"%s\",\"batch\":%d,\"median_ms\":%.6f,\"min_ms\":%.6f}", r.kind(), r.model(), r.batch(),
                    r.medianMs(), r.minMs()));
        }
        json.append("]}\n");
        if (out != null) Files.writeString(out, json.toString());
    }

    private static Row trainStep(Backend be, String model) {
        int batch = switch (model) {
            case "mlp4096" -> 1024;
            case "lenet" -> 64;
            case "mlp784" -> 128;
            case "transformer" -> 8;
            default -> throw new IllegalArgumentException(model);
        };
        SplittableRandom r = new SplittableRandom(11);
        Module net;
        Loss loss;
        Tensor x, y;
        switch (model) {
            case "mlp4096" -> {
                net = Models.mlp(4096, 4096, 4096, 10);
                x = Tensor.of(be, Fixtures.random(batch * 4096, 1), batch, 4096);
                y = classes(be, r, batch);
                loss = new CrossEntropyLoss();
            }
            case "mlp784" -> {
                net = Models.mlp();
                x = Tensor.of(be, Fixtures.random(batch * 784, 1), batch, 784);
                y = classes(be, r, batch);
                loss = new CrossEntropyLoss();
            }
            case "lenet" -> {
                net = Models.lenet();
                x = Tensor.of(be, Fixtures.random(batch * 784, 2), batch, 1, 28, 28);
                y = classes(be, r, batch);
                loss = new CrossEntropyLoss();
            }
            default -> {
                net = new TransformerEncoderLayer(128, 4, 512, 0.1, false, false, new Generator(5));
                x = Tensor.of(be, Fixtures.random(batch * 64 * 128, 3), batch, 64, 128);
                y = Tensor.of(be, Fixtures.random(batch * 64 * 128, 4), batch, 64, 128);
                loss = new MSELoss();
            }
        }
        MemoryScope.detach(x);
        MemoryScope.detach(y);
        net.train();
        Optimizer opt = new Adam(net.parameters(), 1e-3);
        DType precision = autocast();
        Runnable step = () -> TrainSteps.step(net, loss, opt, x, y, precision, false);
        try {
            return time("train", model, batch, be, step);
        } finally {
            x.close();
            y.close();
        }
    }

    /**
     * Where a LeNet-5 batch-64 training step goes: each layer's forward, and forward + backward of the
     * layer alone (its input requires a gradient; the output's gradient is a fixed tensor), synchronised.
     */
    private static List<Row> lenetLayers(Backend be) {
        List<Row> rows = new ArrayList<>();
        dev.engine.nn.Sequential net = Models.lenet();
        net.train();
        Tensor x = Tensor.of(be, Fixtures.random(64 * 784, 2), 64, 1, 28, 28);
        MemoryScope.detach(x);
        for (int i = 0; i < net.size(); i++) {
            Module layer = net.get(i);
            Tensor in = x;
            Tensor out;
            try (dev.engine.autograd.GradMode ng = dev.engine.autograd.GradMode.noGrad()) {
                out = layer.forward(in);
            }
            MemoryScope.detach(out);
            Tensor gy = Tensor.of(be, Fixtures.random((int) out.numel(), 9 + i), out.shape());
            MemoryScope.detach(gy);
            String name = i + ":" + layer.getClass().getSimpleName();
            rows.add(time("fwd", name, 64, be, () -> {
                try (MemoryScope s = MemoryScope.open()) { layer.forward(in); }
            }, 0.03));
            rows.add(time("fwdbwd", name, 64, be, () -> {
                try (MemoryScope s = MemoryScope.open()) {
                    Tensor xin = in.detach().requiresGrad(true);
                    layer.forward(xin).backward(gy);
                }
            }, 0.03));
            gy.close();
            x = out;
        }
        return rows;
    }

    private static Row frozen(Backend be, String model, int batch) {
        Module net = model.equals("mlp") ? Models.mlp() : Models.lenet();
        long[] sample = Models.sampleShape(model);
        long[] shape = new long[sample.length + 1];
        shape[0] = batch;
        System.arraycopy(sample, 0, shape, 1, sample.length);
        net.eval();
        try (Tensor example = Tensor.zeros(shape); FrozenModel fm = Freezer.freeze(net, example, FreezeOptions.defaults().backend(be))) {
            float[] in = Fixtures.random(batch * (int) (Arrays.stream(sample).reduce(1, (a, b) -> a * b)), 7);
            float[] outBuf = new float[fm.outputFeatures() * batch];
            return time("frozen", model, batch, be, () -> fm.run(in, batch, outBuf));
        }
    }

    /** Warm-up, then 7 repeats of enough steps for ~0.3 s each (at least 5), synchronising after every step. */
    private static Row time(String kind, String model, int batch, Backend be, Runnable step) {
        return time(kind, model, batch, be, step, 0.3);
    }

    private static Row time(String kind, String model, int batch, Backend be, Runnable step, double repSeconds) {
        for (int i = 0; i < 5; i++) step.run();
        be.synchronize();
        long t0 = System.nanoTime();
        step.run();
        be.synchronize();
        double one = Math.max(1e-6, (System.nanoTime() - t0) / 1e9);
        int steps = (int) Math.max(5, Math.min(20000, repSeconds / one));
        double[] ms = new double[7];
        for (int rep = 0; rep < ms.length; rep++) {
            long s = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                step.run();
                be.synchronize();
            }
            ms[rep] = (System.nanoTime() - s) / 1e6 / steps;
        }
        Arrays.sort(ms);
        return new Row(kind, model, batch, ms[ms.length / 2], ms[0], ms.length, steps);
    }

    /** {@code -Dengine.bench.autocast=bf16|f16}: the train steps' products in that precision (F32 sums); default f32. */
    private static DType autocast() {
        String p = System.getProperty("engine.bench.autocast", "f32");
        return switch (p) {
            case "f32" -> DType.F32;
            case "bf16" -> DType.BF16;
            case "f16" -> DType.F16;
            default -> throw new IllegalArgumentException("engine.bench.autocast: f32, bf16 or f16, not " + p);
        };
    }

    private static Tensor classes(Backend be, SplittableRandom r, int n) {
        long[] c = new long[n];
        for (int i = 0; i < n; i++) c[i] = r.nextInt(10);
        Tensor t = Tensor.ofLongs(be, c, n);
        MemoryScope.detach(t);
        return t;
    }
}
