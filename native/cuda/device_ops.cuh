// The few PTX instructions our tiled kernels use beyond plain CUDA C++ (sm_80+): asynchronous copies into
// shared memory and the TF32 tensor-core product. Under the host emulator (emu/cuda_emu.h) they are
// emulated from the same documented semantics, so the kernels built on them can be tested without a GPU.
#pragma once
#include <cstdint>

namespace ecu {

// Copies `size` bytes (4, 8 or 16; dst and src aligned to it) from global to shared memory asynchronously:
// the first src_size bytes come from src, the rest are zero (src_size 0 reads nothing).
template <int size>
__device__ __forceinline__ void cp_async(void* dst, const void* src, int src_size) {
#ifdef ECU_EMULATE
    emu::cp_async(dst, src, size, src_size);
#elif defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    unsigned d = (unsigned)__cvta_generic_to_shared(dst);
    if (size == 16)
        asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(d), "l"(src), "r"(src_size));
    else
        asm volatile("cp.async.ca.shared.global [%0], [%1], %2, %3;\n" ::"r"(d), "l"(src), "n"(size), "r"(src_size));
#endif
}

// Closes the group of copies issued since the last commit.
__device__ __forceinline__ void cp_async_commit() {
#ifdef ECU_EMULATE
    emu::cp_async_commit();
#elif defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    asm volatile("cp.async.commit_group;\n" ::);
#endif
}

// Waits until at most `pending` of this thread's committed groups are still in flight (a barrier is still
// needed before other threads read what this one copied).
template <int pending>
__device__ __forceinline__ void cp_async_wait() {
#ifdef ECU_EMULATE
    emu::cp_async_wait(pending);
#elif defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    asm volatile("cp.async.wait_group %0;\n" ::"n"(pending));
#endif
}

// An F32 value rounded to TF32 (nearest, ties away), as the tensor cores take it.
__device__ __forceinline__ uint32_t to_tf32(float x) {
#ifdef ECU_EMULATE
    return emu::tf32_round(x);
#elif defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    uint32_t r;
    asm("cvt.rna.tf32.f32 %0, %1;\n" : "=r"(r) : "f"(x));
    return r;
#else
    return 0;
#endif
}

// d += a * b on one warp's 16x8x8 TF32 tile (fragment layouts: emu/cuda_emu.h, mma_tf32_m16n8k8).
__device__ __forceinline__ void mma_tf32_m16n8k8(float d[4], const uint32_t a[4], const uint32_t b[2]) {
#ifdef ECU_EMULATE
    emu::mma_tf32_m16n8k8(d, a, b);
#elif defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
    asm volatile(
        "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
        "{%0, %1, %2, %3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#endif
}

// The block's dynamic shared memory (the launch's third parameter), 16-byte aligned.
__device__ __forceinline__ float* dynamic_shared_floats() {
#ifdef ECU_EMULATE
    return emu::dynamic_shared;
#else
    extern __shared__ __align__(16) float ecu_dynamic_shared[];
    return ecu_dynamic_shared;
#endif
}

}  // namespace ecu
