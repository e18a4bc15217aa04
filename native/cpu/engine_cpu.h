// Entry points of the CPU backend's native library, bound by dev.engine.cpu.CpuNative through JavaCPP.
// Every function takes plain integers and addresses (no JavaCPP objects): multi-argument kernels read an
// argument block of int64s (a struct of native/common/abi.h) that Java wrote into a per-thread direct
// buffer. Kernels return a status (abi.h); no C++ exception crosses into the JVM.
#pragma once
#include "common.h"
#include "memory.h"
#include "elementwise.h"
#include "gemm.h"
#include "packed_gemm.h"
#include "fma_probe.h"
#include "int8_gemm.h"
#include "vnni_probe.h"
#include "bf16_gemm.h"
#include "bf16_rounded_gemm.h"
#include "reduce.h"
#include "softmax.h"
#include "attention.h"
#include "norm.h"
#include "conv.h"
#include "pool.h"
#include "index.h"
#include "philox.h"
#include "optim.h"
#include "../common/abi_entry.h"
#include <string>

extern "C" {
void openblas_set_num_threads(int num_threads);
char* openblas_get_corename(void);
char* openblas_get_config(void);
}

// Our kernels and OpenBLAS both use n threads.
inline void engine_set_threads(int n) {
    engine::thread_count().store(n < 1 ? 1 : n);
    openblas_set_num_threads(n < 1 ? 1 : n);
}

// dst (packed_size(k, n) floats) <- the row-major F32 matrix at src [k][n] with row stride ldb.
inline int engine_pack_b(long long src, long long ldb, long long k, long long n, long long dst) {
    return engine::guarded([&] {
        engine::pack_b_f32(engine::ptr<float>(src), ldb, k, n, engine::ptr<float>(dst));
    });
}

// meta: PackedGemmArgs (native/common/abi.h)
inline int engine_packed_gemm(long long metaAddress) {
    return engine::guarded([&] {
        using namespace engine;
        const PackedGemmArgs& q = *ptr<PackedGemmArgs>(metaAddress);
        PackedGemm g;
        g.m = q.m; g.n = q.n; g.k = q.k;
        g.a = ptr<float>(q.a); g.lda = q.lda;
        g.bp = ptr<float>(q.packed_b);
        g.c = ptr<float>(q.c); g.ldc = q.ldc;
        g.bias = ENGINE_P(float, q.bias);
        g.res = ENGINE_P(float, q.residual); g.ldr = q.ldr;
        g.act = (int)q.act;
        g.actParam = (float)bits_to_double(q.act_param_bits);
        g.alpha = 1.f; g.beta = 0.f;
        packed_gemm_f32(g);
    });
}

// The packed GEMM kernel in use: "avx512", "avx2" or "baseline".
inline const char* engine_packed_isa() {
    const char* name = "";
    engine::packed_range_f32(&name);
    return name;
}

// Measured FP32 FMA GFLOP/s of one core at the packed kernel's ISA (see fma_probe.h).
inline double engine_fma_peak(int millis) { return engine::fma_peak_gflops(millis); }

// dst (engine_int8_packed_bytes(k, n) bytes) <- the k x n int32 weights at src (row stride ldb, values in
// [-127, 127]) and their n F32 column scales. Returns -1, the first bad position (pack_int8), or
// position_error(status).
inline long long engine_pack_int8(long long src, long long ldb, long long scales, long long k, long long n, long long dst) {
    long long bad = -1;
    int status = engine::guarded([&] {
        bad = engine::pack_int8(engine::ptr<int32_t>(src), ldb, engine::ptr<float>(scales), k, n, engine::ptr<uint8_t>(dst));
    });
    return status == engine::STATUS_OK ? bad : engine::position_error(status);
}

inline long long engine_int8_packed_bytes(long long k, long long n) { return engine::q_packed_bytes(k, n); }

// meta: Int8GemmArgs (native/common/abi.h)
inline int engine_int8_gemm(long long metaAddress) {
    return engine::guarded([&] {
        using namespace engine;
        const Int8GemmArgs& q = *ptr<Int8GemmArgs>(metaAddress);
        Int8Gemm g{};
        g.m = q.m; g.n = q.n; g.k = q.k;
        g.a = ptr<float>(q.a); g.lda = q.lda;
        g.c = ptr<float>(q.c); g.ldc = q.ldc;
        g.bias = ENGINE_P(float, q.bias);
        g.res = ENGINE_P(float, q.residual); g.ldr = q.ldr;
        g.act = (int)q.act;
        g.actParam = (float)bits_to_double(q.act_param_bits);
        int8_gemm(g, ptr<uint8_t>(q.packed_b), q.dynamic != 0, (float)bits_to_double(q.a_scale_bits), (int)q.a_zero_point);
    });
}

