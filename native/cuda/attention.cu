// Launches the fused attention kernel of attention.cuh for the shapes it takes (head dimensions up to
// attention_max_dim); CudaBackend composes the others from GEMMs and softmax.
#include "common.cuh"
#include "context.cuh"
#include "attention.cuh"
#include "engine_cuda.h"

namespace ecu {

namespace {

template <typename T, int DC>
int launch(const engine_abi::AttentionArgs& a) {
    dim3 grid((unsigned)((a.lq + ATT_WARPS - 1) / ATT_WARPS), (unsigned)a.heads, (unsigned)a.batch);
    attention_fused<T, DC><<<grid, 32 * ATT_WARPS, 0, stream()>>>(a, (T)bits_to_double(a.scale_bits));
    return launch_error();
}

template <typename T>
int attention(const engine_abi::AttentionArgs& a) {
    if (a.dk > attention_max_dim<T>() || a.dv > attention_max_dim<T>()) return -2;
    if ((a.lq + ATT_WARPS - 1) / ATT_WARPS > 0x7fffffff || a.heads > 65535 || a.batch > 65535) return -2;
    if (a.lq == 0 || a.batch == 0 || a.heads == 0 || a.dv == 0) return 0;
    if (a.dv <= 32) return launch<T, 1>(a);
    if (a.dv <= 64) return launch<T, 2>(a);
    return launch<T, attention_max_dim<T>() / 32>(a);
}

}  // namespace

}  // namespace ecu

using namespace ecu;

extern "C" {

// meta: AttentionArgs (native/common/abi.h). -2 when the kernel does not take the shape (the caller composes
// it), else a cudaError_t or ECU_MESSAGE.
int ecu_attention(long long ctx, long long meta) {
    ECU_BIND_STATUS(ctx);
    const engine_abi::AttentionArgs& a = *ptr<engine_abi::AttentionArgs>(meta);
    if (a.dtype == F32) return attention<float>(a);
    if (a.dtype == F64) return attention<double>(a);
    return -2;
}

}  // extern "C"
