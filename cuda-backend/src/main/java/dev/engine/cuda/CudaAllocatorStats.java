package dev.engine.cuda;

/**
 * Counters of the CUDA caching allocator. A steady loop shows {@code cudaMallocs} standing still while
 * {@code cacheHits} grows.
 *
 * <pre>{@code
 * long before = cuda.allocatorStats().cudaMallocs();
 * ... run 100 training steps ...
 * assert cuda.allocatorStats().cudaMallocs() == before;
 * }</pre>
 *
 * @param cudaMallocs   blocks obtained from {@code cudaMalloc} so far
 * @param cudaFrees     blocks returned with {@code cudaFree} (by {@link CudaBackend#emptyCache()})
 * @param reservedBytes bytes held from the driver now (in use + cached)
 * @param inUseBytes    bytes handed out to live buffers and scratch
 * @param cachedBytes   bytes kept on free lists for reuse
 * @param cacheHits     allocations served from the cache
 * @param cacheMisses   allocations that needed a {@code cudaMalloc}
 * @param peakReservedBytes the largest {@code reservedBytes} seen
 */
public record CudaAllocatorStats(long cudaMallocs, long cudaFrees, long reservedBytes, long inUseBytes, long cachedBytes,
                                 long cacheHits, long cacheMisses, long peakReservedBytes) {}
