// Shared by every .cu file: the bound context's stream and allocator, error plumbing, the scratch allocator and
// the decoding of the int64 "meta" blocks the Java side writes (the layouts of native/common/abi.h).
#pragma once
#include <cuda_runtime.h>
#include <cstdint>
#include <cstring>
#include <cmath>
#include <string>
#include "../common/abi.h"
#include "kernel_args.cuh"

namespace ecu {

// dtype codes (F32 ...), MAX_DIMS, INSTR_INTS and the opcodes: native/common/abi.h, shared with native/cpu
// (only the codes: this tree still decodes its argument blocks itself, into structs of its own)
using namespace engine_abi::codes;

// The bound context's state (context.cuh), for the kernel files. Each works only inside an entry point that
// bound its context (ECU_BIND); without one it returns a harmless value (no stream, 0, false) and notes "no
// CUDA context bound", which the entry point's launch_error() then returns as ECU_MESSAGE.
//
// stream(): the context's one stream (kernels, copies, graph capture), or this thread's capture stream while
// it records a frozen call on the context; one stream lets the caching allocator reuse a freed block at once.
cudaStream_t stream();
bool capturing();
// compute capability (major*10+minor) and SM count of the context's device, and its TF32 GEMM switch
int device_cc();
int device_sm_count();
bool tf32_on();

// The bound context's caching allocator, also used for kernel scratch (im2col, flags).
void* cache_alloc(size_t bytes);
void cache_free(void* p);

// Status for "failed, see the message": never a cudaError_t (those are >= 0). The message is per thread
// and read by Java (ecu_error_message) right after the call that returned it.
const int ECU_MESSAGE = -1;
void set_error_message(const std::string& text);
// Entry points returning a position (-1 none, >= 0 the first bad one) report a failure as -(2 + cudaError_t),
// and ECU_MESSAGE as POSITION_MESSAGE.
const long long POSITION_MESSAGE = INT64_MIN;
inline long long position_error(int status) { return status == ECU_MESSAGE ? POSITION_MESSAGE : -2 - (long long)status; }

// ECU_MESSAGE once when a helper above ran with no context bound since the last call, else 0.
int take_unbound();

// The status of the launches an entry point just queued: ECU_MESSAGE when it ran without a bound context,
// else the first CUDA error (cleared).
inline int launch_error() {
    int e = (int)cudaGetLastError();
    int u = take_unbound();
    return u ? u : e;
}

inline double bits_to_double(i64 v) { double d; std::memcpy(&d, &v, sizeof d); return d; }

inline unsigned blocks_for(i64 n, int threads, i64 cap = 65535LL * 8) {
    i64 b = (n + threads - 1) / threads;
    if (b < 1) b = 1;
    return (unsigned)(b > cap ? cap : b);
}

// Block-wide sum of a double (blockDim.x a multiple of 32, at most 1024); every thread gets the result.
__device__ inline double block_sum(double v) {
    __shared__ double part[32];
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    __syncthreads();
    if (lane == 0) part[warp] = v;
    __syncthreads();
    int nw = (blockDim.x + 31) >> 5;
    double r = 0;
    for (int i = 0; i < nw; i++) r += part[i];
    return r;
}

__device__ inline double block_max(double v) {
    __shared__ double part[32];
    for (int o = 16; o > 0; o >>= 1) v = fmax(v, __shfl_xor_sync(0xffffffffu, v, o));
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    __syncthreads();
    if (lane == 0) part[warp] = v;
    __syncthreads();
    int nw = (blockDim.x + 31) >> 5;
    double r = -INFINITY;
    for (int i = 0; i < nw; i++) r = fmax(r, part[i]);
    return r;
}

// Device-side index validation: records the smallest bad position (or leaves i64 max); the host reads it
// back unless a graph is being captured (then kernels just skip bad entries, never read out of range).
struct IndexFlag {
    unsigned long long* dev = nullptr;
    bool begin();               // allocates and resets; false on error
    long long finish(int* err); // -1 when all valid, else the first bad position; frees the flag
};

}  // namespace ecu

#define ECU_CHECK(call) do { cudaError_t e_ = (call); if (e_ != cudaSuccess) return (int)e_; } while (0)
