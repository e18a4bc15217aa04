// Native memory: aligned allocation, transfers from Java arrays, and strided copy with dtype conversion.
#pragma once
#include "common.h"
#include "block_cache.h"
#include "../common/rounding.h"
#include <cstdlib>
#include <limits>
#include <type_traits>

namespace engine {

// S -> D as Java casts do: floating to integer truncates toward zero, saturates at the integer's range
// and maps NaN to 0 (a plain static_cast is undefined behaviour for those values). BF16 / F16 elements
// convert through F32 (engine_abi::bf16_value, f16_value); the checked layer pairs them with floats only.
template <typename S, typename D>
ENGINE_INLINE D convert(S v) {
    if constexpr (std::is_floating_point<S>::value && std::is_integral<D>::value) {
        if (v != v) return D(0);
        if (v >= (S)std::numeric_limits<D>::max()) return std::numeric_limits<D>::max();
        if (v <= (S)std::numeric_limits<D>::min()) return std::numeric_limits<D>::min();
        return static_cast<D>(v);
    } else {
        return static_cast<D>(v);
    }
}

template <typename S, typename D>
static void strided_copy_t(int nd, const i64* shape, const Operand& src, const Operand& dst) {
    i64 inner = nd == 0 ? 1 : shape[nd - 1];
    i64 rows = 1;
    for (int d = 0; d < nd - 1; d++) rows *= shape[d];
    if (inner == 0 || rows == 0) return;
    i64 ss = nd == 0 ? 0 : src.strides[nd - 1], ds = nd == 0 ? 0 : dst.strides[nd - 1];
    const S* sbase = ptr<S>(src.address);
    D* dbase = ptr<D>(dst.address);
    parallel_for(rows, threads_for(rows * inner), [&](i64 r) {
        const S* s = sbase + row_offset(r, nd, shape, src.strides);
        D* d = dbase + row_offset(r, nd, shape, dst.strides);
        if (ss == 1 && ds == 1) {
            for (i64 i = 0; i < inner; i++) d[i] = convert<S, D>(s[i]);
        } else {
            for (i64 i = 0; i < inner; i++) d[i * ds] = convert<S, D>(s[i * ss]);
        }
    });
}

template <typename S>
static void strided_copy_from(int nd, const i64* shape, const Operand& src, const Operand& dst) {
    switch (dst.dtype) {
        case F32: strided_copy_t<S, float>(nd, shape, src, dst); break;
        case F64: strided_copy_t<S, double>(nd, shape, src, dst); break;
        case I32: strided_copy_t<S, int32_t>(nd, shape, src, dst); break;
        case BF16: strided_copy_t<S, engine_abi::bf16_value>(nd, shape, src, dst); break;
        case F16: strided_copy_t<S, engine_abi::f16_value>(nd, shape, src, dst); break;
        default: strided_copy_t<S, int64_t>(nd, shape, src, dst); break;
    }
}

}  // namespace engine

// meta: [nd, shape[nd], srcAddr, srcDtype, srcStrides[nd], dstAddr, dstDtype, dstStrides[nd]]
inline int engine_copy(long long metaAddress) {
    return engine::guarded([&] {
        using namespace engine;
        const i64* m = ptr<i64>(metaAddress);
        int nd = (int)m[0];
        i64 shape[MAX_DIMS];
        for (int d = 0; d < nd; d++) shape[d] = m[1 + d];
        const i64* p = m + 1 + nd;
        Operand src, dst;
        src.address = p[0]; src.dtype = (int)p[1];
        for (int d = 0; d < nd; d++) src.strides[d] = p[2 + d];
        p += 2 + nd;
        dst.address = p[0]; dst.dtype = (int)p[1];
        for (int d = 0; d < nd; d++) dst.strides[d] = p[2 + d];
        Operand both[2] = {src, dst};
        nd = coalesce_dims(nd, shape, both, 2);
        src = both[0]; dst = both[1];
        switch (src.dtype) {
            case F32: strided_copy_from<float>(nd, shape, src, dst); break;
            case F64: strided_copy_from<double>(nd, shape, src, dst); break;
            case I32: strided_copy_from<int32_t>(nd, shape, src, dst); break;
            case BF16: strided_copy_from<engine_abi::bf16_value>(nd, shape, src, dst); break;
            case F16: strided_copy_from<engine_abi::f16_value>(nd, shape, src, dst); break;
            default: strided_copy_from<int64_t>(nd, shape, src, dst); break;
        }
    });
}

// 64-byte aligned, so vector loads never split cache lines; returns 0 when the system has no memory.
// Large blocks come from (and go back to) the block cache; engine_free must get the same byte count.
inline long long engine_alloc(long long bytes) {
    if (bytes > (long long)(SIZE_MAX / 2)) return 0;  // no system has that much; also keeps the rounding below from overflowing
    size_t n = bytes <= 0 ? 64 : ((size_t)bytes + 63) / 64 * 64;
    return (long long)(uintptr_t)engine::block_cache().allocate(n);
}

inline void engine_free(long long address, long long bytes) {
    size_t n = bytes <= 0 ? 64 : ((size_t)bytes + 63) / 64 * 64;
    engine::block_cache().release(reinterpret_cast<void*>((uintptr_t)address), n);
}

inline void engine_empty_cache() { engine::block_cache().empty(); }

// out: 8 int64 counters, see BlockCache::stats
inline void engine_allocator_stats(long long outAddress) { engine::block_cache().stats(engine::ptr<engine::i64>(outAddress)); }

inline void engine_memcpy(long long dst, long long src, long long bytes) {
    std::memcpy(reinterpret_cast<void*>((uintptr_t)dst), reinterpret_cast<const void*>((uintptr_t)src), (size_t)bytes);
}
