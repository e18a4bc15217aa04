package dev.engine.bench;

import dev.engine.api.Backend;
import dev.engine.api.DType;
import dev.engine.autograd.Autocast;
import dev.engine.autograd.Generator;
import dev.engine.autograd.MemoryScope;
import dev.engine.autograd.Profiler;
import dev.engine.autograd.Tensor;
import dev.engine.nn.Module;
import dev.engine.nn.TransformerEncoderLayer;
import dev.engine.nn.loss.CrossEntropyLoss;
import dev.engine.nn.loss.Loss;
import dev.engine.nn.loss.MSELoss;
import dev.engine.optim.Adam;
import dev.engine.optim.Optimizer;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One full training step (zero grads, forward, loss, backward, optimizer step) inside a
 * {@link MemoryScope}, on fixed seeded inputs created once:
 * <ul>
 *   <li>{@code mlp}: 784-512-512-10 ReLU MLP, batch 128, cross-entropy, Adam 1e-3 ({@code mlp4096}: 4096-4096-4096-10,
 *       batch 256, not in the default set);</li>
 *   <li>{@code lenet}: LeNet-5 on 1x28x28, batch 64, cross-entropy, Adam 1e-3;</li>
 *   <li>{@code resnet}: the small ResNet-style net of {@link Models#resnet()} on 3x32x32, batch 64, cross-entropy, Adam 1e-3;</li>
 *   <li>{@code transformer}: one TransformerEncoderLayer (d_model 128, 4 heads, FFN 512, ReLU, post-norm,
 *       dropout 0.1 as PyTorch's default, training mode), seq 64, batch 8, MSE to a fixed target, Adam 1e-3.</li>
 * </ul>
 * {@code precision} bf16 / f16 runs the forward under {@link Autocast} (products in that precision, F32 sums).
 * No in-process peer: PyTorch is not available here, so these figures are recorded and compared with
 * PyTorch separately.
 */
@Suite(title = "Training step: forward + loss + backward + Adam (no in-process peer)",
        note = "ms per step and samples/s. PyTorch is not available in-process; the PyTorch comparison is made separately "
                + "from these recorded figures.")
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class TrainStepBench {
    @Param({"mlp", "lenet", "resnet", "transformer"}) public String model;
    @Param({"cpu"}) public String backend;
    /** f32, or bf16 / f16: the forward under {@link Autocast} (mixed precision). */
    @Param({"f32"}) public String precision;

    private Backend be;
    private Module net;
    private Optimizer opt;
    private Loss lossFn;
    private Tensor x, y;
    private DType autocast;

    /** Batch size of a model's step. */
    static int batch(String model) {
        return switch (model) {
            case "mlp" -> 128;
            case "mlp4096" -> 256;
            case "lenet", "resnet" -> 64;
            case "transformer" -> 8;
            default -> throw new IllegalArgumentException("unknown model " + model + " (mlp, lenet, resnet, transformer)");
        };
    }

    @Setup(Level.Trial)
    public void setup() {
        be = Fixtures.backend(backend);
        int n = batch(model);
        SplittableRandom r = new SplittableRandom(11);
        switch (model) {
            case "mlp" -> {
                net = Models.mlp();
                x = Tensor.of(be, Fixtures.random(n * 784, 1), n, 784);
                y = classes(r, n);
                lossFn = new CrossEntropyLoss();
            }
            case "mlp4096" -> {
                net = Models.mlp(4096, 4096, 4096, 10);
                x = Tensor.of(be, Fixtures.random(n * 4096, 1), n, 4096);
                y = classes(r, n);
                lossFn = new CrossEntropyLoss();
            }
            case "lenet" -> {
                net = Models.lenet();
                x = Tensor.of(be, Fixtures.random(n * 784, 2), n, 1, 28, 28);
                y = classes(r, n);
                lossFn = new CrossEntropyLoss();
            }
            case "resnet" -> {
                net = Models.resnet();
                x = Tensor.of(be, Fixtures.random(n * 3 * 32 * 32, 6), n, 3, 32, 32);
                y = classes(r, n);
                lossFn = new CrossEntropyLoss();
            }
            case "transformer" -> {
                net = new TransformerEncoderLayer(128, 4, 512, 0.1, false, false, new Generator(5));
                x = Tensor.of(be, Fixtures.random(n * 64 * 128, 3), n, 64, 128);
                y = Tensor.of(be, Fixtures.random(n * 64 * 128, 4), n, 64, 128);
                lossFn = new MSELoss();
            }
            default -> throw new IllegalArgumentException("unknown model " + model);
        }
        MemoryScope.detach(x);
        MemoryScope.detach(y);
        net.train();
        opt = new Adam(net.parameters(), 1e-3);
        autocast = switch (precision == null ? "f32" : precision) {
            case "f32" -> DType.F32;
            case "bf16" -> DType.BF16;
            case "f16" -> DType.F16;
            default -> throw new IllegalArgumentException("precision " + precision + " (f32, bf16, f16)");
        };
    }

    private Tensor classes(SplittableRandom r, int n) {
        long[] c = new long[n];
        for (int i = 0; i < n; i++) c[i] = r.nextInt(10);
        return Tensor.ofLongs(be, c, n);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (x != null) x.close();
        if (y != null) y.close();
    }

    /** One step; returns the loss tensor's scalar so the step cannot be optimised away. */
    @Benchmark
    public double engineStep() {
        try (MemoryScope s = MemoryScope.open()) {
            try (Profiler.Span p = Profiler.span("(zero grads)")) { opt.zeroGrad(); }
            Tensor loss;
            try (Autocast a = Autocast.of(autocast)) {
                loss = lossFn.forward(net.forward(x), y);
            }
            loss.backward();
            try (Profiler.Span p = Profiler.span("(optimizer step)")) { opt.step(); }
            be.synchronize();
            return loss.dim();
        }
    }

    /** Samples per step, so the report prints samples/s. */
    public static double samplesPerOp(Map<String, String> params) {
        return batch(params.getOrDefault("model", "mlp"));
    }
}
