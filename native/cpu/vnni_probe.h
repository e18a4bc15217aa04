// Measures the int8 multiply-add throughput one core reaches with the int8 GEMM's instructions: 16
// independent chains of vpdpbusd on 64 bytes (64 u8 x s8 products each), no memory traffic. Benchmark
// reports divide the int8 kernel's GOP/s by it, as fma_probe.h does for F32. On a CPU without VNNI it
// times the AVX2 kernel's vpmaddwd + vpaddd pairs (32 products per pair) instead, and the baseline has
// no figure (0). With the AMX kernel it times tdpbusd on the tile registers.
#pragma once
#include "int8_gemm.h"
#include <chrono>
#include <string>

// GCC 12's AVX-512 intrinsics pass _mm512_undefined_* as a merge source: a false "used uninitialized".
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace engine {

#ifdef ENGINE_X86_INT8
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512vnni")
// Seconds for `iters` rounds of 16 vpdpbusd (iters * 16 * 64 multiply-adds); *sink keeps the chains live.
// Sixteen named accumulators: an array would stay in memory around the asm statements.
inline double vnni_rounds(long iters, int* sink) {
#define Q_ACC(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15)
#define Q_INIT(j) __m512i acc##j = _mm512_set1_epi32(j);
#define Q_STEP(j) Q_DPBUSD(acc##j, a, b);
#define Q_SUM(j) total += _mm512_reduce_add_epi32(acc##j);
    Q_ACC(Q_INIT)
    const __m512i a = _mm512_set1_epi8(3), b = _mm512_set1_epi8(-2);
    auto t0 = std::chrono::steady_clock::now();
    for (long i = 0; i < iters; i++) { Q_ACC(Q_STEP) }
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    int total = 0;
    Q_ACC(Q_SUM)
#undef Q_SUM
#undef Q_STEP
#undef Q_INIT
#undef Q_ACC
    *sink = total;
    return s;
}
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("amx-tile,amx-int8,avx512f")
// Seconds for `iters` rounds of 4 tdpbusd into the C tiles of the AMX kernel (iters * 4 * 16 * 16 * 64
// multiply-adds); the A and B tiles are loaded once.
inline double amx_rounds(long iters, int* sink) {
    alignas(64) int8_t src[16 * AMX_KB];
    std::memset(src, 1, sizeof src);
    amx_configure();
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
    _tile_loadd(4, src, AMX_KB);
    _tile_loadd(5, src, AMX_KB);
    _tile_loadd(6, src, AMX_KB);
    _tile_loadd(7, src, AMX_KB);
    auto t0 = std::chrono::steady_clock::now();
    for (long i = 0; i < iters; i++) {
        _tile_dpbusd(0, 4, 6);
        _tile_dpbusd(1, 4, 7);
        _tile_dpbusd(2, 5, 6);
        _tile_dpbusd(3, 5, 7);
    }
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    alignas(64) int32_t out[16 * 16];
    _tile_stored(0, out, 64);
    _tile_release();
    *sink = out[0];
    return s;
}
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx2,fma")
// iters * 16 * 16 multiply-adds (vpmaddwd: 16 int16 products, summed in pairs).
inline double madd_rounds(long iters, int* sink) {
    __m256i acc[16];
    for (int j = 0; j < 16; j++) acc[j] = _mm256_set1_epi32(j);
    const __m256i a = _mm256_set1_epi16(3), b = _mm256_set1_epi16(-2);
    auto t0 = std::chrono::steady_clock::now();
    for (long i = 0; i < iters; i++)
#pragma GCC unroll 16
        for (int j = 0; j < 16; j++) acc[j] = _mm256_add_epi32(acc[j], _mm256_madd_epi16(a, b));
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    alignas(32) int t[8];
    int total = 0;
    for (int j = 0; j < 16; j++) { _mm256_store_si256((__m256i*)t, acc[j]); total += t[0]; }
    *sink = total;
    return s;
}
#pragma GCC pop_options
#endif

// Giga int8 operations per second of one core (a multiply-add counts 2), best of ten runs of about
// `millis` ms each, at the int8 kernel's ISA; 0 for the baseline kernel.
inline double int8_peak_gops(int millis) {
#ifdef ENGINE_X86_INT8
    const char* isa = "";
    q_kernels(&isa);
    std::string w = isa;
    double (*run)(long, int*) = nullptr;
    double opsPerRound = 0;
    if (w == "amx") { run = amx_rounds; opsPerRound = 4 * 16 * 16 * 64 * 2; }
    else if (w == "avx512vnni") { run = vnni_rounds; opsPerRound = 16 * 64 * 2; }
    else if (w == "avx2") { run = madd_rounds; opsPerRound = 16 * 16 * 2; }
    if (!run) return 0;
    int sink = 0;
    long iters = 1 << 16;
    while (run(iters, &sink) < 0.005) iters *= 2;
    double seconds = run(iters, &sink);
    long target = (long)(iters * (millis / 1000.0) / seconds) + 1;
    double best = 0;
    for (int rep = 0; rep < 10; rep++) best = std::max(best, target * opsPerRound / run(target, &sink) / 1e9);
    return sink == 12345 ? best + 1e-9 : best;
#else
    (void)millis;
    return 0;
#endif
}

}  // namespace engine
