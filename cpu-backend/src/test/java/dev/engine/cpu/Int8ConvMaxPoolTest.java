package dev.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.engine.api.Activation;
import dev.engine.api.Buffer;
import dev.engine.api.Conv2dShape;
import dev.engine.api.DType;
import dev.engine.api.EngineException;
import dev.engine.api.InputQuantization;
import dev.engine.api.PackedMatrix;
import dev.engine.api.Pool2dShape;
import dev.engine.api.ShapeException;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The fused int8 convolution + 2x2 max pool ({@code conv2dMaxPoolForwardInt8Packed}, where the CPU runs the
 * int8 plane kernel): the bits of the integer reference's convolution pooled by a loop, and of the two calls
 * it replaces, for LeNet's shapes, odd output sizes, rows of one to five chunks of 16 columns, compact vectors
 * for narrow outputs (and the row pairs where their lanes would reach too far), filter counts
 * that cross the weights' 32-column panels, ReLU or no activation, static and dynamic quantisation, images
 * holding NaN, 1 or 2 threads; only the chains it fuses are accepted.
 */
class Int8ConvMaxPoolTest extends CpuTestBase {
    static Pool2dShape pool(Conv2dShape g) { return new Pool2dShape(g.n(), g.k(), g.outH(), g.outW(), 2, 2, 2, 2, 0, 0, true); }

    static Conv2dShape conv(long n, long c, long h, long w, long k, long r, long s, int pad) {
        return new Conv2dShape(n, c, h, w, k, r, s, 1, 1, pad, pad, 1, 1, 1);
    }

    static final Conv2dShape[] SHAPES = {
            conv(1, 1, 28, 28, 6, 5, 5, 2),     // LeNet conv1 (padded): two chunks of 16 columns, one pair
            conv(1, 6, 14, 14, 16, 5, 5, 0),    // LeNet conv2: 5 pooled columns, compact vectors (7 for 100 positions)
            conv(3, 3, 9, 7, 5, 3, 3, 1),       // odd output: the pool drops the last row and column (compact)
            conv(2, 8, 12, 12, 20, 3, 3, 0),    // compact, 16 + 4 filters
            conv(1, 32, 12, 12, 32, 3, 3, 0),   // compact, one image on two threads (runs of pooled rows)
            conv(1, 1, 14, 14, 3, 25, 25, 12),  // 7 pooled columns, but 25-wide rows put lanes out of reach: row pairs
            conv(2, 2, 41, 40, 20, 3, 3, 1),    // 40 columns: a pair of chunks and a single one
            conv(2, 4, 17, 33, 64, 3, 3, 0),    // 64 filters: blocks never cross a 32-column panel
            conv(1, 1, 5, 5, 1, 3, 3, 1),       // one filter
            conv(2, 2, 20, 50, 33, 5, 5, 2),    // 33 filters, 25 pooled columns
            conv(3, 3, 11, 19, 7, 7, 7, 3),     // 7x7 taps
            conv(64, 1, 28, 28, 6, 5, 5, 2),    // a batch: images split over threads
            conv(64, 6, 14, 14, 16, 5, 5, 0),   // a compact batch
    };

    /** A random case: input, weights as [K][C*R*S] and as the packer's [C*R*S][K] columns, scales, bias. */
    static final class Case {
        final Conv2dShape g;
        final float[] x, sc, bias;
        final int[] wt, cols;

