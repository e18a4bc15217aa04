package dev.engine.api.contract;

import static dev.engine.api.contract.BackendContract.test;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.engine.api.Activation;
import dev.engine.api.Backend;
import dev.engine.api.Buffer;
import dev.engine.api.Conv2dShape;
import dev.engine.api.DType;
import dev.engine.api.PackedMatrix;
import dev.engine.api.Pool2dShape;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;

/** Convolution (stride, padding, dilation, groups, packed weights) and max/avg/adaptive pooling, forward and backward. */
final class ConvPoolContract {
    private ConvPoolContract() {}

    static final Conv2dShape[] CONVS = {
            new Conv2dShape(2, 3, 7, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1),    // same padding
            new Conv2dShape(1, 4, 9, 8, 6, 3, 2, 2, 1, 0, 1, 2, 1, 2),    // stride, dilation, groups
            new Conv2dShape(3, 2, 5, 5, 16, 1, 1, 1, 1, 0, 0, 1, 1, 1),   // 1x1, 16 filters
            new Conv2dShape(1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1),    // one element
    };

    private static double[] data(Fx f, DType dt, long n) { return f.random(dt, (int) Math.max(1, n)); }

    private static long numel(long[] shape) { long p = 1; for (long s : shape) p *= s; return p; }

    private static void conv(Fx f, DType dt, Conv2dShape g) {
        double[] x = data(f, dt, numel(g.inputShape())), w = data(f, dt, numel(g.weightShape())), b = data(f, dt, g.k());
        double[] gy = data(f, dt, numel(g.outputShape()));
        Buffer bx = f.buf(dt, x), bw = f.buf(dt, w), y = f.alloc(dt, numel(g.outputShape()));
        f.be.conv2dForward(g, bx, bw, f.buf(dt, b), Activation.RELU, y);
        double scale = 4 * g.c() * g.r() * g.s();
        Fx.close(Ref.conv2d(g, x, w, b, Activation.RELU), f.read(y), dt, scale, "conv2d " + dt + " " + g);
        double[][] back = Ref.conv2dBackward(g, x, w, gy);
        Buffer gx = f.alloc(dt, x.length), gw = f.alloc(dt, w.length), gb = f.alloc(dt, g.k());
        f.be.conv2dBackwardInput(g, f.buf(dt, gy), bw, gx);
        Fx.close(back[0], f.read(gx), dt, scale, "conv2d backward input " + dt + " " + g);
        f.be.conv2dBackwardWeight(g, bx, f.buf(dt, gy), gw, gb);
        Fx.close(back[1], f.read(gw), dt, scale * g.n(), "conv2d backward weight " + dt + " " + g);
        Fx.close(back[2], f.read(gb), dt, scale * g.n(), "conv2d backward bias " + dt + " " + g);
    }

    private static void packed(Fx f, Conv2dShape g) {
        double[] x = data(f, DType.F32, numel(g.inputShape())), w = data(f, DType.F32, numel(g.weightShape())), b = data(f, DType.F32, g.k());
        Buffer y = f.alloc(DType.F32, numel(g.outputShape()));
        try (PackedMatrix p = f.be.packConvWeight(f.buf(DType.F32, w), g.k(), g.c() / g.groups() * g.r() * g.s(), g.groups())) {
            f.be.conv2dForwardPacked(g, f.buf(DType.F32, x), p, f.buf(DType.F32, b), Activation.TANH, y);
        }
        Fx.close(Ref.conv2d(g, x, w, b, Activation.TANH), f.read(y), DType.F32, 4 * g.c() * g.r() * g.s(), "conv2dForwardPacked " + g);
    }

