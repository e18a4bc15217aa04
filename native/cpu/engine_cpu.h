// Entry points of the CPU backend's native library, bound by dev.engine.cpu.CpuNative through JavaCPP.
// Every function takes plain integers and addresses (no JavaCPP objects): multi-argument kernels read
// a "meta" block of int64s that Java wrote into a per-thread direct buffer.
#pragma once
#include "common.h"
#include "memory.h"
#include "elementwise.h"
#include "gemm.h"
#include "reduce.h"
#include "softmax.h"
#include "norm.h"
#include "conv.h"
#include "pool.h"
#include "index.h"
#include "philox.h"
#include "optim.h"
#include <string>

extern "C" {
void openblas_set_num_threads(int num_threads);
char* openblas_get_corename(void);
char* openblas_get_config(void);
}

// Our kernels use n threads; OpenBLAS always runs single-threaded inside them (see gemm_panels), so a
// result never depends on the thread count.
inline void engine_set_threads(int n) {
    engine::thread_count().store(n < 1 ? 1 : n);
    openblas_set_num_threads(1);
}

inline int engine_get_threads() { return engine::thread_count().load(); }

// "corename|config|features" for engine info.
inline const char* engine_describe() {
    static std::string s;
    std::string features;
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) features += "avx2 ";
    if (__builtin_cpu_supports("fma")) features += "fma ";
    if (__builtin_cpu_supports("avx512f")) features += "avx512f ";
#endif
    s = std::string(openblas_get_corename()) + "|" + openblas_get_config() + "|" + features;
    return s.c_str();
}

inline void copy_in_f32(const float* src, int off, long long dst, int n) { std::memcpy(engine::ptr<float>(dst), src + off, sizeof(float) * n); }
inline void copy_in_f64(const double* src, int off, long long dst, int n) { std::memcpy(engine::ptr<double>(dst), src + off, sizeof(double) * n); }
inline void copy_in_i32(const int* src, int off, long long dst, int n) { std::memcpy(engine::ptr<int>(dst), src + off, sizeof(int) * n); }
inline void copy_in_i64(const long long* src, int off, long long dst, int n) { std::memcpy(engine::ptr<long long>(dst), src + off, sizeof(long long) * n); }
inline void copy_out_f32(long long src, float* dst, int off, int n) { std::memcpy(dst + off, engine::ptr<float>(src), sizeof(float) * n); }
inline void copy_out_f64(long long src, double* dst, int off, int n) { std::memcpy(dst + off, engine::ptr<double>(src), sizeof(double) * n); }
inline void copy_out_i32(long long src, int* dst, int off, int n) { std::memcpy(dst + off, engine::ptr<int>(src), sizeof(int) * n); }
inline void copy_out_i64(long long src, long long* dst, int off, int n) { std::memcpy(dst + off, engine::ptr<long long>(src), sizeof(long long) * n); }
