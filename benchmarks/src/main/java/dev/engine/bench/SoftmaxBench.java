package dev.engine.bench;

import dev.engine.api.Backend;
import dev.engine.api.Buffer;
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

/** Row softmax of a contiguous rows x cols matrix (a classifier's output layer). */
@Suite(title = "Softmax over rows", note = "Backend.softmax, shape = rows x cols")
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class SoftmaxBench {
    @Param({"128x1000", "64x10000"}) public String shape;
    @Param({"cpu"}) public String backend;

    private Backend be;
    private Buffer x, y;
    private long rows, cols;

    @Setup(Level.Trial)
    public void setup() {
        String[] p = shape.split("x");
        rows = Long.parseLong(p[0]);
        cols = Long.parseLong(p[1]);
        be = Fixtures.backend(backend);
        x = Fixtures.randomF32(be, (int) (rows * cols), 1);
        y = Fixtures.randomF32(be, (int) (rows * cols), 2);
    }

    @TearDown(Level.Trial)
    public void tearDown() { Fixtures.close(x, y); }

    @Benchmark
    public void engine() {
        be.softmax(x, y, rows, cols, false);
        be.synchronize();
    }
}
