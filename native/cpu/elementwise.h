// The fused elementwise program: a short instruction list run block by block over strided operands, so
// a chain of ops reads each input once and writes the output once. Plain unary/binary ops are
// one-instruction programs. Opcodes: native/common/abi.h (dev.engine.api.ElementwiseOp.code()).
#pragma once
#include "common.h"
#include "../common/rounding.h"

namespace engine {

// the opcodes (enum Op) and INSTR_INTS come from native/common/abi.h
const int BLOCK = 256;
const int MAX_REGS = 32;

template <typename T> ENGINE_INLINE T sigmoid_of(T x) { return T(1) / (T(1) + std::exp(-x)); }
template <typename T> ENGINE_INLINE T gelu_of(T x) { return T(0.5) * x * (T(1) + std::erf(x * T(0.70710678118654752440))); }
template <typename T> ENGINE_INLINE T gelu_tanh_of(T x) {
    const T k = T(0.79788456080286535588);  // sqrt(2/pi)
    return T(0.5) * x * (T(1) + std::tanh(k * (x + T(0.044715) * x * x * x)));
}
template <typename T> ENGINE_INLINE T relu6_of(T x) {  // CLAMP_MIN 0 then CLAMP_MAX 6: NaN stays NaN
    T v = x < T(0) ? T(0) : x;
    return v > T(6) ? T(6) : v;
}
template <typename T> ENGINE_INLINE T hardswish_of(T x) {  // ONNX's x * clamp(x / 6 + 1/2, 0, 1)
    T v = x * T(1.0 / 6) + T(0.5);
    v = v < T(0) ? T(0) : v;
    return x * (v > T(1) ? T(1) : v);
}
template <typename T> ENGINE_INLINE T softplus_of(T x) {  // log(1 + e^x) without overflow
    return x > T(20) ? x : std::log1p(std::exp(x));
}

// One instruction over n elements of contiguous registers.
template <typename T>
ENGINE_INLINE void run_instruction(int op, T* d, const T* a, const T* b,
                                   const T* c, T imm, int n) {
    switch (op) {
        case OP_CONST: for (int i = 0; i < n; i++) d[i] = imm; break;
        case OP_IDENTITY: for (int i = 0; i < n; i++) d[i] = a[i]; break;
        case OP_NEG: for (int i = 0; i < n; i++) d[i] = -a[i]; break;
        case OP_EXP: for (int i = 0; i < n; i++) d[i] = std::exp(a[i]); break;
        case OP_LOG: for (int i = 0; i < n; i++) d[i] = std::log(a[i]); break;
        case OP_SQRT: for (int i = 0; i < n; i++) d[i] = std::sqrt(a[i]); break;
        case OP_RSQRT: for (int i = 0; i < n; i++) d[i] = T(1) / std::sqrt(a[i]); break;
        case OP_ABS: for (int i = 0; i < n; i++) d[i] = std::fabs(a[i]); break;
        case OP_SIGN: for (int i = 0; i < n; i++) d[i] = (a[i] > T(0)) - (a[i] < T(0)); break;
        case OP_SQUARE: for (int i = 0; i < n; i++) d[i] = a[i] * a[i]; break;
        case OP_RECIPROCAL: for (int i = 0; i < n; i++) d[i] = T(1) / a[i]; break;
        case OP_RELU: for (int i = 0; i < n; i++) d[i] = a[i] > T(0) ? a[i] : T(0); break;
        case OP_LEAKY_RELU: for (int i = 0; i < n; i++) d[i] = a[i] > T(0) ? a[i] : a[i] * imm; break;
        case OP_GELU: for (int i = 0; i < n; i++) d[i] = gelu_of(a[i]); break;
        case OP_GELU_TANH: for (int i = 0; i < n; i++) d[i] = gelu_tanh_of(a[i]); break;
        case OP_SIGMOID: for (int i = 0; i < n; i++) d[i] = sigmoid_of(a[i]); break;
        case OP_TANH: for (int i = 0; i < n; i++) d[i] = std::tanh(a[i]); break;
        case OP_SOFTPLUS: for (int i = 0; i < n; i++) d[i] = softplus_of(a[i]); break;
        case OP_ADD_SCALAR: for (int i = 0; i < n; i++) d[i] = a[i] + imm; break;
        case OP_MUL_SCALAR: for (int i = 0; i < n; i++) d[i] = a[i] * imm; break;
        case OP_POW_SCALAR:
            if (imm == T(2)) { for (int i = 0; i < n; i++) d[i] = a[i] * a[i]; }
            else { for (int i = 0; i < n; i++) d[i] = std::pow(a[i], imm); }
            break;
        case OP_CLAMP_MIN: for (int i = 0; i < n; i++) d[i] = a[i] < imm ? imm : a[i]; break;
        case OP_CLAMP_MAX: for (int i = 0; i < n; i++) d[i] = a[i] > imm ? imm : a[i]; break;
        case OP_RSUB_SCALAR: for (int i = 0; i < n; i++) d[i] = imm - a[i]; break;
        case OP_SIN: for (int i = 0; i < n; i++) d[i] = std::sin(a[i]); break;
        case OP_COS: for (int i = 0; i < n; i++) d[i] = std::cos(a[i]); break;
        case OP_ROUND_BF16: for (int i = 0; i < n; i++) d[i] = T(engine_abi::round_to_bf16(float(a[i]))); break;
        case OP_ROUND_F16: for (int i = 0; i < n; i++) d[i] = T(engine_abi::round_to_f16(float(a[i]))); break;
        case OP_RELU6: for (int i = 0; i < n; i++) d[i] = relu6_of(a[i]); break;
        case OP_HARDSWISH: for (int i = 0; i < n; i++) d[i] = hardswish_of(a[i]); break;
        case OP_SILU: for (int i = 0; i < n; i++) d[i] = a[i] * sigmoid_of(a[i]); break;
        case OP_ADD: for (int i = 0; i < n; i++) d[i] = a[i] + b[i]; break;
        case OP_SUB: for (int i = 0; i < n; i++) d[i] = a[i] - b[i]; break;
        case OP_MUL: for (int i = 0; i < n; i++) d[i] = a[i] * b[i]; break;
        case OP_DIV: for (int i = 0; i < n; i++) d[i] = a[i] / b[i]; break;
        case OP_POW: for (int i = 0; i < n; i++) d[i] = std::pow(a[i], b[i]); break;
        case OP_MAXIMUM: for (int i = 0; i < n; i++) d[i] = (a[i] > b[i] || std::isnan(a[i])) ? a[i] : b[i]; break;
        case OP_MINIMUM: for (int i = 0; i < n; i++) d[i] = (a[i] < b[i] || std::isnan(a[i])) ? a[i] : b[i]; break;
        case OP_EQ: for (int i = 0; i < n; i++) d[i] = a[i] == b[i] ? T(1) : T(0); break;
        case OP_NE: for (int i = 0; i < n; i++) d[i] = a[i] != b[i] ? T(1) : T(0); break;
        case OP_LT: for (int i = 0; i < n; i++) d[i] = a[i] < b[i] ? T(1) : T(0); break;
        case OP_LE: for (int i = 0; i < n; i++) d[i] = a[i] <= b[i] ? T(1) : T(0); break;
        case OP_GT: for (int i = 0; i < n; i++) d[i] = a[i] > b[i] ? T(1) : T(0); break;
        case OP_GE: for (int i = 0; i < n; i++) d[i] = a[i] >= b[i] ? T(1) : T(0); break;
        case OP_RELU_BACKWARD: for (int i = 0; i < n; i++) d[i] = a[i] > T(0) ? b[i] : T(0); break;
        case OP_LEAKY_RELU_BACKWARD: for (int i = 0; i < n; i++) d[i] = a[i] > T(0) ? b[i] : b[i] * imm; break;
        case OP_GELU_BACKWARD:
            for (int i = 0; i < n; i++) {
                T x = a[i];
                T cdf = T(0.5) * (T(1) + std::erf(x * T(0.70710678118654752440)));
                T pdf = std::exp(T(-0.5) * x * x) * T(0.39894228040143267794);
                d[i] = b[i] * (cdf + x * pdf);
            }
            break;
        case OP_GELU_TANH_BACKWARD:
            for (int i = 0; i < n; i++) {
                const T k = T(0.79788456080286535588);
                T x = a[i];
                T u = k * (x + T(0.044715) * x * x * x);
                T t = std::tanh(u);
                T du = k * (T(1) + T(3) * T(0.044715) * x * x);
                d[i] = b[i] * (T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * du);
            }
            break;
        case OP_SIGMOID_BACKWARD: for (int i = 0; i < n; i++) d[i] = b[i] * a[i] * (T(1) - a[i]); break;
        case OP_TANH_BACKWARD: for (int i = 0; i < n; i++) d[i] = b[i] * (T(1) - a[i] * a[i]); break;
        case OP_SOFTPLUS_BACKWARD: for (int i = 0; i < n; i++) d[i] = b[i] * sigmoid_of(a[i]); break;
        case OP_WHERE: for (int i = 0; i < n; i++) d[i] = a[i] != T(0) ? b[i] : c[i]; break;
        default: break;  // opcodes are validated in Java
    }
}

// A GEMM epilogue on one output row of n values: row += bias (length n) + res (a row of the residual),
// then the activation. Either pointer may be null. Shared by the OpenBLAS and the packed GEMM paths.
template <typename T>
ENGINE_INLINE void epilogue_row(T* row, i64 n, const T* bias, const T* res, int act, T actParam) {
    if (bias) for (i64 j = 0; j < n; j++) row[j] += bias[j];
    if (res) for (i64 j = 0; j < n; j++) row[j] += res[j];
    if (act != OP_IDENTITY)
        for (i64 j = 0; j < n; j += BLOCK) {
            int len = (int)std::min<i64>(BLOCK, n - j);
            run_instruction<T>(act, row + j, row + j, row + j, row + j, actParam, len);
        }
}

struct Program {
    int inputs, registers, result, count;
    const i64* code;   // count * INSTR_INTS
    const i64* imm;    // count doubles as raw bits
};

// Items [lo, hi) of the (row, block) grid. Always inlined into the ISA-specific clones below, so the
// instruction loops vectorise for AVX-512/AVX2 (a lambda would not be cloned).
template <typename T>
ENGINE_INLINE void run_items(const Program& p, int nd, const i64* shape, const Operand* ops, i64 chunks, i64 inner, i64 lo, i64 hi) {
    const Operand& out = ops[p.inputs];
    alignas(64) T regs[MAX_REGS][BLOCK];
    T imm[64];
    for (int k = 0; k < p.count && k < 64; k++) imm[k] = (T)bits_to_double(p.imm[k]);
    for (i64 item = lo; item < hi; item++) {
        i64 r = item / chunks, start = (item % chunks) * BLOCK;
        int n = (int)std::min<i64>(BLOCK, inner - start);
        for (int j = 0; j < p.inputs; j++) {
            const Operand& o = ops[j];
            i64 st = nd == 0 ? 0 : o.strides[nd - 1];
            const T* src = ptr<T>(o.address) + row_offset(r, nd, shape, o.strides) + start * st;
            T* dst = regs[j];
            if (st == 1) std::memcpy(dst, src, sizeof(T) * n);
            else if (st == 0) { T v = src[0]; for (int i = 0; i < n; i++) dst[i] = v; }
            else for (int i = 0; i < n; i++) dst[i] = src[i * st];
        }
        for (int k = 0; k < p.count; k++) {
            const i64* ins = p.code + k * INSTR_INTS;
            run_instruction<T>((int)ins[0], regs[ins[1]], regs[ins[2]], regs[ins[3]], regs[ins[4]], imm[k], n);
        }
        i64 ost = nd == 0 ? 0 : out.strides[nd - 1];
        T* dst = ptr<T>(out.address) + row_offset(r, nd, shape, out.strides) + start * ost;
        const T* res = regs[p.result];
        if (ost == 1) std::memcpy(dst, res, sizeof(T) * n);
        else for (int i = 0; i < n; i++) dst[i * ost] = res[i];
    }
}

template <typename T>
ENGINE_INLINE void run_program_t(const Program& p, int nd, const i64* shape, const Operand* ops, int nops) {
    // ops[0..inputs-1] are inputs, ops[inputs] is the output
    i64 inner = nd == 0 ? 1 : shape[nd - 1];
    i64 rows = 1;
    for (int d = 0; d < nd - 1; d++) rows *= shape[d];
    if (inner == 0 || rows == 0) return;
    i64 chunks = (inner + BLOCK - 1) / BLOCK;
    i64 items = rows * chunks;
    int nt = threads_for(rows * inner * (p.count + 1));
    if (nt <= 1 || items <= 1) {
        run_items<T>(p, nd, shape, ops, chunks, inner, 0, items);
        return;
    }
    run_shares(nt, items, [&](int t, int tn) { run_items<T>(p, nd, shape, ops, chunks, inner, items * t / tn, items * (t + 1) / tn); });
}

ENGINE_DISPATCH void run_program_f32(const Program& p, int nd, const i64* shape, const Operand* ops, int nops) {
    run_program_t<float>(p, nd, shape, ops, nops);
}
ENGINE_DISPATCH void run_program_f64(const Program& p, int nd, const i64* shape, const Operand* ops, int nops) {
    run_program_t<double>(p, nd, shape, ops, nops);
}

}  // namespace engine

