package dev.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.engine.api.Activation;
import dev.engine.api.Buffer;
import dev.engine.api.Conv2dShape;
import dev.engine.api.DType;
import dev.engine.api.DTypeException;
import dev.engine.api.EngineException;
import dev.engine.api.PackedMatrix;
import dev.engine.api.ShapeException;
import org.junit.jupiter.api.Test;

/**
 * Conv2d forward, backward-input and backward-weight against a naive 7-loop reference in double, over
 * stride, padding, dilation, groups, bias and every activation. Tolerance |a-e| <= tol*(1+|e|):
 * F32 3e-5, F64 1e-12. The backward references are the exact adjoints of the forward loop.
 */
class ConvTest extends CpuTestBase {
    static int[] dims(Conv2dShape g) {
        return new int[]{(int) g.n(), (int) g.c(), (int) g.h(), (int) g.w(), (int) g.k(), (int) g.r(), (int) g.s(), (int) g.outH(), (int) g.outW()};
    }

    /** Calls {@code visit(xIndex, wIndex, yIndex)} for every multiply of the convolution (the 7 loops). */
    interface Visit { void at(int xi, int wi, int yi); }

    static void loops(Conv2dShape g, Visit v) {
        int[] d = dims(g);
        int n = d[0], c = d[1], h = d[2], w = d[3], k = d[4], r = d[5], s = d[6], oh = d[7], ow = d[8];
        int cg = c / g.groups(), kg = k / g.groups();
        for (int b = 0; b < n; b++)
            for (int ko = 0; ko < k; ko++)
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++)
                        for (int ci = 0; ci < cg; ci++)
                            for (int kr = 0; kr < r; kr++)
                                for (int ks = 0; ks < s; ks++) {
                                    int iy = oy * g.strideH() - g.padH() + kr * g.dilationH();
                                    int ix = ox * g.strideW() - g.padW() + ks * g.dilationW();
                                    if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                                    int cin = (ko / kg) * cg + ci;
                                    v.at(((b * c + cin) * h + iy) * w + ix, ((ko * cg + ci) * r + kr) * s + ks, ((b * k + ko) * oh + oy) * ow + ox);
                                }
    }

    static Conv2dShape[] shapes() {
        return new Conv2dShape[]{
                new Conv2dShape(1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1),
                new Conv2dShape(2, 3, 5, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1),
                new Conv2dShape(2, 4, 7, 5, 6, 3, 2, 2, 1, 1, 0, 1, 1, 2),
                new Conv2dShape(1, 6, 9, 9, 6, 3, 3, 2, 3, 2, 1, 2, 2, 6),   // depthwise, dilated, strided
                // depthwise plane kernel: blocks of 32 columns with a ragged end, stride 2 (even/odd split), multiplier 2
                new Conv2dShape(2, 8, 37, 35, 8, 3, 3, 1, 1, 1, 1, 1, 1, 8),
                new Conv2dShape(1, 12, 21, 40, 24, 5, 5, 2, 2, 2, 2, 1, 1, 12),
                new Conv2dShape(3, 4, 9, 70, 4, 3, 3, 2, 1, 0, 1, 1, 1, 4),
                new Conv2dShape(1, 6, 7, 7, 6, 3, 3, 1, 1, 1, 1, 2, 2, 6),
                new Conv2dShape(1, 16, 112, 112, 16, 3, 3, 2, 2, 1, 1, 1, 1, 16),  // MobileNet's wide stride-2 plane
                new Conv2dShape(1, 10, 7, 7, 10, 5, 5, 1, 1, 2, 2, 1, 1, 10),       // 5x5 on EfficientNet's last planes
                new Conv2dShape(1, 4, 14, 14, 4, 5, 5, 2, 2, 2, 2, 1, 1, 4),        // 5x5 stride 2, odd output
                new Conv2dShape(2, 5, 3, 2, 10, 3, 3, 1, 1, 3, 3, 1, 1, 5),         // multiplier 2, padding beyond the filter
                new Conv2dShape(3, 2, 4, 4, 3, 1, 1, 1, 1, 0, 0, 1, 1, 1),    // 1x1
                new Conv2dShape(2, 20, 9, 7, 12, 1, 1, 1, 1, 0, 0, 1, 1, 1),  // 1x1 panels copied by rows: 63 positions, ragged
                new Conv2dShape(1, 6, 9, 9, 5, 1, 1, 2, 2, 0, 0, 1, 1, 1),    // 1x1 stride 2
                new Conv2dShape(1, 3, 5, 5, 4, 1, 1, 1, 1, 1, 1, 1, 1, 1),    // 1x1 padded
                new Conv2dShape(1, 3, 3, 3, 2, 3, 3, 1, 1, 0, 0, 1, 1, 1),    // output 1x1
                new Conv2dShape(0, 3, 4, 4, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1),    // empty batch
                new Conv2dShape(2, 3, 11, 13, 5, 5, 3, 3, 2, 2, 1, 1, 2, 1),
                new Conv2dShape(1, 1, 28, 28, 6, 5, 5, 1, 1, 0, 0, 1, 1, 1),  // LeNet conv1: 6 channels in one block, chunks of 4 vectors + a tail
                new Conv2dShape(2, 3, 11, 9, 10, 3, 3, 1, 1, 1, 1, 1, 1, 1),  // channels 4 + 6
                new Conv2dShape(1, 4, 15, 14, 26, 3, 3, 1, 1, 1, 1, 1, 1, 2), // 2 groups of 13 channels: 4 + 4 + 5
                new Conv2dShape(2, 6, 12, 12, 16, 5, 5, 1, 1, 0, 0, 1, 1, 1), // LeNet conv2
                new Conv2dShape(1, 2, 20, 30, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1),  // channels 4 + 3, tail chunk of several vectors
                new Conv2dShape(2, 4, 9, 7, 64, 3, 3, 1, 1, 1, 1, 2, 1, 2),   // 2 groups of 32 channels, padded, dilated
                new Conv2dShape(1, 3, 6, 5, 16, 2, 3, 1, 1, 0, 2, 1, 1, 1),   // 16 channels, 20 positions
                new Conv2dShape(8, 16, 12, 12, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1), // batch 8: direct however large, both input and its gradient
                // F32 packed-panel path (forward over 2M multiply-adds per image, or strided), wide weight gradient
                new Conv2dShape(2, 24, 20, 20, 48, 3, 3, 1, 1, 2, 2, 2, 2, 2),  // dilated, grouped: flipped-conv input gradient
                new Conv2dShape(1, 17, 22, 22, 33, 3, 3, 1, 1, 1, 1, 1, 1, 1),  // batch 1, channels not a multiple of 16
                new Conv2dShape(3, 5, 17, 19, 10, 3, 4, 2, 3, 1, 2, 1, 1, 1),   // strides 2 x 3: W^T gy + col2im, packed weight gradient
                new Conv2dShape(2, 6, 10, 10, 9, 3, 3, 1, 1, 3, 3, 1, 1, 3),    // padding beyond the kernel: W^T gy + col2im at stride 1
                // broadcast weight gradient (3x3 or 5x5, 16+ channels per group: strided, 32+ channels or small planes)
                new Conv2dShape(3, 16, 16, 16, 32, 3, 3, 2, 2, 1, 1, 1, 1, 1),   // ResNet downsampling
                new Conv2dShape(9, 64, 8, 8, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1),     // 64 channels on 8x8, several chunks
                new Conv2dShape(3, 8, 13, 11, 40, 5, 5, 2, 1, 2, 2, 1, 1, 2),    // 5x5, strides 2 x 1, 2 groups of 20 channels
                new Conv2dShape(2, 6, 9, 12, 18, 3, 3, 1, 2, 0, 1, 3, 1, 1),     // dilated rows, column stride 2, 18 channels
        };
    }

    static long numel(long[] s) { long p = 1; for (long v : s) p *= v; return p; }

    /** Rounding of a sum of depth products of unit normals grows with the square root of its depth. */
    static double depthTol(DType dt, long depth) { return tol(dt, 3e-5, 1e-12) * Math.max(1, Math.sqrt(depth / 144.0)); }

    @Test
    void forwardWithBiasAndActivations() {
        for (DType dt : FLOATS) for (Conv2dShape g : shapes()) for (Activation a : Activation.values()) for (boolean bias : new boolean[]{false, true}) {
            if (!bias && a != Activation.NONE && a != Activation.RELU) continue;
            int xn = (int) numel(g.inputShape()), wn = (int) numel(g.weightShape()), yn = (int) numel(g.outputShape());
            double[] x = rounded(dt, randn(xn)), w = rounded(dt, randn(wn)), bv = rounded(dt, randn((int) g.k()));
            double[] y = new double[yn];
            loops(g, (xi, wi, yi) -> y[yi] += x[xi] * w[wi]);
            int ohw = (int) (g.outH() * g.outW());
            for (int i = 0; i < yn; i++) {
                double v = y[i] + (bias ? bv[(i / ohw) % (int) g.k()] : 0);
                y[i] = ElementwiseTest.ref(a.op(), new double[]{v}, 0.01);
            }
            Buffer by = alloc(dt, yn);
            BE.conv2dForward(g, buf(dt, x), buf(dt, w), bias ? buf(dt, bv) : null, a, by);
            assertClose(y, read(by), depthTol(dt, g.c() / g.groups() * g.r() * g.s()), "conv2d " + dt + " " + g + " " + a + " bias=" + bias);
        }
    }

    /**
     * A weight packed once (a frozen model's conv) gives the naive loops' result: a row-major copy (both kernels
     * read KCRS in place; with 16k filters followed by the fused max pool kernel's filter vectors), and exactly
     * the unpacked call's bits on every path.
     */
    @Test
    void packedWeightMatchesLoops() {
        java.util.List<Conv2dShape> all = new java.util.ArrayList<>(java.util.List.of(shapes()));
        all.add(new Conv2dShape(2, 3, 9, 9, 32, 3, 3, 2, 2, 1, 1, 1, 1, 1));  // strided: im2col tiles
        all.add(new Conv2dShape(1, 4, 40, 40, 32, 5, 5, 1, 1, 2, 2, 1, 1, 2)); // too big for the direct kernel: im2col, 2 groups
        all.addAll(java.util.List.of(filterVectorShapes()));
        for (Conv2dShape g : all) for (Activation a : new Activation[]{Activation.NONE, Activation.RELU}) {
            int xn = (int) numel(g.inputShape()), wn = (int) numel(g.weightShape()), yn = (int) numel(g.outputShape());
            double[] x = rounded(DType.F32, randn(xn)), w = rounded(DType.F32, randn(wn)), bv = rounded(DType.F32, randn((int) g.k()));
            double[] y = new double[yn];
            loops(g, (xi, wi, yi) -> y[yi] += x[xi] * w[wi]);
            int ohw = (int) (g.outH() * g.outW());
            for (int i = 0; i < yn; i++) y[i] = ElementwiseTest.ref(a.op(), new double[]{y[i] + bv[(i / ohw) % (int) g.k()]}, 0.01);
            Buffer bx = buf(DType.F32, x), bw = buf(DType.F32, w), bb = buf(DType.F32, bv), packedY = alloc(DType.F32, yn), plainY = alloc(DType.F32, yn);
            long cols = g.c() / g.groups() * g.r() * g.s();
            try (PackedMatrix p = BE.packConvWeight(bw, g.k(), cols, g.groups())) {
                org.junit.jupiter.api.Assertions.assertEquals(g.k() % 16 == 0 ? "kcrs+filter-vectors" : PackedMatrix.ROW_MAJOR, p.format(), g.toString());
                BE.conv2dForwardPacked(g, bx, p, bb, a, packedY);
            }
            BE.conv2dForward(g, bx, bw, bb, a, plainY);
            String what = "conv2dForwardPacked " + g + " " + a;
            assertClose(y, read(packedY), Math.max(3e-5, depthTol(DType.F32, cols)), what);
            if (g.n() > 0) assertArrayEquals(read(plainY), read(packedY), 0, what + ": same bits as the unpacked call");
        }
    }

    /**
     * Geometries of the filter-vector tiles (AVX-512, groups of 32, 48 or 64k filters, more than a handful of
     * taps): tiles of 6, 8 or 12 positions running across output rows and past the plane's end, a zero-bordered
     * copy of padded inputs, channels in several chunks whose partial sums wait between them, position ranges.
     */
    static Conv2dShape[] filterVectorShapes() {
        return new Conv2dShape[]{
                new Conv2dShape(1, 64, 9, 9, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1),     // 4 vectors x 6 positions, 81 positions
                new Conv2dShape(2, 3, 23, 21, 64, 7, 7, 2, 2, 3, 3, 1, 1, 1),    // ResNet's stem, batch 2
                new Conv2dShape(1, 70, 7, 7, 96, 3, 3, 1, 1, 1, 1, 1, 1, 1),     // 3 vectors x 8 positions
                new Conv2dShape(1, 150, 6, 5, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1),    // channels in 3 chunks, 30 positions
                new Conv2dShape(1, 160, 20, 19, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1),  // chunks and several position ranges
                new Conv2dShape(1, 8, 15, 13, 32, 3, 3, 2, 2, 2, 2, 2, 2, 1),    // 2 vectors x 12, strided, dilated
                new Conv2dShape(2, 16, 8, 8, 128, 3, 3, 1, 1, 1, 1, 1, 1, 2),    // 2 groups of 64 filters
                new Conv2dShape(1, 96, 7, 9, 48, 1, 1, 1, 1, 0, 0, 1, 1, 1),     // 1x1 over 96 channels, read in place
                new Conv2dShape(1, 64, 9, 9, 128, 1, 1, 2, 2, 0, 0, 1, 1, 1),    // 1x1 stride 2 (ResNet's downsample)
                new Conv2dShape(1, 4, 3, 3, 32, 3, 3, 1, 1, 3, 3, 1, 1, 1),      // padding past the filter: 7x7 out of 3x3
                new Conv2dShape(1, 5, 10, 8, 64, 3, 5, 1, 2, 2, 1, 1, 1, 1),     // rectangular filter, unequal strides and pads
                new Conv2dShape(3, 32, 30, 30, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1),   // 900 positions per image, 3 images
        };
    }

    /** The filter-vector tiles apply every epilogue activation as the unpacked call does, to the same bits. */
    @Test
    void filterVectorsApplyEveryActivation() {
        for (Conv2dShape g : new Conv2dShape[]{filterVectorShapes()[0], filterVectorShapes()[2], filterVectorShapes()[5]})
            for (Activation a : Activation.values()) {
                int xn = (int) numel(g.inputShape()), wn = (int) numel(g.weightShape()), yn = (int) numel(g.outputShape());
                Buffer bx = buf(DType.F32, rounded(DType.F32, randn(xn))), bw = buf(DType.F32, rounded(DType.F32, randn(wn)));
                Buffer bb = buf(DType.F32, rounded(DType.F32, randn((int) g.k()))), packedY = alloc(DType.F32, yn), plainY = alloc(DType.F32, yn);
                try (PackedMatrix p = BE.packConvWeight(bw, g.k(), g.c() / g.groups() * g.r() * g.s(), g.groups())) {
                    BE.conv2dForwardPacked(g, bx, p, bb, a, packedY);
                }
                BE.conv2dForward(g, bx, bw, bb, a, plainY);
                assertArrayEquals(read(plainY), read(packedY), 0, "conv2dForwardPacked " + g + " " + a);
            }
    }

    @Test
    void packedWeightBadCalls() {
        Conv2dShape g = new Conv2dShape(1, 2, 6, 6, 32, 3, 3, 1, 1, 0, 0, 1, 1, 1), g2 = new Conv2dShape(1, 4, 6, 6, 32, 3, 3, 1, 1, 0, 0, 1, 1, 2);
        Buffer x = alloc(DType.F32, numel(g.inputShape())), y = alloc(DType.F32, numel(g.outputShape())), w = alloc(DType.F32, numel(g.weightShape()));
        assertThrows(ShapeException.class, () -> BE.packConvWeight(w, 32, 18, 3), "32 filters in 3 groups");
        assertThrows(ShapeException.class, () -> BE.packConvWeight(w, 32, 19, 1), "weight buffer too small");
        try (PackedMatrix p = BE.packConvWeight(w, 32, 18, 1)) {
            // g2 has the same filter count and filter size (4/2 channels x 3 x 3) in two groups: KCRS is the same bytes
            Buffer x2 = alloc(DType.F32, numel(g2.inputShape())), y2 = alloc(DType.F32, numel(g2.outputShape()));
            BE.conv2dForwardPacked(g2, x2, p, null, Activation.NONE, y2);
            assertThrows(ShapeException.class, () -> BE.conv2dForwardPacked(new Conv2dShape(1, 2, 6, 6, 32, 3, 2, 1, 1, 0, 0, 1, 1, 1), x, p, null,
                    Activation.NONE, y), "filter size differs");
            assertThrows(DTypeException.class, () -> BE.conv2dForwardPacked(g, alloc(DType.F64, numel(g.inputShape())), p, null, Activation.NONE, y));
            try (PackedMatrix m = BE.packMatrix(alloc(DType.F32, 32 * 18), 32, 18)) {
                assertThrows(EngineException.class, () -> BE.conv2dForwardPacked(g, x, m, null, Activation.NONE, y), "a GEMM panel matrix");
            }
        }
        assertThrows(EngineException.class, () -> BE.conv2dForwardPacked(g, x, null, null, Activation.NONE, y));
    }

    @Test
    void backwardInput() {
        for (DType dt : FLOATS) for (Conv2dShape g : shapes()) {
            int xn = (int) numel(g.inputShape()), wn = (int) numel(g.weightShape()), yn = (int) numel(g.outputShape());
            double[] gy = rounded(dt, randn(yn)), w = rounded(dt, randn(wn));
            double[] gx = new double[xn];
            loops(g, (xi, wi, yi) -> gx[xi] += gy[yi] * w[wi]);
            Buffer bgx = alloc(dt, xn);
            BE.conv2dBackwardInput(g, buf(dt, gy), buf(dt, w), bgx);
            assertClose(gx, read(bgx), depthTol(dt, g.k() / g.groups() * g.r() * g.s()), "conv2dBackwardInput " + dt + " " + g);
        }
    }

    @Test
    void backwardWeightAndBias() {
        for (DType dt : FLOATS) for (Conv2dShape g : shapes()) for (boolean bias : new boolean[]{false, true}) {
            int xn = (int) numel(g.inputShape()), wn = (int) numel(g.weightShape()), yn = (int) numel(g.outputShape());
            double[] gy = rounded(dt, randn(yn)), x = rounded(dt, randn(xn));
            double[] gw = new double[wn], gb = new double[(int) g.k()];
            loops(g, (xi, wi, yi) -> gw[wi] += gy[yi] * x[xi]);
            int ohw = (int) (g.outH() * g.outW());
            for (int i = 0; i < yn; i++) gb[(i / ohw) % (int) g.k()] += gy[i];
            Buffer bgw = alloc(dt, wn), bgb = bias ? alloc(dt, g.k()) : null;
            BE.conv2dBackwardWeight(g, buf(dt, x), buf(dt, gy), bgw, bgb);
            double t = tol(dt, 3e-5, 1e-12) * Math.sqrt(Math.max(1, g.n() * ohw));
            assertClose(gw, read(bgw), t, "conv2dBackwardWeight " + dt + " " + g);
            if (bias) assertClose(gb, read(bgb), t, "conv2dBackwardWeight bias " + dt + " " + g);
        }
    }

    @Test
    void largeBatchSpansSeveralChunksAndThreads() {
        // 64 images of 3x32x32 with a 3x3 kernel: im2col is 27 x 65536, chunked at 16M elements per chunk
        Conv2dShape g = new Conv2dShape(64, 3, 32, 32, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1);
        int xn = (int) numel(g.inputShape()), wn = (int) numel(g.weightShape()), yn = (int) numel(g.outputShape());
        double[] x = rounded(DType.F32, randn(xn)), w = rounded(DType.F32, randn(wn));
        double[] y = new double[yn];
        loops(g, (xi, wi, yi) -> y[yi] += x[xi] * w[wi]);
        Buffer by = alloc(DType.F32, yn);
        BE.conv2dForward(g, buf(DType.F32, x), buf(DType.F32, w), null, Activation.NONE, by);
        assertClose(y, read(by), 3e-5, "large conv2d");
    }
}
