// A host emulator for our CUDA kernels, so their indexing, tiling and synchronisation can be tested where no
// GPU is (CI). Include it before a kernel header and compile with g++ -std=c++20 -pthread.
//
// Each block runs as blockDim.x OS threads (blocks one after another), so __shared__ arrays become function
// statics shared by the block's threads, __syncthreads is a barrier, and warp collectives exchange through
// per-warp scratch behind a warp barrier. The tensor-core and async-copy instructions of device_ops.cuh are
// emulated from their documented semantics (PTX ISA: mma.m16n8k8 fragment layouts; cp.async zero fill):
// the point is to check how our kernels use them, the GPU parity tests check the hardware agrees.
//
// cp.async copies complete either at once (catching a stage overwritten while others still read it) or
// only at the cp.async.wait_group that covers them (catching a read before its wait): run tests both ways.
#pragma once
#define ECU_EMULATE 1

#include <barrier>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <thread>
#include <vector>
#include <algorithm>
#include <cmath>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static
#define __align__(n) __attribute__((aligned(n)))

struct dim3 {
    unsigned x, y, z;
    dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
struct alignas(16) float4 { float x, y, z, w; };

using std::min;
using std::max;
using std::isinf;

namespace emu {

struct Index { unsigned x = 0, y = 0, z = 0; };
inline thread_local Index thread_index, block_index;
inline dim3 block_dim, grid_dim;

struct WarpScratch {
    std::unique_ptr<std::barrier<>> barrier;
    uint32_t a[32][4], b[32][2];
    float c[32][4];
    double x[32];  // shuffles and votes (float and double values both fit)
};
inline std::unique_ptr<std::barrier<>> block_barrier;
inline std::vector<WarpScratch> warps;

// false: cp.async lands at once; true: at the wait that covers it
inline bool defer_async_copies = false;
struct PendingCopy { void* dst; unsigned char bytes[16]; int size; };
inline thread_local std::vector<std::vector<PendingCopy>> async_groups;  // committed groups, oldest first
inline thread_local std::vector<PendingCopy> async_open;                   // issued, not yet committed

inline float* dynamic_shared = nullptr;  // the running block's dynamic shared memory

// Runs kernel() for every thread of every block of the grid (1-D blocks), with dynamic_bytes of dynamic
// shared memory (filled with NaN, so a read of what no copy wrote shows).
inline void launch(dim3 grid, dim3 block, const std::function<void()>& kernel, size_t dynamic_bytes = 0) {
    std::vector<float4> dynamic((dynamic_bytes + 15) / 16 + 1);
    dynamic_shared = reinterpret_cast<float*>(dynamic.data());
    grid_dim = grid;
    block_dim = block;
    unsigned threads = block.x;
    for (unsigned bz = 0; bz < grid.z; bz++)
        for (unsigned by = 0; by < grid.y; by++)
            for (unsigned bx = 0; bx < grid.x; bx++) {
                std::fill(dynamic_shared, dynamic_shared + dynamic.size() * 4, std::nanf(""));
                block_barrier = std::make_unique<std::barrier<>>(threads);
                warps = std::vector<WarpScratch>((threads + 31) / 32);
                for (unsigned w = 0; w < warps.size(); w++)
                    warps[w].barrier = std::make_unique<std::barrier<>>(std::min(32u, threads - 32 * w));
                std::vector<std::thread> pool;
                for (unsigned t = 0; t < threads; t++)
                    pool.emplace_back([&, t] {
                        thread_index = {t, 0, 0};
                        block_index = {bx, by, bz};
                        async_groups.clear();
                        async_open.clear();
                        kernel();
                    });
                for (auto& th : pool) th.join();
            }
}

inline void complete(std::vector<PendingCopy>& copies) {
    for (auto& c : copies) std::memcpy(c.dst, c.bytes, c.size);
    copies.clear();
}

// cp.async of `size` bytes (4, 8 or 16) of which the first src_size come from src, the rest are zero
inline void cp_async(void* dst, const void* src, int size, int src_size) {
    PendingCopy c{dst, {}, size};
    std::memset(c.bytes, 0, sizeof c.bytes);
    if (src_size > 0) std::memcpy(c.bytes, src, src_size);
    if (defer_async_copies) async_open.push_back(c);
    else std::memcpy(dst, c.bytes, size);
}
inline void cp_async_commit() {
    async_groups.push_back(std::move(async_open));
    async_open.clear();
}
inline void cp_async_wait(int pending) {
    while ((int)async_groups.size() > pending) {
        complete(async_groups.front());
        async_groups.erase(async_groups.begin());
    }
}

inline float bits_float(uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; }
inline uint32_t float_bits(float f) { uint32_t u; std::memcpy(&u, &f, 4); return u; }

// cvt.rna.tf32.f32: round to 10 explicit mantissa bits, ties away from zero; low 13 bits zero
inline uint32_t tf32_round(float f) {
    uint32_t u = float_bits(f);
    if ((u & 0x7f800000u) == 0x7f800000u) return u & 0xffffe000u;  // inf / nan kept
    return (u + 0x1000u) & 0xffffe000u;
}

// mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32, d = a * b + d, for the calling lane. Fragments
// (g = lane / 4, t = lane % 4): a0 (g, t), a1 (g+8, t), a2 (g, t+4), a3 (g+8, t+4) of A 16x8; b0 (k=t, n=g),
// b1 (k=t+4, n=g) of B 8x8; c0 (g, 2t), c1 (g, 2t+1), c2 (g+8, 2t), c3 (g+8, 2t+1) of C 16x8.
inline void mma_tf32_m16n8k8(float d[4], const uint32_t a[4], const uint32_t b[2]) {
    unsigned tid = thread_index.x, lane = tid % 32;
    WarpScratch& w = warps[tid / 32];
    std::memcpy(w.a[lane], a, sizeof w.a[lane]);
    std::memcpy(w.b[lane], b, sizeof w.b[lane]);
    std::memcpy(w.c[lane], d, sizeof w.c[lane]);
    w.barrier->arrive_and_wait();
    auto A = [&](int r, int k) { return bits_float(w.a[(r % 8) * 4 + k % 4][(r >= 8) + 2 * (k >= 4)] & 0xffffe000u); };
    auto B = [&](int k, int n) { return bits_float(w.b[n * 4 + k % 4][k >= 4] & 0xffffe000u); };
    int g = lane / 4, t = lane % 4;
    float out[4];
    for (int v = 0; v < 4; v++) {
        int r = g + 8 * (v >> 1), n = 2 * t + (v & 1);
        float s = w.c[lane][v];
        for (int k = 0; k < 8; k++) s += A(r, k) * B(k, n);
        out[v] = s;
    }
    w.barrier->arrive_and_wait();
    std::memcpy(d, out, sizeof out);
}

// A warp-wide exchange (full mask: every lane of the warp calls it): lane l gets the value of lane src(l)
template <typename T, typename F>
inline T exchange(T v, F src) {
    unsigned tid = thread_index.x, lane = tid % 32;
    WarpScratch& w = warps[tid / 32];
    w.x[lane] = (double)v;
    w.barrier->arrive_and_wait();
    T r = (T)w.x[src(lane) % 32];
    w.barrier->arrive_and_wait();
    return r;
}

inline bool any_lane(bool p) {
    unsigned tid = thread_index.x;
    WarpScratch& w = warps[tid / 32];
    w.x[tid % 32] = p ? 1.0 : 0.0;
    w.barrier->arrive_and_wait();
    bool r = false;
    for (int l = 0; l < 32; l++) r = r || w.x[l] != 0.0;
    w.barrier->arrive_and_wait();
    return r;
}

}  // namespace emu

#define threadIdx (emu::thread_index)
#define blockIdx (emu::block_index)
#define blockDim (emu::block_dim)
#define gridDim (emu::grid_dim)

inline void __syncthreads() { emu::block_barrier->arrive_and_wait(); }
template <typename T> inline T __shfl_xor_sync(unsigned, T v, int mask) { return emu::exchange(v, [&](unsigned l) { return l ^ mask; }); }
template <typename T> inline T __shfl_sync(unsigned, T v, int src) { return emu::exchange(v, [&](unsigned) { return (unsigned)src; }); }
inline bool __any_sync(unsigned, bool p) { return emu::any_lane(p); }
template <typename T> inline T __ldg(const T* p) { return *p; }
template <typename T> inline T __ldcg(const T* p) { return *p; }
inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }
inline unsigned atomicAdd(unsigned* p, unsigned v) { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }
inline void __threadfence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
