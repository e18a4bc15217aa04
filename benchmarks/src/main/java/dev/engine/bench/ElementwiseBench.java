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
 * {@code y = relu(x * a + b)} over n elements: one fused elementwise program (one pass) against three
 * single-op programs with two intermediates (three passes), the way an unfused eager engine runs it.
 */
@Suite(title = "Elementwise chain y = relu(x*a + b), fused vs unfused",
        note = "engineFused = one ElementwiseProgram; peerUnfused = MUL, ADD, RELU as three programs with intermediates")
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ElementwiseBench {
    @Param({"4096", "1048576"}) public int n;
    @Param({"cpu"}) public String backend;

    private Backend be;
    private Buffer x, a, b, y, t1, t2;
    private BufferView vx, va, vb, vy, v1, v2;
    private BufferView[] fusedIn, mulIn, addIn, reluIn;
    private ElementwiseProgram fused, mul, add, relu;

    /** The fused program: r3 = x*a, r4 = r3+b, r5 = relu(r4). */
    static ElementwiseProgram fusedProgram() {
        var p = ElementwiseProgram.builder(3);
        int m = p.op(ElementwiseOp.MUL, 0, 1);
        int s = p.op(ElementwiseOp.ADD, m, 2);
        return p.build(p.op(ElementwiseOp.RELU, s));
    }

    @Setup(Level.Trial)
    public void setup() {
        be = Fixtures.backend(backend);
        x = Fixtures.randomF32(be, n, 1);
        a = Fixtures.randomF32(be, n, 2);
        b = Fixtures.randomF32(be, n, 3);
        y = Fixtures.randomF32(be, n, 4);
        t1 = Fixtures.randomF32(be, n, 5);
        t2 = Fixtures.randomF32(be, n, 6);
        vx = BufferView.of(x, n);
        va = BufferView.of(a, n);
        vb = BufferView.of(b, n);
        vy = BufferView.of(y, n);
        v1 = BufferView.of(t1, n);
        v2 = BufferView.of(t2, n);
        fusedIn = new BufferView[]{vx, va, vb};
        mulIn = new BufferView[]{vx, va};
        addIn = new BufferView[]{v1, vb};
        reluIn = new BufferView[]{v2};
        fused = fusedProgram();
        mul = ElementwiseProgram.single(ElementwiseOp.MUL, 0);
        add = ElementwiseProgram.single(ElementwiseOp.ADD, 0);
        relu = ElementwiseProgram.single(ElementwiseOp.RELU, 0);
    }

    @TearDown(Level.Trial)
    public void tearDown() { Fixtures.close(x, a, b, y, t1, t2); }

    @Benchmark
    public void engineFused() {
        be.elementwise(fused, fusedIn, vy);
        be.synchronize();
    }

    @Benchmark
    public void peerUnfused() {
        be.elementwise(mul, mulIn, v1);
        be.elementwise(add, addIn, v2);
        be.elementwise(relu, reluIn, vy);
        be.synchronize();
    }
}
