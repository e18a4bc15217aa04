package dev.engine.bench;

import dev.engine.api.Activation;
import dev.engine.api.Backend;
import dev.engine.api.Buffer;
import dev.engine.api.Conv2dShape;
import dev.engine.api.Shapes;
import java.util.Map;
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
 * Conv2d forward with bias on LeNet-5's two convolutions at batch 64. The {@code layer} param reads
 * {@code NxCxHxW-kK-rR-pP}: batch, channels, input size, filters, square kernel, padding (stride 1).
 */
@Suite(title = "Conv2d forward (LeNet-5 layers, batch 64)", note = "Backend.conv2dForward with bias, im2col + GEMM")
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class Conv2dBench {
    @Param({"64x1x28x28-k6-r5-p2", "64x6x14x14-k16-r5-p0"}) public String layer;
    @Param({"cpu"}) public String backend;

    private Backend be;
    private Conv2dShape g;
    private Buffer x, w, bias, y;

    /** Parses the {@code layer} param. */
    static Conv2dShape parse(String layer) {
        String[] parts = layer.split("-");
        String[] in = parts[0].split("x");
        long k = Long.parseLong(parts[1].substring(1));
        long r = Long.parseLong(parts[2].substring(1));
        int pad = Integer.parseInt(parts[3].substring(1));
        return new Conv2dShape(Long.parseLong(in[0]), Long.parseLong(in[1]), Long.parseLong(in[2]), Long.parseLong(in[3]),
                k, r, r, 1, 1, pad, pad, 1, 1, 1);
    }

    /** Multiply-adds of one forward pass times two. */
    public static double flopsPerOp(Map<String, String> params) {
        Conv2dShape g = parse(params.get("layer"));
        return 2.0 * g.n() * g.k() * g.outH() * g.outW() * g.c() * g.r() * g.s();
    }

    @Setup(Level.Trial)
    public void setup() {
        g = parse(layer);
        be = Fixtures.backend(backend);
        x = Fixtures.randomF32(be, (int) Shapes.numel(g.inputShape()), 1);
        w = Fixtures.randomF32(be, (int) Shapes.numel(g.weightShape()), 2);
        bias = Fixtures.randomF32(be, (int) g.k(), 3);
        y = Fixtures.randomF32(be, (int) Shapes.numel(g.outputShape()), 4);
    }

    @TearDown(Level.Trial)
    public void tearDown() { Fixtures.close(x, w, bias, y); }

    @Benchmark
    public void engine() {
        be.conv2dForward(g, x, w, bias, Activation.NONE, y);
        be.synchronize();
    }
}
