package dev.engine.cuda;

/**
 * Counters of the pinned (page-locked) host memory that recorded calls hold as their staging. A frozen
 * model allocates it on a context's first call; later calls show {@code allocations} standing still. Counted
 * over every CUDA backend of the process. (Each backend's 8 MiB transfer staging buffer is not counted.)
 *
 * <pre>{@code
 * long before = cuda.pinnedStats().allocations();
 * for (int i = 0; i < 100; i++) frozen.run(x, 1, y);
 * assert cuda.pinnedStats().allocations() == before;
 * }</pre>
 *
 * @param allocations {@code cudaHostAlloc} calls so far
 * @param frees       {@code cudaFreeHost} calls so far
 * @param bytes       pinned bytes held now
 * @param peakBytes   the largest {@code bytes} seen
 */
public record CudaPinnedStats(long allocations, long frees, long bytes, long peakBytes) {}
