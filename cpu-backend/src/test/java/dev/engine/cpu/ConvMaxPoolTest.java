package dev.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.Activation;
import dev.engine.api.Buffer;
import dev.engine.api.Conv2dShape;
import dev.engine.api.DType;
import dev.engine.api.DTypeException;
import dev.engine.api.EngineException;
import dev.engine.api.PackedMatrix;
import dev.engine.api.Pool2dShape;
import dev.engine.api.ShapeException;
import org.junit.jupiter.api.Test;

/**
 * The fused convolution + ReLU + 2x2 max pool ({@code conv2dMaxPoolForwardPacked}) gives exactly the bits of
 * the two calls it replaces, and the naive loops' values within F32 rounding, on both of its kernels (16-filter
 * vectors; wide planes for other filter counts and groups), its im2col fallback (a large convolution on one
 * image), odd output sizes (the pool drops the last row and column), images holding NaN, and 1 or 2 threads.
 */
class ConvMaxPoolTest extends CpuTestBase {
    static Pool2dShape pool(Conv2dShape g) { return new Pool2dShape(g.n(), g.k(), g.outH(), g.outW(), 2, 2, 2, 2, 0, 0, true); }

    static Conv2dShape[] shapes() {
        return new Conv2dShape[]{
                new Conv2dShape(64, 1, 28, 28, 6, 5, 5, 1, 1, 0, 0, 1, 1, 1),   // LeNet conv1: wide planes, 6 filters
                new Conv2dShape(64, 6, 12, 12, 16, 5, 5, 1, 1, 0, 0, 1, 1, 1),  // LeNet conv2: one 16-filter vector
                new Conv2dShape(1, 1, 28, 28, 6, 5, 5, 1, 1, 2, 2, 1, 1, 1),    // padded, batch 1
                new Conv2dShape(3, 3, 29, 27, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1),   // two vectors, odd sizes, tiles of 6 + 6 + 1 pooled columns
                new Conv2dShape(2, 4, 11, 40, 16, 3, 3, 1, 1, 1, 1, 2, 1, 1),   // dilated rows, 20 pooled columns
                new Conv2dShape(9, 2, 13, 13, 48, 3, 2, 1, 1, 0, 1, 1, 2, 1),   // three vectors, dilated columns, 9 images
                new Conv2dShape(2, 3, 9, 70, 10, 3, 3, 1, 1, 1, 1, 1, 1, 1),    // wide: 4 + 6 filters, 35 pooled columns
                new Conv2dShape(2, 4, 15, 14, 32, 3, 3, 1, 1, 1, 1, 1, 1, 2),   // groups: wide planes
                new Conv2dShape(1, 16, 64, 64, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1),  // one large image: im2col, then the pool
                new Conv2dShape(2, 2, 3, 3, 16, 2, 2, 1, 1, 0, 0, 1, 1, 1),     // one pooled output per plane
        };
    }

    double[] reference(Conv2dShape g, double[] x, double[] w, double[] b) {
        double[] y = new double[(int) ConvTest.numel(g.outputShape())];
        ConvTest.loops(g, (xi, wi, yi) -> y[yi] += x[xi] * w[wi]);
        int ohw = (int) (g.outH() * g.outW()), oh = (int) g.outH(), ow = (int) g.outW(), ph = oh / 2, pw = ow / 2;
        double[] out = new double[(int) (g.n() * g.k()) * ph * pw];
        for (int plane = 0; plane < g.n() * g.k(); plane++)
            for (int py = 0; py < ph; py++)
                for (int px = 0; px < pw; px++) {
                    double m = 0;  // ReLU
                    for (int dy = 0; dy < 2; dy++) for (int dx = 0; dx < 2; dx++) {
                        double v = (float) (y[plane * ohw + (2 * py + dy) * ow + 2 * px + dx] + b[plane % (int) g.k()]);
                        m = Math.max(m, v);
                    }
                    out[(plane * ph + py) * pw + px] = m;
                }
        return out;
    }

    /** The fused call and the two calls it replaces, on the same buffers. */
    double[][] both(Conv2dShape g, Buffer x, Buffer w, Buffer b) {
        Pool2dShape p = pool(g);
        long yn = ConvTest.numel(p.outputShape());
        Buffer fused = alloc(DType.F32, yn), full = alloc(DType.F32, ConvTest.numel(g.outputShape())), pooled = alloc(DType.F32, yn);
        try (PackedMatrix pw = BE.packConvWeight(w, g.k(), g.c() / g.groups() * g.r() * g.s(), g.groups())) {
            assertTrue(BE.fusesConvMaxPool(g, Activation.RELU, p), g.toString());
            BE.conv2dMaxPoolForwardPacked(g, x, pw, b, Activation.RELU, p, fused);
            BE.conv2dForwardPacked(g, x, pw, b, Activation.RELU, full);
        }
        BE.maxPool2dForward(p, full, pooled, null);
        return new double[][]{read(fused), read(pooled)};
    }

    @Test
    void sameBitsAsConvThenPool() {
        for (Conv2dShape g : shapes()) for (boolean bias : new boolean[]{true, false}) {
            int xn = (int) ConvTest.numel(g.inputShape()), wn = (int) ConvTest.numel(g.weightShape());
            double[] x = rounded(DType.F32, randn(xn)), w = rounded(DType.F32, randn(wn));
            double[] b = bias ? rounded(DType.F32, randn((int) g.k())) : new double[(int) g.k()];
            double[][] r = both(g, buf(DType.F32, x), buf(DType.F32, w), bias ? buf(DType.F32, b) : null);
            String what = "conv2dMaxPoolForwardPacked " + g + (bias ? " with bias" : "");
            assertArrayEquals(r[1], r[0], 0, what + ": the unfused calls' bits");
            assertClose(reference(g, x, w, b), r[0], 3e-5 * Math.sqrt(g.c() / g.groups() * g.r() * g.s()), what);
        }
    }