// meta: ConvInt8Args (native/common/abi.h)
inline int engine_conv2d_int8(long long metaAddress) {
    return engine::guarded([&] {
        using namespace engine;
        const ConvInt8Args& q = *ptr<ConvInt8Args>(metaAddress);
        conv2d_int8(q.g, ptr<float>(q.x), ptr<uint8_t>(q.packed_w), ENGINE_P(float, q.bias), (int)q.act, ptr<float>(q.y), q.dynamic != 0,
                    (float)bits_to_double(q.a_scale_bits), (int)q.a_zero_point);
    });
}

// meta: ConvInt8Args, y holding the 2x2, stride-2 max pool of the convolution's output.
inline int engine_conv2d_int8_max_pool(long long metaAddress) {
    return engine::guarded([&] {
        using namespace engine;
        const ConvInt8Args& q = *ptr<ConvInt8Args>(metaAddress);
        conv2d_int8_max_pool(q.g, ptr<float>(q.x), ptr<uint8_t>(q.packed_w), ENGINE_P(float, q.bias), (int)q.act, ptr<float>(q.y),
                             q.dynamic != 0, (float)bits_to_double(q.a_scale_bits), (int)q.a_zero_point);
    });
}

// The int8 GEMM kernel in use: "amx", "avx512vnni", "avx2" or "baseline".
inline const char* engine_int8_isa() {
    const char* name = "";
    engine::q_kernels(&name);
    return name;
}

// The int8 convolution's kernels: "plane (stride 1), im2col" where the plane kernel runs (int8_conv_plane.h),
// else "im2col".
inline const char* engine_int8_conv_kernels() { return engine::q_plane_runs() ? "plane (stride 1), im2col" : "im2col"; }

// Measured int8 GOP/s of one core at the int8 kernel's ISA (see vnni_probe.h); 0 for the baseline.
inline double engine_int8_peak(int millis) { return engine::int8_peak_gops(millis); }

// dst (engine_bf16_packed_words(k, n) 32-bit words) <- the row-major F32 k x n matrix at src (row stride
// ldb), rounded to bf16 (nearest even) and packed in pairs for the bf16 GEMM.
inline int engine_pack_bf16(long long src, long long ldb, long long k, long long n, long long dst) {
    return engine::guarded([&] {
        engine::pack_bf16(engine::ptr<float>(src), ldb, k, n, engine::ptr<uint32_t>(dst));
    });
}

inline long long engine_bf16_packed_words(long long k, long long n) { return engine::bf_packed_words(k, n); }

// meta: PackedGemmArgs (native/common/abi.h), packed_b made by engine_pack_bf16
inline int engine_bf16_gemm(long long metaAddress) {
    return engine::guarded([&] {
        using namespace engine;
        const PackedGemmArgs& q = *ptr<PackedGemmArgs>(metaAddress);
        Bf16Gemm g{};
        g.m = q.m; g.n = q.n;
        g.bp = ptr<uint32_t>(q.packed_b);
        g.c = ptr<float>(q.c); g.ldc = q.ldc;
        g.bias = ENGINE_P(float, q.bias);
        g.res = ENGINE_P(float, q.residual); g.ldr = q.ldr;
        g.act = (int)q.act;
        g.actParam = (float)bits_to_double(q.act_param_bits);
        bf16_gemm(g, ptr<float>(q.a), q.lda, q.k);
    });
}

// The bf16 GEMM kernel in use: "amx", "avx512bf16", "avx2" or "baseline".
inline const char* engine_bf16_isa() {
    const char* name = "";
    engine::bf_kernels(&name);
    return name;
}

// Floats a packed k x n matrix takes.
inline long long engine_packed_size(long long k, long long n) { return engine::packed_size(k, n); }

inline int engine_get_threads() { return engine::thread_count().load(); }

// Self-test of the status convention: a job on two pool threads whose last part throws. Returns the
// status the entry point turns that into (STATUS_INTERNAL, message "pool self-test"), never a crash.
inline int engine_selftest_pool_exception() {
    return engine::guarded([&] {
        engine::run_on_threads(2, [&](int t, int nt) {
            if (t == nt - 1) throw std::runtime_error("pool self-test");
        });
    });
}



// "corename|config|features" for engine info.
inline const char* engine_describe() {
    static std::string s;
    std::string features;
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) features += "avx2 ";
    if (__builtin_cpu_supports("fma")) features += "fma ";
    if (__builtin_cpu_supports("avx512f")) features += "avx512f ";
    if (__builtin_cpu_supports("avx512vnni")) features += "avx512vnni ";
    if (__builtin_cpu_supports("avx512bf16")) features += "avx512bf16 ";
    if (__builtin_cpu_supports("amx-bf16")) features += "amx-bf16 ";
#endif
#ifdef ENGINE_X86_INT8
    if (engine::amx_cpu()) features += "amx_int8 ";
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
