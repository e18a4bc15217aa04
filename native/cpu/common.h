// Shared helpers for the CPU kernels: fixed-width types, the thread count, runtime ISA dispatch and the
// decoding of the int64 "meta" blocks the Java side writes (so a call passes one address, not arrays).
#pragma once
#include <cstdint>
#include <cstring>
#include <cmath>
#include <algorithm>
#include <atomic>
#include <new>
#include <stdexcept>
#include <vector>
#include "thread_pool.h"
#include "../common/abi.h"

namespace engine {

typedef int64_t i64;

// dtype codes, opcodes, argument blocks and statuses: native/common/abi.h
using namespace engine_abi;

// Runs an entry point's body and returns its status: a C++ exception (on this thread or rethrown from a
// pool worker) becomes a status and a per-thread message, never a crash of the JVM.
template <typename F>
inline int guarded(F&& body) {
    try {
        body();
        return STATUS_OK;
    } catch (const std::bad_alloc&) {
        set_last_error("out of native memory");
        return STATUS_OUT_OF_MEMORY;
    } catch (const std::length_error& e) {  // a scratch vector larger than it may grow
        set_last_error(e.what());
        return STATUS_OUT_OF_MEMORY;
    } catch (const std::exception& e) {
        set_last_error(e.what());
        return STATUS_INTERNAL;
    } catch (...) {
        set_last_error("unknown C++ exception");
        return STATUS_INTERNAL;
    }
}

// Threads our kernels use; OpenBLAS gets the same number through engine_set_threads.
inline std::atomic<int>& thread_count() { static std::atomic<int> n{1}; return n; }

// Work below this many element-operations runs on the calling thread: handing a range to a worker and
// waiting for it costs more than the work itself.
const i64 PARALLEL_THRESHOLD = 1 << 17;

inline int threads_for(i64 work) {
    if (work < PARALLEL_THRESHOLD) return 1;
    int t = thread_count().load(std::memory_order_relaxed);
    return t < 1 ? 1 : t;
}

template <typename T> inline T* ptr(i64 address) { return reinterpret_cast<T*>(static_cast<uintptr_t>(address)); }

inline double bits_to_double(i64 v) { double d; std::memcpy(&d, &v, sizeof d); return d; }

// Compile the hot loop of a wrapper for AVX-512, AVX2 and baseline x86-64; the loader picks one at run
// time (GCC function multi-versioning), so a shipped build never needs -march=native.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define ENGINE_DISPATCH __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define ENGINE_DISPATCH
#endif
#define ENGINE_INLINE inline __attribute__((always_inline))

// A strided operand: base address (already offset) and per-dimension strides, in elements.
struct Operand {
    i64 address;
    int dtype;
    i64 strides[MAX_DIMS];
};

// Merges neighbouring dims that every operand walks as one (stride[d] == stride[d+1] * shape[d+1]) and
// drops size-1 dims, in place; returns the new rank. The strided kernels loop over rows of the last dim, so
// an NCHW tensor then runs as one long row instead of N*C*H rows of W (8-32 elements each on small images).
inline int coalesce_dims(int nd, i64* shape, Operand* ops, int nops) {
    int out = 0;
    for (int d = 0; d < nd; d++) {
        if (shape[d] == 1 && nd > 1) continue;
        if (out > 0) {
            bool merge = true;
            for (int j = 0; j < nops && merge; j++) merge = ops[j].strides[out - 1] == ops[j].strides[d] * shape[d];
            if (merge) {
                shape[out - 1] *= shape[d];
                for (int j = 0; j < nops; j++) ops[j].strides[out - 1] = ops[j].strides[d];
                continue;
            }
        }
        shape[out] = shape[d];
        for (int j = 0; j < nops; j++) ops[j].strides[out] = ops[j].strides[d];
        out++;
    }
    if (out == 0 && nd > 0) {  // all dims were 1
        shape[0] = 1;
        for (int j = 0; j < nops; j++) ops[j].strides[0] = 1;
        out = 1;
    }
    return out;
}

// Row-index -> element offset for all dims but the last (the "row" loop of every strided kernel).
inline i64 row_offset(i64 row, int nd, const i64* shape, const i64* strides) {
    i64 off = 0;
    for (int d = nd - 2; d >= 0; d--) {
        i64 s = shape[d];
        if (s == 0) return 0;
        i64 idx = row % s;
        row /= s;
        off += idx * strides[d];
    }
    return off;
}

inline int dtype_size(int dtype) { return (dtype == F32 || dtype == I32) ? 4 : 8; }

}  // namespace engine

// A nullable address as a typed pointer.
#define ENGINE_P(T, a) ((a) ? engine::ptr<T>(a) : (T*)nullptr)

namespace engine {
// Runs body(i) for i in [0, n) on nt threads of the engine's pool, in contiguous ranges that the threads
// claim as they come free (see run_shares). With one thread, or the pool busy, it is a plain loop on the
// caller, still in the body's clone for this CPU (see run_body).
template <typename F>
inline void parallel_for(i64 n, int nt, F&& body) {
    if (n <= 0) return;
    run_shares(n == 1 ? 1 : nt, n, [&](int t, int tn) {
        for (i64 i = n * t / tn, end = n * (t + 1) / tn; i < end; i++) body(i);
    });
}
}  // namespace engine
