// Strided copy with dtype conversion (BF16 / F16 elements through F32), and the fused elementwise program interpreter: each thread runs
// the whole instruction list for one output element in registers, so a chain reads inputs once.
#include "ops.cuh"
#include "context.cuh"
#include "engine_cuda.h"

namespace ecu {

const int MAX_OPS = 17;     // 16 inputs + the output
const int MAX_INSTR = 64;
const int MAX_REGS = 32;

// Dims are merged on the host where every operand is contiguous across them, so most launches index
// with one or two divisions per element.
struct Strided {
    int nd, nops;
    i64 shape[MAX_DIMS];
    i64 strides[MAX_OPS][MAX_DIMS];
    i64 base[MAX_OPS];
};

// Merges adjacent dims d-1, d when every operand has stride[d-1] == stride[d] * shape[d]; drops size-1 dims.
static void coalesce(Strided& s) {
    int nd = 0;
    for (int d = 0; d < s.nd; d++) {
        if (s.shape[d] == 1) continue;
        if (nd > 0) {
            bool merge = true;
            for (int o = 0; o < s.nops; o++)
                if (s.strides[o][nd - 1] != s.strides[o][d] * s.shape[d]) { merge = false; break; }
            if (merge) {
                s.shape[nd - 1] *= s.shape[d];
                for (int o = 0; o < s.nops; o++) s.strides[o][nd - 1] = s.strides[o][d];
                continue;
            }
        }
        s.shape[nd] = s.shape[d];
        for (int o = 0; o < s.nops; o++) s.strides[o][nd] = s.strides[o][d];
        nd++;
    }
    s.nd = nd;
}

__device__ __forceinline__ void offsets(const Strided& s, i64 i, i64* off, int nops) {
    for (int o = 0; o < nops; o++) off[o] = 0;
    for (int d = s.nd - 1; d >= 0; d--) {
        i64 idx = i % s.shape[d];
        i = i / s.shape[d];
        for (int o = 0; o < nops; o++) off[o] += idx * s.strides[o][d];
    }
}

template <typename S, typename D>
__global__ void copy_kernel(Strided s, i64 n) {
    for (i64 i = blockIdx.x * (i64)blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x) {
        i64 off[2];
        offsets(s, i, off, 2);
        ptr<D>(s.base[1])[off[1]] = static_cast<D>(ptr<S>(s.base[0])[off[0]]);
    }
}

template <typename S>
static void launch_copy_from(int dt, const Strided& s, i64 n) {
    unsigned b = blocks_for(n, 256);
    switch (dt) {
        case F32: copy_kernel<S, float><<<b, 256, 0, stream()>>>(s, n); break;
        case F64: copy_kernel<S, double><<<b, 256, 0, stream()>>>(s, n); break;
        case I32: copy_kernel<S, int32_t><<<b, 256, 0, stream()>>>(s, n); break;
        case BF16: copy_kernel<S, engine_abi::bf16_value><<<b, 256, 0, stream()>>>(s, n); break;
        case F16: copy_kernel<S, engine_abi::f16_value><<<b, 256, 0, stream()>>>(s, n); break;
        default: copy_kernel<S, int64_t><<<b, 256, 0, stream()>>>(s, n); break;
    }
}

struct Program {
    int inputs, result, count;
    int code[MAX_INSTR * 5];
    double imm[MAX_INSTR];
};

template <typename T>
__global__ void program_kernel(Strided s, Program p, i64 n) {
    for (i64 i = blockIdx.x * (i64)blockDim.x + threadIdx.x; i < n; i += (i64)gridDim.x * blockDim.x) {
        i64 off[MAX_OPS];
        offsets(s, i, off, s.nops);
        T r[MAX_REGS];
        for (int j = 0; j < p.inputs; j++) r[j] = ptr<T>(s.base[j])[off[j]];
        for (int k = 0; k < p.count; k++) {
            const int* ins = p.code + k * 5;
            r[ins[1]] = apply_op<T>(ins[0], r[ins[2]], r[ins[3]], r[ins[4]], (T)p.imm[k]);
        }
        ptr<T>(s.base[p.inputs])[off[p.inputs]] = r[p.result];
    }
}

}  // namespace ecu

using namespace ecu;

extern "C" {

// meta: [nd, shape[nd], srcAddr, srcDtype, srcStrides[nd], dstAddr, dstDtype, dstStrides[nd]]
int ecu_copy(long long ctx, long long meta) {
    ECU_BIND_STATUS(ctx);
    const i64* m = ptr<i64>(meta);
    Strided s;
    s.nd = (int)m[0];
    s.nops = 2;
    i64 n = 1;
    for (int d = 0; d < s.nd; d++) { s.shape[d] = m[1 + d]; n *= s.shape[d]; }
    const i64* p = m + 1 + s.nd;
    s.base[0] = p[0];
    int sdt = (int)p[1];
    for (int d = 0; d < s.nd; d++) s.strides[0][d] = p[2 + d];
    p += 2 + s.nd;
    s.base[1] = p[0];
    int ddt = (int)p[1];
    for (int d = 0; d < s.nd; d++) s.strides[1][d] = p[2 + d];
    if (n == 0) return 0;
    coalesce(s);
    switch (sdt) {
        case F32: launch_copy_from<float>(ddt, s, n); break;
        case F64: launch_copy_from<double>(ddt, s, n); break;
        case I32: launch_copy_from<int32_t>(ddt, s, n); break;
        case BF16: launch_copy_from<engine_abi::bf16_value>(ddt, s, n); break;
        case F16: launch_copy_from<engine_abi::f16_value>(ddt, s, n); break;
        default: launch_copy_from<int64_t>(ddt, s, n); break;
    }
    return launch_error();
}

// meta: [dtype, nd, shape[nd], nops, {address, strides[nd]} x nops, inputs, registers, result, count,
//        code[count*5], imm[count]]   (the layout native/cpu/elementwise.h reads)
int ecu_elementwise(long long ctx, long long meta) {
    ECU_BIND_STATUS(ctx);
    const i64* m = ptr<i64>(meta);
    int dtype = (int)m[0];
    Strided s;
    s.nd = (int)m[1];
    i64 n = 1;
    for (int d = 0; d < s.nd; d++) { s.shape[d] = m[2 + d]; n *= s.shape[d]; }
    const i64* q = m + 2 + s.nd;
    s.nops = (int)*q++;
    if (s.nops > MAX_OPS) return (int)cudaErrorInvalidValue;
    for (int j = 0; j < s.nops; j++) {
        s.base[j] = *q++;
        for (int d = 0; d < s.nd; d++) s.strides[j][d] = *q++;
    }
    Program p;
    p.inputs = (int)q[0];
    p.result = (int)q[2];
    p.count = (int)q[3];
    if (p.count > MAX_INSTR) return (int)cudaErrorInvalidValue;
    const i64* code = q + 4;
    for (int k = 0; k < p.count * 5; k++) p.code[k] = (int)code[k];
    for (int k = 0; k < p.count; k++) p.imm[k] = bits_to_double(code[p.count * 5 + k]);
    if (n == 0) return 0;
    coalesce(s);
    unsigned b = blocks_for(n, 256);
    if (dtype == F32) program_kernel<float><<<b, 256, 0, stream()>>>(s, p, n);
    else program_kernel<double><<<b, 256, 0, stream()>>>(s, p, n);
    return launch_error();
}

}  // extern "C"
