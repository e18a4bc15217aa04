// The elementwise instruction set on the device, one value at a time; the opcodes (enum Op) are
// native/common/abi.h's, the formulas match native/cpu/elementwise.h.
#pragma once
#include "common.cuh"
#include "../common/rounding.h"

namespace ecu {

template <typename T> __device__ __forceinline__ T sigmoid_of(T x) { return T(1) / (T(1) + exp(-x)); }

template <typename T>
__device__ __forceinline__ T apply_op(int op, T a, T b, T c, T imm) {
    switch (op) {
        case OP_CONST: return imm;
        case OP_IDENTITY: return a;
        case OP_NEG: return -a;
        case OP_EXP: return exp(a);
        case OP_LOG: return log(a);
        case OP_SQRT: return sqrt(a);
        case OP_RSQRT: return T(1) / sqrt(a);
        case OP_ABS: return fabs(a);
        case OP_SIGN: return (T)((a > T(0)) - (a < T(0)));
        case OP_SQUARE: return a * a;
        case OP_RECIPROCAL: return T(1) / a;
        case OP_RELU: return a > T(0) ? a : T(0);
        case OP_LEAKY_RELU: return a > T(0) ? a : a * imm;
        case OP_GELU: return T(0.5) * a * (T(1) + erf(a * T(0.70710678118654752440)));
        case OP_GELU_TANH: {
            const T k = T(0.79788456080286535588);
            return T(0.5) * a * (T(1) + tanh(k * (a + T(0.044715) * a * a * a)));
        }
        case OP_SIGMOID: return sigmoid_of(a);
        case OP_TANH: return tanh(a);
        case OP_SOFTPLUS: return a > T(20) ? a : log1p(exp(a));
        case OP_ADD_SCALAR: return a + imm;
        case OP_MUL_SCALAR: return a * imm;
        case OP_POW_SCALAR: return imm == T(2) ? a * a : pow(a, imm);
        case OP_CLAMP_MIN: return a < imm ? imm : a;
        case OP_CLAMP_MAX: return a > imm ? imm : a;
        case OP_RSUB_SCALAR: return imm - a;
        case OP_SIN: return sin(a);
        case OP_COS: return cos(a);
        case OP_ROUND_BF16: return T(engine_abi::round_to_bf16(float(a)));
        case OP_ROUND_F16: return T(engine_abi::round_to_f16(float(a)));
        case OP_RELU6: { T v = a < T(0) ? T(0) : a; return v > T(6) ? T(6) : v; }
        case OP_HARDSWISH: { T v = a * T(1.0 / 6) + T(0.5); v = v < T(0) ? T(0) : v; return a * (v > T(1) ? T(1) : v); }
        case OP_SILU: return a * sigmoid_of(a);
        case OP_ADD: return a + b;
        case OP_SUB: return a - b;
        case OP_MUL: return a * b;
        case OP_DIV: return a / b;
        case OP_POW: return pow(a, b);
        case OP_MAXIMUM: return (a > b || isnan(a)) ? a : b;
        case OP_MINIMUM: return (a < b || isnan(a)) ? a : b;
        case OP_EQ: return a == b ? T(1) : T(0);
        case OP_NE: return a != b ? T(1) : T(0);
        case OP_LT: return a < b ? T(1) : T(0);
        case OP_LE: return a <= b ? T(1) : T(0);
        case OP_GT: return a > b ? T(1) : T(0);
        case OP_GE: return a >= b ? T(1) : T(0);
        case OP_RELU_BACKWARD: return a > T(0) ? b : T(0);
        case OP_LEAKY_RELU_BACKWARD: return a > T(0) ? b : b * imm;
        case OP_GELU_BACKWARD: {
            T cdf = T(0.5) * (T(1) + erf(a * T(0.70710678118654752440)));
            T pdf = exp(T(-0.5) * a * a) * T(0.39894228040143267794);
            return b * (cdf + a * pdf);
        }
        case OP_GELU_TANH_BACKWARD: {
            const T k = T(0.79788456080286535588);
            T u = k * (a + T(0.044715) * a * a * a);
            T t = tanh(u);
            T du = k * (T(1) + T(3) * T(0.044715) * a * a);
            return b * (T(0.5) * (T(1) + t) + T(0.5) * a * (T(1) - t * t) * du);
        }
        case OP_SIGMOID_BACKWARD: return b * a * (T(1) - a);
        case OP_TANH_BACKWARD: return b * (T(1) - a * a);
        case OP_SOFTPLUS_BACKWARD: return b * sigmoid_of(a);
        case OP_WHERE: return a != T(0) ? b : c;
        default: return a;  // opcodes are validated in Java
    }
}

}  // namespace ecu
