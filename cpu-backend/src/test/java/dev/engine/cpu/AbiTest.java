package dev.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.Activation;
import dev.engine.api.Backends;
import dev.engine.api.Buffer;
import dev.engine.api.Conv2dShape;
import dev.engine.api.DType;
import dev.engine.api.EngineException;
import dev.engine.api.Epilogue;
import dev.engine.api.MatrixRef;
import dev.engine.api.OptimizerHyperparams;
import dev.engine.api.PackedMatrix;
import dev.engine.api.Pool2dShape;
import dev.engine.nativeabi.Abi;
import dev.engine.nativeabi.ArgBlocks;
import dev.engine.nativeabi.NativeArgs;
import dev.engine.nativeabi.NativeStatus;
import org.junit.jupiter.api.Test;

/**
 * The Java and native sides of native/common/abi.h agree: the table the library was compiled with equals
 * the one rebuilt from the Java constants, every fixed block ArgBlocks writes has its struct's size, and a
 * C++ exception inside a pool worker comes back as a status with its message, not a crash.
 */
class AbiTest {
    static final CpuBackend BE = (CpuBackend) Backends.get("cpu");

    @Test
    void nativeTableEqualsTheJavaConstants() {
        NativeArgs q = NativeArgs.begin().zeros(Abi.TABLE_CAPACITY);
        int n = CpuNative.engine_abi_table(q.address());
        assertArrayEquals(Abi.expectedTable(), q.read(n));
    }

    @Test
    void argBlocksHaveTheStructSizes() {
        try (Buffer b = BE.allocate(DType.F32, 16)) {
            MatrixRef m = MatrixRef.of(b, 2);
            assertEquals(Abi.GEMM_ARGS, ArgBlocks.gemm(false, true, 2, 2, 2, 1, m, m, 0, m, 1, Epilogue.of(b, Activation.RELU)).size());
            Conv2dShape g = new Conv2dShape(1, 1, 3, 3, 1, 3, 3, 1, 1, 0, 0, 1, 1, 1);
            assertEquals(Abi.CONV_FORWARD_ARGS, ArgBlocks.conv(DType.F32, g).put(1L).put(2L).put(3L).put(4L).put(5L).size(),
                    "CpuConvPool appends x, w, bias, act, y");
            assertEquals(Abi.CONV_BACKWARD_INPUT_ARGS, ArgBlocks.conv(DType.F32, g).put(1L).put(2L).put(3L).size());
            assertEquals(Abi.CONV_BACKWARD_WEIGHT_ARGS, ArgBlocks.conv(DType.F32, g).put(1L).put(2L).put(3L).put(4L).size());
            Pool2dShape p = new Pool2dShape(1, 1, 2, 2, 2, 2, 2, 2, 0, 0, false);
            assertEquals(Abi.POOL_ARGS, ArgBlocks.pool(DType.F32, ArgBlocks.POOL_MAX, p).put(1L).put(2L).put(3L).size());
            assertEquals(Abi.BATCH_NORM_FORWARD_ARGS, ArgBlocks.batchNormForward(b, null, null, null, null, 1, 1, 1, true, 0.1, 1e-5, b, null, null).size());
            assertEquals(Abi.BATCH_NORM_BACKWARD_ARGS, ArgBlocks.batchNormBackward(b, b, null, b, b, 1, 1, 1, b, null, null).size());
            Buffer[] one = {b};
            assertEquals(Abi.OPTIMIZER_ARGS + 2 * Abi.OPTIMIZER_TENSOR,
                    ArgBlocks.optimizer(ArgBlocks.OPTIM_SGD, new Buffer[]{b, b}, new Buffer[]{b, b}, null, null, new double[5], new long[2], 0, 2).size());
            assertEquals(Abi.OPTIMIZER_ARGS + Abi.OPTIMIZER_TENSOR, ArgBlocks.optimizer(ArgBlocks.OPTIM_ADAM, one, one, one, one, new double[5], new long[2], 0, 1).size());
        }
    }

    @Test
    void packedGemmBlockHasItsStructSize() {
        // CpuPackedGemm writes the block and runs it; a 1 x 1 x 1 product must come out right through the struct
        try (Buffer a = BE.allocate(DType.F32, 1); Buffer b = BE.allocate(DType.F32, 1); Buffer c = BE.allocate(DType.F32, 1)) {
            BE.copyIn(new float[]{3}, 0, a, 0, 1);
            BE.copyIn(new float[]{-2}, 0, b, 0, 1);
            try (PackedMatrix p = BE.packMatrix(b, 1, 1)) {
                BE.gemmPacked(1, MatrixRef.of(a, 1), p, MatrixRef.of(c, 1), Epilogue.NONE);
            }
            float[] r = new float[1];
            BE.copyOut(c, 0, r, 0, 1);
            assertEquals(-6f, r[0]);
        }
    }

    @Test
    void anExceptionInAPoolWorkerBecomesAStatus() {
        int before = BE.threads();
        try {
            for (int threads : new int[]{1, 2}) {
                BE.setThreads(threads);
                for (int i = 0; i < 500; i++) {   // a worker may throw before or after the caller's part: never lost
                    assertEquals(NativeStatus.INTERNAL, CpuNative.engine_selftest_pool_exception(), threads + " threads, call " + i);
                    assertEquals("pool self-test", CpuNative.engine_last_error());
                }
                EngineException e = assertThrows(EngineException.class, () -> CpuBackend.ok("selftest", CpuNative.engine_selftest_pool_exception()));
                assertTrue(e.getMessage().startsWith("selftest: internal error in a native kernel (pool self-test)"), e.getMessage());
            }
            // the pool still works afterwards
            try (Buffer x = BE.allocate(DType.F32, 4); Buffer y = BE.allocate(DType.F32, 4)) {
                BE.copyIn(new float[]{1, 2, 3, 4}, 0, x, 0, 4);
                BE.softmax(x, y, 1, 4, false);
            }
        } finally {
            BE.setThreads(before);
        }
    }

    @Test
    void sgdBlockRunsThroughTheStruct() {
        try (Buffer p = BE.allocate(DType.F64, 2); Buffer g = BE.allocate(DType.F64, 2)) {
            BE.copyIn(new double[]{1, 2}, 0, p, 0, 2);
            BE.copyIn(new double[]{10, 20}, 0, g, 0, 2);
            BE.sgdStep(new Buffer[]{p}, new Buffer[]{g}, null, new OptimizerHyperparams.Sgd(0.1, 0, 0, 0, false));
            double[] r = new double[2];
            BE.copyOut(p, 0, r, 0, 2);
            assertArrayEquals(new double[]{0, 0}, r, 1e-15);
        }
    }
}