    @Test
    void nanInputsAsConvThenPool() {
        for (Conv2dShape g : new Conv2dShape[]{shapes()[0], shapes()[1], shapes()[6]}) {
            double[] x = randn((int) ConvTest.numel(g.inputShape()));
            for (int i = 0; i < x.length; i += 97) x[i] = i % 2 == 0 ? Double.NaN : Double.POSITIVE_INFINITY;
            double[][] r = both(g, buf(DType.F32, x), buf(DType.F32, randn((int) ConvTest.numel(g.weightShape()))), buf(DType.F32, randn((int) g.k())));
            assertArrayEquals(r[1], r[0], 0, g + ": NaN and infinities give the unfused calls' bits");
        }
    }

    @Test
    void oneAndTwoThreadsAgreeExactly() {
        int before = BE.threads();
        try {
            for (Conv2dShape g : new Conv2dShape[]{shapes()[0], shapes()[1], shapes()[8]}) {
                Buffer x = buf(DType.F32, randn((int) ConvTest.numel(g.inputShape()))), w = buf(DType.F32, randn((int) ConvTest.numel(g.weightShape())));
                Buffer b = buf(DType.F32, randn((int) g.k()));
                BE.setThreads(1);
                double[] one = both(g, x, w, b)[0];
                BE.setThreads(2);
                assertArrayEquals(one, both(g, x, w, b)[0], 0, g.toString());
            }
        } finally {
            BE.setThreads(before);
        }
    }

    /** ENGINE_CPU_ISA=avx2 turns the 16-filter kernel off: every shape then takes the wide planes. */
    @Test
    void widePlanesForEveryShapeWithoutAvx512Kernels() throws Exception {
        String out = IsaChild.run(Child.class, "avx2");
        assertTrue(out.contains("checked " + shapes().length), out);
    }

    /** Runs in the child JVM: exits 1 on the first shape whose fused call differs from conv then pool. */
    public static final class Child {
        public static void main(String[] args) {
            ConvMaxPoolTest t = new ConvMaxPoolTest();
            int checked = 0;
            for (Conv2dShape g : shapes()) {
                double[][] r = t.both(g, t.buf(DType.F32, t.randn((int) ConvTest.numel(g.inputShape()))),
                        t.buf(DType.F32, t.randn((int) ConvTest.numel(g.weightShape()))), t.buf(DType.F32, t.randn((int) g.k())));
                if (!java.util.Arrays.equals(r[0], r[1])) {
                    System.out.println("differs: " + g);
                    System.exit(1);
                }
                checked++;
            }
            t.closeBuffers();
            System.out.println("checked " + checked);
        }
    }

    @Test
    void onlyTheChainsItFuses() {
        Conv2dShape g = shapes()[1];
        Pool2dShape p = pool(g);
        assertFalse(BE.fusesConvMaxPool(g, Activation.NONE, p), "no activation");
        assertFalse(BE.fusesConvMaxPool(g, Activation.RELU, new Pool2dShape(64, 16, 8, 8, 3, 3, 2, 2, 1, 1, true)), "3x3 window");
        assertFalse(BE.fusesConvMaxPool(new Conv2dShape(64, 6, 12, 12, 16, 5, 5, 2, 2, 0, 0, 1, 1, 1), Activation.RELU,
                new Pool2dShape(64, 16, 4, 4, 2, 2, 2, 2, 0, 0, true)), "strided convolution");
        assertFalse(BE.fusesConvMaxPool(g, Activation.RELU, new Pool2dShape(64, 16, 9, 8, 2, 2, 2, 2, 0, 0, true)), "not the conv's output");
    }

    @Test
    void badCalls() {
        Conv2dShape g = shapes()[1];
        Pool2dShape p = pool(g);
        Buffer x = alloc(DType.F32, ConvTest.numel(g.inputShape())), w = alloc(DType.F32, ConvTest.numel(g.weightShape()));
        Buffer y = alloc(DType.F32, ConvTest.numel(p.outputShape()));
        try (PackedMatrix pw = BE.packConvWeight(w, 16, 150, 1)) {
            assertThrows(ShapeException.class, () -> BE.conv2dMaxPoolForwardPacked(g, x, pw, null, Activation.RELU,
                    new Pool2dShape(64, 16, 10, 10, 2, 2, 2, 2, 0, 0, true), y), "pool of another shape");
            assertThrows(EngineException.class, () -> BE.conv2dMaxPoolForwardPacked(g, x, pw, null, Activation.NONE, p, y), "no fused kernel");
            assertThrows(EngineException.class, () -> BE.conv2dMaxPoolForwardPacked(g, x, pw, null, Activation.RELU, null, y), "null pool");
            assertThrows(ShapeException.class, () -> BE.conv2dMaxPoolForwardPacked(g, x, pw, null, Activation.RELU, p,
                    alloc(DType.F32, ConvTest.numel(p.outputShape()) - 1)), "y too small");
            assertThrows(DTypeException.class, () -> BE.conv2dMaxPoolForwardPacked(g, alloc(DType.F64, ConvTest.numel(g.inputShape())), pw, null,
                    Activation.RELU, p, y));
        }
        assertThrows(EngineException.class, () -> BE.conv2dMaxPoolForwardPacked(g, x, null, null, Activation.RELU, p, y));
    }
}
