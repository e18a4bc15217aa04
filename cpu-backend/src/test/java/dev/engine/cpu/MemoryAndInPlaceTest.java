package dev.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.Buffer;
import dev.engine.api.BufferView;
import dev.engine.api.DType;
import dev.engine.api.ElementwiseOp;
import dev.engine.api.ElementwiseProgram;
import dev.engine.api.Layout;
import dev.engine.api.MemoryStats;
import org.junit.jupiter.api.Test;

/** Memory accounting returns to its start after closing, and kernels may write over their inputs. */
class MemoryAndInPlaceTest extends CpuTestBase {
    @Test
    void liveBytesReturnAfterClose() {
        MemoryStats st = BE.memoryStats();
        long before = st.liveBytes(), buffers = st.liveBuffers();
        for (int i = 0; i < 100; i++) {
            try (Buffer a = BE.allocate(DType.F32, 1000); Buffer b = BE.allocate(DType.F64, 0)) {
                assertEquals(4000 + before, st.liveBytes() - 0 * b.length(), "live bytes while open");
                assertEquals(buffers + 2, st.liveBuffers());
                assertTrue(!a.isClosed());
            }
        }
        assertEquals(before, st.liveBytes());
        assertEquals(buffers, st.liveBuffers());
        assertTrue(st.peakBytes() >= before + 4000);
    }

    @Test
    void elementwiseInPlace() {
        for (DType dt : FLOATS) {
            double[] x = rounded(dt, randn(70001));
            Buffer b = buf(dt, x);
            BE.elementwise(ElementwiseProgram.single(ElementwiseOp.MUL_SCALAR, 3), new BufferView[]{BufferView.of(b, 70001)}, BufferView.of(b, 70001));
            double[] e = new double[x.length];
            for (int i = 0; i < x.length; i++) e[i] = 3 * x[i];
            assertClose(e, read(b), tol(dt, 1e-6, 1e-15), "in-place scale " + dt);
        }
    }

    @Test
    void softmaxAndCrossEntropyGradientInPlace() {
        for (DType dt : FLOATS) {
            int rows = 5, cols = 7;
            double[] x = rounded(dt, randn(rows * cols));
            Buffer b = buf(dt, x);
            BE.softmax(b, b, rows, cols, false);
            assertClose(SoftmaxTest.softmaxRef(x, rows, cols, false), read(b), tol(dt, 2e-6, 1e-12), "in-place softmax " + dt);
            // llm.c style: the logits buffer receives its own gradient
            Buffer logits = buf(dt, x), out = alloc(dt, rows * cols), loss = alloc(dt, rows), rw = alloc(dt, rows);
            Buffer t = longs(0, 6, 3, 2, 1);
            BE.crossEntropy(buf(dt, x), t, null, rows, cols, 0.1, -100, loss, rw, out);
            BE.crossEntropy(logits, t, null, rows, cols, 0.1, -100, loss, rw, logits);
            assertClose(read(out), read(logits), 0, "in-place cross-entropy gradient " + dt);
        }
    }

    @Test
    void copyBetweenOverlappingHalvesOfOneBufferIsNotRequiredButNonOverlappingWorks() {
        Buffer b = buf(DType.F64, new double[]{1, 2, 3, 4, 5, 6, 7, 8});
        BE.copy(new BufferView(b, Layout.contiguous(4)), new BufferView(b, Layout.contiguous(4).withOffset(4)));
        assertClose(new double[]{1, 2, 3, 4, 1, 2, 3, 4}, read(b), 0, "copy within one buffer");
    }
}
