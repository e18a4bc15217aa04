package dev.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.engine.nativeabi.Abi;
import dev.engine.nativeabi.NativeArgs;
import org.junit.jupiter.api.Test;

/**
 * The CUDA library was compiled with the same native/common/abi.h table the Java side rebuilds. Needs only
 * the library (it loads without a driver), not a GPU.
 */
class CudaAbiTest {
    @Test
    void nativeTableEqualsTheJavaConstants() {
        CudaNative.load();
        NativeArgs q = NativeArgs.begin().zeros(Abi.TABLE_CAPACITY);
        int n = CudaNative.engine_abi_table(q.address());
        assertArrayEquals(Abi.expectedTable(), q.read(n));
    }
}
