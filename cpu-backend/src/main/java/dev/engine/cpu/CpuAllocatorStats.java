package dev.engine.cpu;

/**
 * Counters of the CPU backend's block cache, which keeps freed buffers of 256 KiB and more (rounded up to
 * one of eight size classes per doubling) for the next allocation of their class instead of handing them
 * back to the system, so a training loop stops page-faulting its activations in every step. The cache
 * holds at most the larger of 256 MiB and twice the peak bytes in use; {@link CpuBackend#emptyCache()}
 * releases it. A steady loop shows {@code systemAllocs} standing still while {@code cacheHits} grows.
 *
 * <pre>{@code
 * CpuBackend cpu = (CpuBackend) Backends.get("cpu");
 * long before = cpu.allocatorStats().systemAllocs();
 * ... run 100 training steps ...
 * assert cpu.allocatorStats().systemAllocs() == before;
 * }</pre>
 *
 * @param systemAllocs  large blocks obtained from the system so far
 * @param systemFrees   large blocks returned to the system (cache full, or {@link CpuBackend#emptyCache()})
 * @param reservedBytes large-block bytes held from the system now (in use + cached)
 * @param inUseBytes    large-block bytes handed out to live buffers
 * @param cachedBytes   bytes kept on free lists for reuse
 * @param cacheHits     large allocations served from the cache
 * @param cacheMisses   large allocations that went to the system
 * @param peakReservedBytes the largest {@code reservedBytes} seen
 */
public record CpuAllocatorStats(long systemAllocs, long systemFrees, long reservedBytes, long inUseBytes, long cachedBytes,
                                long cacheHits, long cacheMisses, long peakReservedBytes) {}