        Case(Conv2dShape g, long seed) {
            this.g = g;
            Random r = new Random(seed);
            int crs = (int) (g.c() * g.r() * g.s()), k = (int) g.k();
            x = new float[(int) (g.n() * g.c() * g.h() * g.w())];
            for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() + 0.3);
            wt = new int[k * crs];
            cols = new int[crs * k];
            for (int i = 0; i < wt.length; i++) wt[i] = r.nextInt(255) - 127;
            for (int f = 0; f < k; f++) for (int t = 0; t < crs; t++) cols[t * k + f] = wt[f * crs + t];
            sc = new float[k];
            bias = new float[k];
            for (int f = 0; f < k; f++) { sc[f] = (float) (0.001 + r.nextDouble() * 0.01); bias[f] = (float) (r.nextGaussian() * 3); }
        }
    }

    /** The 2x2, stride-2 max pool of NCHW planes by loops (NaN wins). */
    static float[] pooled(Conv2dShape g, float[] y) {
        int oh = (int) g.outH(), ow = (int) g.outW(), ph = oh / 2, pw = ow / 2, planes = (int) (g.n() * g.k());
        float[] out = new float[planes * ph * pw];
        for (int p = 0; p < planes; p++)
            for (int i = 0; i < ph; i++)
                for (int j = 0; j < pw; j++) {
                    float m = Float.NEGATIVE_INFINITY;
                    for (int dy = 0; dy < 2; dy++)
                        for (int dx = 0; dx < 2; dx++) {
                            float v = y[(p * oh + 2 * i + dy) * ow + 2 * j + dx];
                            m = Float.isNaN(v) || Float.isNaN(m) ? Float.NaN : Math.max(m, v);
                        }
                    out[(p * ph + i) * pw + j] = m;
                }
        return out;
    }

    /** {fused, conv then pool} for one case, activation and quantisation. */
    float[][] both(Case c, Activation act, InputQuantization aq) {
        Conv2dShape g = c.g;
        Pool2dShape p = pool(g);
        int k = (int) g.k(), crs = (int) (g.c() * g.r() * g.s()), yn = (int) ConvTest.numel(p.outputShape());
        Buffer x = alloc(DType.F32, c.x.length), w = alloc(DType.I32, c.cols.length), s = alloc(DType.F32, k), b = alloc(DType.F32, k);
        Buffer fused = alloc(DType.F32, yn), full = alloc(DType.F32, ConvTest.numel(g.outputShape())), two = alloc(DType.F32, yn);
        BE.copyIn(c.x, 0, x, 0, c.x.length);
        BE.copyIn(c.cols, 0, w, 0, c.cols.length);
        BE.copyIn(c.sc, 0, s, 0, k);
        BE.copyIn(c.bias, 0, b, 0, k);
        try (PackedMatrix pm = BE.packMatrixInt8(w, s, crs, k)) {
            assertTrue(BE.fusesConvMaxPoolInt8(g, act, p), g + " " + act);
            BE.conv2dMaxPoolForwardInt8Packed(g, x, aq, pm, b, act, p, fused);
            BE.conv2dForwardInt8Packed(g, x, aq, pm, b, act, full);
        }
        BE.maxPool2dForward(p, full, two, null);
        float[] f = new float[yn], t = new float[yn];
        BE.copyOut(fused, 0, f, 0, yn);
        BE.copyOut(two, 0, t, 0, yn);
        return new float[][]{f, t};
    }

    static void assumePlaneKernel() {
        assumeTrue(BE.describe().contains("int8 convolution: plane"), "no int8 plane kernel on this CPU: " + BE.describe());
    }

    @Test
    void integerReferencePooledAndTheTwoCalls() {
        assumePlaneKernel();
        long seed = 1;
        for (Conv2dShape g : SHAPES)
            for (Activation act : new Activation[]{Activation.RELU, Activation.NONE})
                for (InputQuantization aq : new InputQuantization[]{InputQuantization.of(0.02f, 60), InputQuantization.dynamic()}) {
                    Case c = new Case(g, seed++);
                    float[][] r = both(c, act, aq);
                    String what = g + " " + act + " " + aq;
                    assertArrayEquals(r[1], r[0], 0, what + ": the two calls' bits");
                    InputQuantization p = aq.perCall() ? Int8Reference.dynamicParams(new Int8Reference.Case(1, c.x.length, 1, c.x.length, c.x, null, null, null, null)) : aq;
                    float[] want = pooled(g, Int8Reference.conv(g, c.x, c.wt, c.sc, c.bias, p.scale(), p.zeroPoint(), act == Activation.RELU));
                    assertArrayEquals(want, r[0], 0, what + ": the integer reference, pooled");
                }
    }

    /** An image holding a NaN or an infinity pools to NaN; its neighbours stay finite. */
    @Test
    void nonFiniteImageStaysItsOwn() {
        assumePlaneKernel();
        Case c = new Case(conv(3, 2, 12, 12, 8, 3, 3, 1), 40);
        int img = 2 * 12 * 12, out = 8 * 6 * 6;
        c.x[img + 17] = Float.NaN;
        c.x[2 * img + 3] = Float.POSITIVE_INFINITY;
        float[][] r = both(c, Activation.RELU, InputQuantization.of(0.02f, 128));
        assertArrayEquals(r[1], r[0], 0, "the two calls' bits");
        for (int i = 0; i < r[0].length; i++)
            assertEquals(i >= out, Float.isNaN(r[0][i]), "output " + i);
    }

    @Test
    void oneAndTwoThreadsAgreeExactly() {
        assumePlaneKernel();
        int before = BE.threads();
        try {
            for (Conv2dShape g : new Conv2dShape[]{SHAPES[0], SHAPES[4], SHAPES[6], SHAPES[11], SHAPES[12]}) {
                Case c = new Case(g, 77);
                BE.setThreads(1);
                float[] one = both(c, Activation.RELU, InputQuantization.dynamic())[0];
                BE.setThreads(2);
                assertArrayEquals(one, both(c, Activation.RELU, InputQuantization.dynamic())[0], 0, g.toString());
            }
        } finally {
            BE.setThreads(before);
        }
    }

    @Test
    void onlyTheChainsItFuses() {
        Conv2dShape g = SHAPES[1];
        Pool2dShape p = pool(g);
        assertFalse(BE.fusesConvMaxPoolInt8(g, Activation.GELU, p), "GELU");
        assertFalse(BE.fusesConvMaxPoolInt8(g, Activation.RELU, new Pool2dShape(1, 16, 10, 10, 3, 3, 2, 2, 1, 1, true)), "3x3 window");
        assertFalse(BE.fusesConvMaxPoolInt8(g, Activation.RELU, new Pool2dShape(1, 16, 10, 10, 2, 2, 1, 1, 0, 0, true)), "stride 1");
        assertFalse(BE.fusesConvMaxPoolInt8(new Conv2dShape(1, 6, 14, 14, 16, 5, 5, 2, 2, 0, 0, 1, 1, 1), Activation.RELU,
                new Pool2dShape(1, 16, 5, 5, 2, 2, 2, 2, 0, 0, true)), "strided convolution");
        assertFalse(BE.fusesConvMaxPoolInt8(new Conv2dShape(1, 6, 14, 14, 16, 1, 1, 1, 1, 0, 0, 1, 1, 1), Activation.RELU,
                new Pool2dShape(1, 16, 14, 14, 2, 2, 2, 2, 0, 0, true)), "1x1 filter");
        assertFalse(BE.fusesConvMaxPoolInt8(new Conv2dShape(1, 6, 14, 14, 16, 3, 3, 1, 1, 0, 0, 1, 1, 2), Activation.RELU,
                new Pool2dShape(1, 16, 12, 12, 2, 2, 2, 2, 0, 0, true)), "groups");
        assertFalse(BE.fusesConvMaxPoolInt8(g, Activation.RELU, new Pool2dShape(1, 16, 11, 10, 2, 2, 2, 2, 0, 0, true)), "not the conv's output");
        assertFalse(BE.fusesConvMaxPoolInt8(g, Activation.RELU, null), "no pool");
    }

    @Test
    void badCalls() {
        Conv2dShape g = SHAPES[1];
        Pool2dShape p = pool(g);
        Buffer x = alloc(DType.F32, ConvTest.numel(g.inputShape())), w = alloc(DType.I32, 150 * 16), s = alloc(DType.F32, 16);
        Buffer y = alloc(DType.F32, ConvTest.numel(p.outputShape())), shortY = alloc(DType.F32, ConvTest.numel(p.outputShape()) - 1);
        float[] ones = new float[16];
        java.util.Arrays.fill(ones, 0.01f);
        BE.copyIn(ones, 0, s, 0, 16);
        BE.copyIn(new int[150 * 16], 0, w, 0, 150 * 16);
        InputQuantization aq = InputQuantization.of(0.02f, 0);
        try (PackedMatrix pm = BE.packMatrixInt8(w, s, 150, 16)) {
            assertThrows(ShapeException.class, () -> BE.conv2dMaxPoolForwardInt8Packed(g, x, aq, pm, null, Activation.RELU,
                    new Pool2dShape(1, 16, 12, 12, 2, 2, 2, 2, 0, 0, true), y), "pool of another shape");
            EngineException e = assertThrows(EngineException.class, () -> BE.conv2dMaxPoolForwardInt8Packed(g, x, aq, pm, null, Activation.GELU, p, y));
            assertTrue(e.getMessage().contains("conv2dMaxPoolForwardInt8Packed") && e.getMessage().contains("no fused kernel"), e.getMessage());
            assertThrows(EngineException.class, () -> BE.conv2dMaxPoolForwardInt8Packed(g, x, aq, pm, null, Activation.RELU, null, y), "null pool");
            assertThrows(EngineException.class, () -> BE.conv2dMaxPoolForwardInt8Packed(g, x, null, pm, null, Activation.RELU, p, y), "null quantization");
            if (BE.fusesConvMaxPoolInt8(g, Activation.RELU, p)) {
                assertThrows(ShapeException.class, () -> BE.conv2dMaxPoolForwardInt8Packed(g, x, aq, pm, null, Activation.RELU, p, shortY), "short y");
                Conv2dShape wider = conv(1, 7, 14, 14, 16, 5, 5, 0);
                assertThrows(ShapeException.class, () -> BE.conv2dMaxPoolForwardInt8Packed(wider, alloc(DType.F32, ConvTest.numel(wider.inputShape())),
                        aq, pm, null, Activation.RELU, pool(wider), y), "weight of another filter size");
            }
        }
    }

    /** ENGINE_CPU_ISA=avx2 turns the plane kernel off, and with it the fusion: a plan keeps two steps. */
    @Test
    void noFusionWithoutThePlaneKernel() throws Exception {
        String out = IsaChild.run(Child.class, "avx2");
        assertTrue(out.contains("fuses false"), out);
    }

    /** Runs in the child JVM: prints whether LeNet's conv2 + pool fuses. */
    public static final class Child {
        public static void main(String[] args) {
            System.out.println("fuses " + BE.fusesConvMaxPoolInt8(SHAPES[1], Activation.RELU, pool(SHAPES[1])));
        }
    }
}