// meta: [dtype, nd, shape[nd], nops, {address, strides[nd]} x nops, inputs, registers, result, count,
//        code[count*5], imm[count]]
inline int engine_elementwise(long long metaAddress) {
    return engine::guarded([&] {
        using namespace engine;
        const i64* m = ptr<i64>(metaAddress);
        int dtype = (int)m[0];
        int nd = (int)m[1];
        const i64* q = m + 2 + nd;
        i64 shape[MAX_DIMS];
        for (int d = 0; d < nd; d++) shape[d] = m[2 + d];
        int nops = (int)*q++;
        Operand ops[MAX_REGS + 1];
        for (int j = 0; j < nops; j++) {
            ops[j].address = *q++;
            ops[j].dtype = dtype;
            for (int d = 0; d < nd; d++) ops[j].strides[d] = *q++;
        }
        Program p;
        p.inputs = (int)q[0]; p.registers = (int)q[1]; p.result = (int)q[2]; p.count = (int)q[3];
        p.code = q + 4;
        p.imm = p.code + (i64)p.count * INSTR_INTS;
        nd = coalesce_dims(nd, shape, ops, nops);
        if (dtype == F32) run_program_f32(p, nd, shape, ops, nops);
        else run_program_f64(p, nd, shape, ops, nops);
    });
}
