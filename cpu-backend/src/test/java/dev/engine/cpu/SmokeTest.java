package dev.engine.cpu;

import static org.junit.jupiter.api.Assertions.*;

import dev.engine.api.*;
import org.junit.jupiter.api.Test;

class SmokeTest {
    @Test
    void reluAndGemm() {
        Backend be = Backends.get("cpu");
        System.out.println(be.describe());
        try (Buffer a = be.allocate(DType.F32, 6); Buffer out = be.allocate(DType.F32, 6); Buffer c = be.allocate(DType.F32, 4)) {
            be.copyIn(new float[]{-1, 2, -3, 4, -5, 6}, 0, a, 0, 6);
            be.elementwise(ElementwiseProgram.single(ElementwiseOp.RELU, 0), new BufferView[]{BufferView.of(a, 2, 3)}, BufferView.of(out, 2, 3));
            float[] r = new float[6];
            be.copyOut(out, 0, r, 0, 6);
            assertArrayEquals(new float[]{0, 2, 0, 4, 0, 6}, r);
            // [2x3] @ [3x2] with A = a, B = a^T  -> a a^T
            be.gemm(false, true, 2, 2, 3, 1, MatrixRef.of(a, 3), MatrixRef.of(a, 3), 0, MatrixRef.of(c, 2), 1, Epilogue.NONE);
            float[] cr = new float[4];
            be.copyOut(c, 0, cr, 0, 4);
            assertArrayEquals(new float[]{14, -32, -32, 77}, cr);
        }
    }
}