    private static void pools(Fx f, DType dt, Pool2dShape g) {
        int in = (int) (g.n() * g.c() * g.h() * g.w()), out = (int) numel(g.outputShape());
        double[] x = f.random(dt, in), gy = f.random(dt, out);
        Buffer bx = f.buf(dt, x), y = f.alloc(dt, out), idx = f.alloc(DType.I64, out), yv = f.alloc(dt, out);
        double[][] mp = Ref.maxPool(g, x);
        f.be.maxPool2dForward(g, bx, y, idx);
        f.be.maxPool2dForward(g, bx, yv, null);
        String what = dt + " " + g;
        assertArrayEquals(mp[0], f.read(y), 0, "maxPool2d " + what);
        assertArrayEquals(mp[0], f.read(yv), 0, "maxPool2d without indices " + what);
        assertArrayEquals(mp[1], f.read(idx), 0, "maxPool2d indices " + what);
        Buffer gx = f.alloc(dt, in);
        f.be.maxPool2dBackward(g, f.buf(dt, gy), idx, gx);
        double[] wantGx = new double[in];
        int plane = (int) (g.h() * g.w()), oplane = (int) (g.outH() * g.outW());
        for (int o = 0; o < out; o++) wantGx[o / oplane * plane + (int) mp[1][o]] += gy[o];
        Fx.close(wantGx, f.read(gx), dt, 4, "maxPool2d backward " + what);
        Buffer ya = f.alloc(dt, out), gxa = f.alloc(dt, in);
        f.be.avgPool2dForward(g, bx, ya);
        Fx.close(Ref.avgPool(g, x), f.read(ya), dt, 4, "avgPool2d " + what);
        f.be.avgPool2dBackward(g, f.buf(dt, gy), gxa);
        Fx.close(adjoint(x.length, gy, u -> Ref.avgPool(g, u)), f.read(gxa), dt, 4, "avgPool2d backward " + what);
    }

    /** The gradient of a linear map L for upstream gy: (L^T gy)_i = sum_o gy_o L(e_i)_o. */
    static double[] adjoint(int inputs, double[] gy, java.util.function.UnaryOperator<double[]> linear) {
        double[] gx = new double[inputs];
        for (int i = 0; i < inputs; i++) {
            double[] e = new double[inputs];
            e[i] = 1;
            double[] col = linear.apply(e);
            for (int o = 0; o < gy.length; o++) gx[i] += gy[o] * col[o];
        }
        return gx;
    }

    static List<DynamicTest> tests(Backend be) {
        return List.of(
                test(be, "conv2d forward and backward", f -> {
                    for (DType dt : Fx.FLOATS) for (Conv2dShape g : CONVS) conv(f, dt, g);
                }),
                test(be, "packed conv weights (lanes and row-major layouts)", f -> {
                    for (Conv2dShape g : CONVS) packed(f, g);
                    packed(f, new Conv2dShape(2, 4, 6, 6, 32, 3, 3, 1, 1, 1, 1, 1, 1, 2));
                }),
                test(be, "conv2d of an empty batch writes nothing", f -> {
                    Conv2dShape g = new Conv2dShape(0, 2, 4, 4, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1);
                    Buffer y = f.buf(DType.F32, 5);
                    f.be.conv2dForward(g, f.buf(DType.F32, 1), f.buf(DType.F32, data(f, DType.F32, 54)), null, null, y);
                    assertArrayEquals(new double[]{5}, f.read(y), 0);
                }),
                test(be, "max and average pooling with padding and overlap", f -> {
                    for (DType dt : Fx.FLOATS) {
                        pools(f, dt, new Pool2dShape(2, 3, 6, 5, 2, 2, 2, 2, 0, 0, true));
                        pools(f, dt, new Pool2dShape(1, 2, 7, 7, 3, 3, 2, 2, 1, 1, true));
                        pools(f, dt, new Pool2dShape(1, 2, 7, 7, 3, 3, 2, 2, 1, 1, false));
                        pools(f, dt, new Pool2dShape(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, false));
                    }
                }),
                test(be, "adaptive average pooling, forward and backward", f -> {
                    for (DType dt : Fx.FLOATS) for (int[] s : new int[][]{{7, 5, 3, 2}, {4, 4, 1, 1}, {3, 3, 5, 4}}) {
                        int nc = 3, h = s[0], w = s[1], oh = s[2], ow = s[3];
                        double[] x = f.random(dt, nc * h * w), gy = f.random(dt, nc * oh * ow);
                        Buffer y = f.alloc(dt, nc * oh * ow), gx = f.alloc(dt, nc * h * w);
                        f.be.adaptiveAvgPool2dForward(f.buf(dt, x), y, nc, h, w, oh, ow);
                        Fx.close(Ref.adaptiveAvg(x, nc, h, w, oh, ow), f.read(y), dt, 4, "adaptiveAvgPool2d " + dt);
                        f.be.adaptiveAvgPool2dBackward(f.buf(dt, gy), gx, nc, h, w, oh, ow);
                        Fx.close(adjoint(x.length, gy, u -> Ref.adaptiveAvg(u, nc, h, w, oh, ow)), f.read(gx), dt, 4, "adaptiveAvgPool2d backward " + dt);
                    }
                }));
    }
}
