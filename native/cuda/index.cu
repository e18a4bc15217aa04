// Row gather / scatter-add (embedding), index validation, and Philox dropout masks that equal the CPU's
// bit for bit (native/cpu/philox.h: same rounds, same keys, same 24-bit float conversion).
#include "common.cuh"
#include "context.cuh"
#include "engine_cuda.h"

namespace ecu {

#define GRID_LOOP(i, total) for (i64 i = blockIdx.x * (i64)blockDim.x + threadIdx.x; i < (total); i += (i64)gridDim.x * blockDim.x)

__global__ void check_indices(const int64_t* ix, i64 count, i64 limit, unsigned long long* bad) {
    GRID_LOOP(i, count) if (ix[i] < 0 || ix[i] >= limit) atomicMin(bad, (unsigned long long)i);
}

// bad indices (reported by the check, or unchecked while capturing a graph) are skipped, never followed
template <typename T>
__global__ void gather_rows(const T* src, const int64_t* ix, i64 count, i64 rowLen, T* dst, i64 srcRows) {
    GRID_LOOP(t, count * rowLen) {
        i64 i = t / rowLen, j = t % rowLen, r = ix[i];
        if (r >= 0 && r < srcRows) dst[t] = src[r * rowLen + j];
    }
}

template <typename T>
__global__ void scatter_add_rows(const T* src, const int64_t* ix, i64 count, i64 rowLen, T* dst, i64 dstRows) {
    GRID_LOOP(t, count * rowLen) {
        i64 i = t / rowLen, j = t % rowLen, r = ix[i];
        if (r >= 0 && r < dstRows) atomicAdd(dst + r * rowLen + j, src[t]);
    }
}

__device__ __forceinline__ uint4 philox4x32_10(uint64_t counter, uint64_t seed) {
    uint32_t c0 = (uint32_t)counter, c1 = (uint32_t)(counter >> 32), c2 = 0, c3 = 0;
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
#pragma unroll
    for (int round = 0; round < 10; round++) {
        uint32_t hi0 = __umulhi(0xD2511F53u, c0), lo0 = 0xD2511F53u * c0;
        uint32_t hi1 = __umulhi(0xCD9E8D57u, c2), lo1 = 0xCD9E8D57u * c2;
        uint32_t n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
        c0 = n0; c1 = n1; c2 = n2; c3 = n3;
        k0 += 0x9E3779B9u; k1 += 0xBB67AE85u;
    }
    return make_uint4(c0, c1, c2, c3);
}

template <typename T>
__global__ void dropout_mask(uint64_t seed, uint64_t offset, float p, T scale, T* mask, i64 count) {
    GRID_LOOP(i, count) {
        uint64_t index = offset + (uint64_t)i;
        uint4 r = philox4x32_10(index >> 2, seed);
        uint32_t w = (index & 3) == 0 ? r.x : (index & 3) == 1 ? r.y : (index & 3) == 2 ? r.z : r.w;
        float u = (float)(w >> 8) * (1.0f / 16777216.0f);
        mask[i] = u >= p ? scale : T(0);
    }
}

}  // namespace ecu

using namespace ecu;

extern "C" {

long long ecu_check_indices(long long ctx, long long indices, long long count, long long limit) {
    ECU_BIND(ctx, POSITION_MESSAGE);
    if (count == 0) return -1;
    IndexFlag flag;
    if (!flag.begin()) return position_error(take_unbound() ? ECU_MESSAGE : (int)cudaErrorMemoryAllocation);
    check_indices<<<blocks_for(count, 256), 256, 0, stream()>>>(ptr<int64_t>(indices), count, limit, flag.dev);
    int err = launch_error(), ferr = 0;
    long long bad = flag.finish(&ferr);
    if (err || ferr) return position_error(err ? err : ferr);
    return bad;
}

int ecu_gather_rows(long long ctx, int dtype, long long src, long long indices, long long count, long long rowLen, long long dst,
                    long long srcRows) {
    ECU_BIND_STATUS(ctx);
    if (count == 0 || rowLen == 0) return 0;
    unsigned b = blocks_for(count * rowLen, 256);
    switch (dtype) {
        case F32: case I32: gather_rows<int32_t><<<b, 256, 0, stream()>>>(ptr<int32_t>(src), ptr<int64_t>(indices), count, rowLen, ptr<int32_t>(dst), srcRows); break;
        default: gather_rows<int64_t><<<b, 256, 0, stream()>>>(ptr<int64_t>(src), ptr<int64_t>(indices), count, rowLen, ptr<int64_t>(dst), srcRows); break;
    }
    return launch_error();
}

int ecu_scatter_add_rows(long long ctx, int dtype, long long src, long long indices, long long count, long long rowLen, long long dst,
                         long long dstRows) {
    ECU_BIND_STATUS(ctx);
    if (count == 0 || rowLen == 0) return 0;
    unsigned b = blocks_for(count * rowLen, 256);
    if (dtype == F32) scatter_add_rows<float><<<b, 256, 0, stream()>>>(ptr<float>(src), ptr<int64_t>(indices), count, rowLen, ptr<float>(dst), dstRows);
    else scatter_add_rows<double><<<b, 256, 0, stream()>>>(ptr<double>(src), ptr<int64_t>(indices), count, rowLen, ptr<double>(dst), dstRows);
    return launch_error();
}

int ecu_dropout_mask(long long ctx, int dtype, long long seed, long long offset, double p, long long mask, long long count) {
    ECU_BIND_STATUS(ctx);
    if (count == 0) return 0;
    // the keep decision is made in float (as on the CPU); the kept value 1/(1-p) in the mask's own precision
    double scale = p >= 1.0 ? 0.0 : 1.0 / (1.0 - p);
    unsigned b = blocks_for(count, 256);
    if (dtype == F32) dropout_mask<float><<<b, 256, 0, stream()>>>((uint64_t)seed, (uint64_t)offset, (float)p, (float)scale, ptr<float>(mask), count);
    else dropout_mask<double><<<b, 256, 0, stream()>>>((uint64_t)seed, (uint64_t)offset, (float)p, scale, ptr<double>(mask), count);
    return launch_error();
}

}  // extern "C"
