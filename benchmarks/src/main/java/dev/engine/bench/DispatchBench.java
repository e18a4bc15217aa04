package dev.engine.bench;

import dev.engine.api.Backend;
import dev.engine.api.Buffer;
import dev.engine.api.BufferView;
import dev.engine.api.ElementwiseOp;
import dev.engine.api.ElementwiseProgram;
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
 * Per-op dispatch overhead at the backend level: a one-element ReLU, so the time is argument checks,
 * marshalling and the native call. (Eager tensor dispatch adds autograd's bookkeeping on top; that
 * benchmark comes with the autograd module.)
 */
@Suite(title = "Per-op dispatch overhead (1-element ReLU through Backend.elementwise)",
        note = "target: <= 1 us per op", maxNanos = 1000)
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class DispatchBench {
    @Param({"1"}) public int n;
    @Param({"cpu"}) public String backend;

    private Backend be;
    private Buffer x, y;
    private BufferView[] in;
    private BufferView out;
    private ElementwiseProgram relu;

    @Setup(Level.Trial)
    public void setup() {
        be = Fixtures.backend(backend);
        x = Fixtures.randomF32(be, n, 1);
        y = Fixtures.randomF32(be, n, 2);
        in = new BufferView[]{BufferView.of(x, n)};
        out = BufferView.of(y, n);
        relu = ElementwiseProgram.single(ElementwiseOp.RELU, 0);
    }

    @TearDown(Level.Trial)
    public void tearDown() { Fixtures.close(x, y); }

    @Benchmark
    public void engine() {
        be.elementwise(relu, in, out);
        be.synchronize();
    }
}
