package dev.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.Buffer;
import dev.engine.api.DType;
import org.junit.jupiter.api.Test;

/** Large freed buffers are reused from the block cache, bounded, and released by emptyCache. */
class BlockCacheTest extends CpuTestBase {
    static final CpuBackend CPU = (CpuBackend) BE;

    @Test
    void aFreedLargeBufferIsReusedWithoutAskingTheSystem() {
        long n = 3 << 18;  // 3 MiB of F32
        try (Buffer warm = BE.allocate(DType.F32, n)) { warm.length(); }
        CpuAllocatorStats before = CPU.allocatorStats();
        for (int i = 0; i < 50; i++) {
            try (Buffer b = BE.allocate(DType.F32, n)) {
                double[] v = new double[]{i, -i, 2.5};
                CpuTestBase.write(b, v);
                assertArrayEquals(v, read(b, 3));
            }
        }
        CpuAllocatorStats after = CPU.allocatorStats();
        assertEquals(before.systemAllocs(), after.systemAllocs(), "no new system blocks: " + after);
        assertTrue(after.cacheHits() >= before.cacheHits() + 50, "every allocation hit the cache: " + after);
        assertTrue(after.cachedBytes() >= 4L * n, "the block went back to the cache: " + after);
    }

    @Test
    void sizesWithinOneClassShareBlocksAndSmallBuffersBypassTheCache() {
        CpuAllocatorStats s0 = CPU.allocatorStats();
        try (Buffer small = BE.allocate(DType.F32, 1000)) { small.length(); }
        assertEquals(s0.systemAllocs() + s0.cacheHits(), CPU.allocatorStats().systemAllocs() + CPU.allocatorStats().cacheHits(),
                "a 4 KB buffer does not touch the cache");
        try (Buffer a = BE.allocate(DType.F32, 1_000_000)) { a.length(); }
        CpuAllocatorStats s1 = CPU.allocatorStats();
        try (Buffer b = BE.allocate(DType.F32, 1_000_100)) { b.length(); }  // same size class (< 1/8 apart)
        assertEquals(s1.systemAllocs(), CPU.allocatorStats().systemAllocs(), "served from the cached block");
    }

    @Test
    void emptyCacheReturnsEveryFreeBlockAndTheCacheStaysBounded() {
        for (int i = 0; i < 40; i++) {  // 40 distinct classes of ~16-46 MiB: more than the 256 MiB floor
            try (Buffer b = BE.allocate(DType.F32, (4L << 20) + i * (1L << 18) * 3)) { b.length(); }
        }
        CpuAllocatorStats s = CPU.allocatorStats();
        long limit = Math.max(256L << 20, 2 * s.peakReservedBytes());
        assertTrue(s.cachedBytes() <= limit, "cache within its bound: " + s);
        CPU.emptyCache();
        CpuAllocatorStats e = CPU.allocatorStats();
        assertEquals(0, e.cachedBytes(), "nothing cached after emptyCache: " + e);
        assertEquals(e.inUseBytes(), e.reservedBytes(), "only live blocks stay reserved: " + e);
    }
}
