// The native ABI both kernel trees share (native/cpu and native/cuda): dtype codes, the elementwise
// opcode table, the fixed-size argument blocks Java writes (structs of int64, pinned by static_assert),
// conv/pool geometry usable on host and device, and the status convention. Its one Java mirror is
// dev.engine.nativeabi (DTypeCodes, ArgBlocks, Abi); engine_abi_table() hands the table to a test that
// checks the two agree. Change a number here and there together, never one alone.
#pragma once
#include <stdint.h>
#include <stddef.h>

#if defined(__CUDACC__)
#define ENGINE_ABI_HD __host__ __device__
#else
#define ENGINE_ABI_HD
#endif

namespace engine_abi {

typedef int64_t i64;

// Bumped whenever a code or a block layout changes.
const i64 ABI_VERSION = 6;

// The codes every kernel file switches on, in a namespace of their own so that a tree can import just
// these (native/cuda's files keep their own structs of other names under `using namespace ecu`).
namespace codes {

// dtype codes, in the order of dev.engine.api.DType
enum DTypeCode { F32 = 0, F64 = 1, I32 = 2, I64 = 3, BF16 = 4, F16 = 5 };  // BF16, F16: storage (copies)

// The highest rank of a strided operand, and the ints of one elementwise instruction (op, dst, a, b, c).
const int MAX_DIMS = 16;
const int INSTR_INTS = 5;

// The elementwise instruction set: X(name, code, arity). Codes are dev.engine.api.ElementwiseOp.code(),
// in its declaration order; the formulas live in native/cpu/elementwise.h and native/cuda/ops.cuh.
#define ENGINE_ELEMENTWISE_OPS(X)                                                                          \
    X(CONST, 0, 0) X(IDENTITY, 1, 1) X(NEG, 2, 1) X(EXP, 3, 1) X(LOG, 4, 1) X(SQRT, 5, 1) X(RSQRT, 6, 1)      \
    X(ABS, 7, 1) X(SIGN, 8, 1) X(SQUARE, 9, 1) X(RECIPROCAL, 10, 1) X(RELU, 11, 1) X(LEAKY_RELU, 12, 1)      \
    X(GELU, 13, 1) X(SIGMOID, 14, 1) X(TANH, 15, 1) X(SOFTPLUS, 16, 1) X(ADD_SCALAR, 17, 1)                 \
    X(MUL_SCALAR, 18, 1) X(POW_SCALAR, 19, 1) X(CLAMP_MIN, 20, 1) X(CLAMP_MAX, 21, 1) X(RSUB_SCALAR, 22, 1) \
    X(SIN, 23, 1) X(COS, 24, 1) X(GELU_TANH, 25, 1)                                                         \
    X(ROUND_BF16, 26, 1) X(ROUND_F16, 27, 1) X(RELU6, 28, 1) X(HARDSWISH, 29, 1) X(SILU, 30, 1)           \
    X(ADD, 40, 2) X(SUB, 41, 2) X(MUL, 42, 2) X(DIV, 43, 2) X(POW, 44, 2) X(MAXIMUM, 45, 2)                  \
    X(MINIMUM, 46, 2) X(EQ, 47, 2) X(NE, 48, 2) X(LT, 49, 2) X(LE, 50, 2) X(GT, 51, 2) X(GE, 52, 2)          \
    X(RELU_BACKWARD, 60, 2) X(LEAKY_RELU_BACKWARD, 61, 2) X(GELU_BACKWARD, 62, 2)                           \
    X(SIGMOID_BACKWARD, 63, 2) X(TANH_BACKWARD, 64, 2) X(SOFTPLUS_BACKWARD, 65, 2)                          \
    X(GELU_TANH_BACKWARD, 66, 2) X(WHERE, 80, 3)

#define ENGINE_OP_ENUMERATOR(name, code, arity) OP_##name = code,
enum Op { ENGINE_ELEMENTWISE_OPS(ENGINE_OP_ENUMERATOR) };
#undef ENGINE_OP_ENUMERATOR

}  // namespace codes
using namespace codes;

// dev.engine.api.ReduceOp codes
enum ReduceCode { R_SUM = 0, R_MEAN = 1, R_MAX = 2, R_MIN = 3, R_ARGMAX = 4, R_ARGMIN = 5, R_SUMSQ = 6 };
// PoolArgs.kind and OptimizerArgs.rule (dev.engine.nativeabi.ArgBlocks.POOL_* / OPTIM_*)
enum PoolKind { POOL_MAX = 0, POOL_MAX_BACKWARD = 1, POOL_AVG = 2, POOL_AVG_BACKWARD = 3 };
enum OptimRule { OPTIM_SGD = 0, OPTIM_ADAM = 1, OPTIM_RMSPROP = 2 };

// ---- argument blocks: int64 fields in the order dev.engine.nativeabi.ArgBlocks writes them ---------------
// (doubles travel as their raw bits; addresses already include the operand's element offset; 0 = none)

struct GemmArgs {
    i64 dtype, trans_a, trans_b, m, n, k, alpha_bits, beta_bits;
    i64 a, lda, stride_a, b, ldb, stride_b, c, ldc, stride_c, batch;
    i64 bias, residual, ldr, stride_r, act, act_param_bits;
};

// the frozen model's GEMM against a matrix packed by engine_pack_b (F32), or by engine_pack_bf16 for
// engine_bf16_gemm (the same fields: A and C stay F32, only the packed B differs)
struct PackedGemmArgs {
    i64 m, n, k, a, lda, packed_b, c, ldc, bias, residual, ldr, act, act_param_bits;
};

// the frozen model's int8 GEMM against a matrix packed by engine_pack_int8: A (F32) quantised to uint8 with
// a_scale / a_zero_point, or from its own range when dynamic = 1
struct Int8GemmArgs {
    i64 m, n, k, a, lda, packed_b, c, ldc, bias, residual, ldr, act, act_param_bits, dynamic, a_scale_bits, a_zero_point;
};

struct ConvShape {
    i64 n, c, h, w, k, r, s, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, groups;
    ENGINE_ABI_HD i64 out_h() const { return (h + 2 * pad_h - dil_h * (r - 1) - 1) / stride_h + 1; }
    ENGINE_ABI_HD i64 out_w() const { return (w + 2 * pad_w - dil_w * (s - 1) - 1) / stride_w + 1; }
};

struct ConvForwardArgs { i64 dtype; ConvShape g; i64 x, w, bias, act, y; };
// conv + ReLU + 2x2 max pool: ConvForwardArgs and the weight's filter-vector copy ([K/16][C*R*S][16]; 0: none)
struct ConvPoolArgs { i64 dtype; ConvShape g; i64 x, w, bias, act, y, w_vectors; };
// int8 convolution (groups 1) against a [C*R*S, K] matrix packed by engine_pack_int8; x quantised as Int8GemmArgs says
struct ConvInt8Args { ConvShape g; i64 x, packed_w, bias, act, y, dynamic, a_scale_bits, a_zero_point; };
struct ConvBackwardInputArgs { i64 dtype; ConvShape g; i64 gy, w, gx; };
struct ConvBackwardWeightArgs { i64 dtype; ConvShape g; i64 x, gy, gw, gb; };

struct PoolShape {
    i64 n, c, h, w, kh, kw, sh, sw, ph, pw, include_pad;
    ENGINE_ABI_HD i64 out_h() const { return (h + 2 * ph - kh) / sh + 1; }
    ENGINE_ABI_HD i64 out_w() const { return (w + 2 * pw - kw) / sw + 1; }
};

// kind POOL_MAX: a = x, b = y, c = indices (0 = values only); POOL_MAX_BACKWARD: gy, indices, gx;
// POOL_AVG: x, y, -; POOL_AVG_BACKWARD: gy, gx, -
struct PoolArgs { i64 dtype, kind; PoolShape g; i64 a, b, c; };

struct BatchNormForwardArgs {
    i64 dtype, x, gamma, beta, running_mean, running_var, n, c, hw, training, momentum_bits, eps_bits, y, save_mean, save_rstd;
};

struct BatchNormBackwardArgs {
    i64 dtype, x, gy, gamma, save_mean, save_rstd, n, c, hw, gx, g_gamma, g_beta;
};

// followed by count OptimizerTensor entries; h: the rule's hyperparameters (doubles as bits, then integers)
struct OptimizerArgs { i64 dtype, rule, count, h[7]; };
struct OptimizerTensor { i64 param, grad, state1, state2, length; };

// softmax(scale * Q K^T + mask) V for every (batch, head): q [B, H, Lq, Dk], k [B, H, Lk, Dk], v [B, H, Lk, Dv] and
// out [B, H, Lq, Dv] are strided views with unit stride along D, given by their batch, head and row strides (in
// elements). causal: key j > query i is hidden (top-left aligned); key_padding: 0 or B x Lk values of dtype,
// non-zero where a key is padding. A query that sees no key gets a zero output row.
struct AttentionArgs {
    i64 dtype, batch, heads, lq, lk, dk, dv, scale_bits, causal, key_padding;
    i64 q, q_sb, q_sh, q_sl, k, k_sb, k_sh, k_sl, v, v_sb, v_sh, v_sl, o, o_sb, o_sh, o_sl;
};

// Variable-length blocks (documented, not structs):
//   copy:        [rank, shape[rank], src address, src dtype, src strides[rank], dst address, dst dtype, dst strides[rank]]
//   elementwise: [dtype, rank, shape[rank], operands, {address, strides[rank]} x operands, inputs, registers,
//                 result, count, code[count * INSTR_INTS], imm bits[count]]
//   reduce:      [dtype, op, kept rank, kept shape, kept strides, reduced rank, reduced shape, reduced strides, x, out]

#define ENGINE_ABI_SLOTS(T, n) static_assert(sizeof(T) == (n) * sizeof(i64), #T " must be " #n " int64s")
#define ENGINE_ABI_AT(T, field, slot) static_assert(offsetof(T, field) == (slot) * sizeof(i64), #T "." #field " must be slot " #slot)
ENGINE_ABI_SLOTS(GemmArgs, 24);
ENGINE_ABI_AT(GemmArgs, alpha_bits, 6);
ENGINE_ABI_AT(GemmArgs, a, 8);
ENGINE_ABI_AT(GemmArgs, b, 11);
ENGINE_ABI_AT(GemmArgs, c, 14);
ENGINE_ABI_AT(GemmArgs, batch, 17);
ENGINE_ABI_AT(GemmArgs, bias, 18);
ENGINE_ABI_AT(GemmArgs, act, 22);
ENGINE_ABI_SLOTS(PackedGemmArgs, 13);
ENGINE_ABI_AT(PackedGemmArgs, packed_b, 5);
ENGINE_ABI_AT(PackedGemmArgs, bias, 8);
ENGINE_ABI_AT(PackedGemmArgs, act, 11);
ENGINE_ABI_SLOTS(Int8GemmArgs, 16);
ENGINE_ABI_AT(Int8GemmArgs, dynamic, 13);
ENGINE_ABI_SLOTS(ConvShape, 14);
ENGINE_ABI_SLOTS(ConvForwardArgs, 20);
ENGINE_ABI_AT(ConvForwardArgs, g, 1);
ENGINE_ABI_AT(ConvForwardArgs, x, 15);
ENGINE_ABI_AT(ConvForwardArgs, y, 19);
ENGINE_ABI_SLOTS(ConvPoolArgs, 21);
ENGINE_ABI_AT(ConvPoolArgs, w_vectors, 20);
ENGINE_ABI_SLOTS(ConvInt8Args, 22);
ENGINE_ABI_AT(ConvInt8Args, x, 14);
ENGINE_ABI_SLOTS(ConvBackwardInputArgs, 18);
ENGINE_ABI_AT(ConvBackwardInputArgs, gy, 15);
ENGINE_ABI_SLOTS(ConvBackwardWeightArgs, 19);
ENGINE_ABI_AT(ConvBackwardWeightArgs, x, 15);
ENGINE_ABI_SLOTS(PoolShape, 11);
ENGINE_ABI_SLOTS(PoolArgs, 16);
ENGINE_ABI_AT(PoolArgs, g, 2);
ENGINE_ABI_AT(PoolArgs, a, 13);
ENGINE_ABI_SLOTS(BatchNormForwardArgs, 15);
ENGINE_ABI_AT(BatchNormForwardArgs, training, 9);
ENGINE_ABI_AT(BatchNormForwardArgs, y, 12);
ENGINE_ABI_SLOTS(BatchNormBackwardArgs, 12);
ENGINE_ABI_AT(BatchNormBackwardArgs, gx, 9);
ENGINE_ABI_SLOTS(OptimizerArgs, 10);
ENGINE_ABI_AT(OptimizerArgs, h, 3);
ENGINE_ABI_SLOTS(OptimizerTensor, 5);
ENGINE_ABI_SLOTS(AttentionArgs, 26);
ENGINE_ABI_AT(AttentionArgs, key_padding, 9);
ENGINE_ABI_AT(AttentionArgs, q, 10);
ENGINE_ABI_AT(AttentionArgs, o, 22);
#undef ENGINE_ABI_SLOTS
#undef ENGINE_ABI_AT

// ---- status: every CPU entry point returns one; the message of the last failure is kept per thread ----
// (The CUDA entry points still return cudaError_t this round; they move to this convention with runtime.cu.)
enum Status { STATUS_OK = 0, STATUS_OUT_OF_MEMORY = 1, STATUS_INTERNAL = 2 };

// Entry points that return a position (first bad row or index, else -1) report a failure as -(2 + status).
inline i64 position_error(int status) { return -(2 + (i64)status); }

#if !defined(__CUDA_ARCH__)
inline char* last_error_buffer() {
    static thread_local char message[512];
    return message;
}

inline void set_last_error(const char* what) {
    char* m = last_error_buffer();
    size_t i = 0;
    for (; what && what[i] && i < 511; i++) m[i] = what[i];
    m[i] = 0;
}
#endif

// The table engine_abi_table() writes and dev.engine.nativeabi.Abi.expectedTable() rebuilds in Java.
inline int abi_table(i64* out) {
    int n = 0;
    out[n++] = ABI_VERSION;
    out[n++] = F32; out[n++] = F64; out[n++] = I32; out[n++] = I64; out[n++] = BF16; out[n++] = F16;
    out[n++] = MAX_DIMS; out[n++] = INSTR_INTS;
    out[n++] = STATUS_OK; out[n++] = STATUS_OUT_OF_MEMORY; out[n++] = STATUS_INTERNAL;
    out[n++] = R_SUM; out[n++] = R_MEAN; out[n++] = R_MAX; out[n++] = R_MIN; out[n++] = R_ARGMAX; out[n++] = R_ARGMIN; out[n++] = R_SUMSQ;
    out[n++] = POOL_MAX; out[n++] = POOL_MAX_BACKWARD; out[n++] = POOL_AVG; out[n++] = POOL_AVG_BACKWARD;
    out[n++] = OPTIM_SGD; out[n++] = OPTIM_ADAM; out[n++] = OPTIM_RMSPROP;
    const i64 slots[] = {sizeof(GemmArgs), sizeof(PackedGemmArgs), sizeof(ConvForwardArgs), sizeof(ConvBackwardInputArgs),
                         sizeof(ConvBackwardWeightArgs), sizeof(PoolArgs), sizeof(BatchNormForwardArgs), sizeof(BatchNormBackwardArgs),
                         sizeof(OptimizerArgs), sizeof(OptimizerTensor), sizeof(AttentionArgs), sizeof(Int8GemmArgs), sizeof(ConvInt8Args)};
    for (i64 s : slots) out[n++] = s / (i64)sizeof(i64);
    int count_at = n++;
#define ENGINE_OP_ROW(name, code, arity) out[n++] = code; out[n++] = arity;
    ENGINE_ELEMENTWISE_OPS(ENGINE_OP_ROW)
#undef ENGINE_OP_ROW
    out[count_at] = (n - count_at - 1) / 2;
    return n;
}

// Room a caller gives engine_abi_table: comfortably more than the table.
const int ABI_TABLE_CAPACITY = 256;

}  // namespace engine_abi
