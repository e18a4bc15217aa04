// Measures the FP32 fused multiply-add throughput one core reaches with the packed GEMM's widest vectors:
// 16 independent chains of 16-float FMAs, no memory traffic. Benchmark reports divide a kernel's GFLOP/s
// by it, so "85 % of peak" means measured hardware, not a guessed FLOP-per-cycle figure.
#pragma once
#include "packed_gemm.h"
#include <chrono>
#include <string>

#pragma GCC diagnostic ignored "-Wpsabi"

namespace engine {

typedef float fma_v16 __attribute__((vector_size(64)));

// Seconds for `iters` rounds of 16 FMAs on 16-float vectors (iters * 512 FLOP); *sink keeps the result live.
template <typename V>
ENGINE_INLINE double fma_rounds(long iters, float* sink) {
    V acc[16];
    for (int j = 0; j < 16; j++) acc[j] = V{} + (float)j;
    const V b = V{} + 1.0001f;
    const float a = 0.9999f;
    auto t0 = std::chrono::steady_clock::now();
    for (long i = 0; i < iters; i++)
        for (int j = 0; j < 16; j++) acc[j] = acc[j] * a + b;
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    float total = 0;
    for (int j = 0; j < 16; j++) total += acc[j][0];
    *sink = total;
    return s;
}

inline double fma_seconds_base(long iters, float* sink) { return fma_rounds<fma_v16>(iters, sink); }
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target("avx512f"))) inline double fma_seconds_avx512(long iters, float* sink) { return fma_rounds<fma_v16>(iters, sink); }
__attribute__((target("avx2,fma"))) inline double fma_seconds_avx2(long iters, float* sink) { return fma_rounds<fma_v16>(iters, sink); }
#endif

// GFLOP/s of one core, best of ten runs of about `millis` ms each (a busy machine preempts some), at the ISA
// the packed GEMM uses.
inline double fma_peak_gflops(int millis) {
    const char* isa = "";
    packed_range_f32(&isa);
    std::string w = isa;
    double (*run)(long, float*) = fma_seconds_base;
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
    if (w == "avx512") run = fma_seconds_avx512;
    else if (w == "avx2") run = fma_seconds_avx2;
#endif
    float sink = 0;
    long iters = 1 << 16;
    while (run(iters, &sink) < 0.005) iters *= 2;  // calibrate to about 5 ms
    double seconds = run(iters, &sink);
    long target = (long)(iters * (millis / 1000.0) / seconds) + 1;
    double best = 0;
    for (int rep = 0; rep < 10; rep++) best = std::max(best, target * 512.0 / run(target, &sink) / 1e9);
    return sink == 12345.f ? best + 1e-9 : best;  // sink read so the chains are not dropped
}

}  // namespace engine
