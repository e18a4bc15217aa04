package dev.engine.api.contract;

import static dev.engine.api.contract.BackendContract.test;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.engine.api.Backend;
import dev.engine.api.Buffer;
import dev.engine.api.DType;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;

/** Softmax and log-softmax with their gradients, and the fused cross-entropy (weights, smoothing, ignored rows). */
final class SoftmaxContract {
    private SoftmaxContract() {}

    private static void softmax(Fx f, int rows, int cols, boolean log) {
        for (DType dt : Fx.FLOATS) {
            double[] x = f.random(dt, rows * cols), gy = f.random(dt, rows * cols);
            for (int i = 0; i < x.length; i++) x[i] = Fx.round(dt, x[i] * 10);   // a wide range tests the max shift
            Buffer y = f.alloc(dt, rows * cols), gx = f.alloc(dt, rows * cols);
            f.be.softmax(f.buf(dt, x), y, rows, cols, log);
            double[] yv = f.read(y);
            Fx.close(Ref.softmax(x, rows, cols, log), yv, dt, 8, (log ? "log-softmax " : "softmax ") + dt + " " + rows + "x" + cols);
            f.be.softmaxBackward(y, f.buf(dt, gy), gx, rows, cols, log);
            Fx.close(Ref.softmaxBackward(yv, gy, rows, cols, log), f.read(gx), dt, 8, "softmax backward " + dt);
        }
    }

    private static void crossEntropy(Fx f, int rows, int cols, boolean weights, double eps, long ignore, long[] targets, boolean grad) {
        for (DType dt : Fx.FLOATS) {
            double[] x = f.random(dt, rows * cols), w = weights ? f.random(dt, cols) : null;
            if (w != null) for (int i = 0; i < cols; i++) w[i] = Fx.round(dt, Math.abs(w[i]) + 0.1);
            Buffer loss = f.alloc(dt, rows), rw = f.alloc(dt, rows), g = grad ? f.alloc(dt, rows * cols) : null;
            f.be.crossEntropy(f.buf(dt, x), f.longs(targets), w == null ? null : f.buf(dt, w), rows, cols, eps, ignore, loss, rw, g);
            double[][] want = Ref.crossEntropy(x, targets, w, rows, cols, eps, ignore);
            String what = "crossEntropy " + dt + " eps " + eps + (weights ? " weighted" : "");
            Fx.close(want[0], f.read(loss), dt, 8, what + " loss");
            Fx.close(want[1], f.read(rw), dt, what + " row weight");
            if (grad) Fx.close(want[2], f.read(g), dt, 8, what + " gradient");
        }
    }

    static List<DynamicTest> tests(Backend be) {
        return List.of(
                test(be, "softmax and log-softmax, forward and backward", f -> {
                    for (boolean log : new boolean[]{false, true}) {
                        softmax(f, 4, 7, log);
                        softmax(f, 1, 1, log);
                        softmax(f, 3, 300, log);
                    }
                }),
                test(be, "empty softmax writes nothing", f -> {
                    Buffer out = f.buf(DType.F32, 3);
                    f.be.softmax(f.buf(DType.F32, 1), out, 0, 5, false);
                    f.be.softmax(f.buf(DType.F32, 1), out, 5, 0, true);
                    assertArrayEquals(new double[]{3}, f.read(out), 0);
                }),
                test(be, "cross-entropy: plain, weighted, smoothed, ignored rows, without gradient", f -> {
                    long[] t = {2, 0, 4, 1, 3};
                    crossEntropy(f, 5, 5, false, 0, -100, t, true);
                    crossEntropy(f, 5, 5, true, 0, -100, t, true);
                    crossEntropy(f, 5, 5, true, 0.1, -100, t, true);
                    crossEntropy(f, 5, 5, false, 0.2, 4, t, true);
                    crossEntropy(f, 5, 5, false, 0, -100, t, false);
                    crossEntropy(f, 1, 1, false, 0, -100, new long[]{0}, true);
                }),
                test(be, "cross-entropy over no rows writes nothing", f -> {
                    Buffer loss = f.buf(DType.F32, 9);
                    f.be.crossEntropy(f.buf(DType.F32, 1), f.longs(0), null, 0, 3, 0, -100, loss, loss, null);
                    assertArrayEquals(new double[]{9}, f.read(loss), 0);
                }));
    }
}
