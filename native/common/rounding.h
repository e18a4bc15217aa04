// Rounding an F32 value to the nearest bfloat16 or IEEE half value (round to nearest even), returned as the
// F32 value it stands for: the operands of a reduced-precision product (ElementwiseOp.ROUND_BF16 /
// ROUND_F16). Plain bit arithmetic, so the CPU and CUDA trees round every input the same way.
#pragma once
#include <stdint.h>
#include <string.h>
#include "abi.h"

namespace engine_abi {

ENGINE_ABI_HD inline uint32_t float_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
ENGINE_ABI_HD inline float bits_float(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

// 8 significant bits, F32's exponent range: NaN stays NaN, overflow becomes infinity.
ENGINE_ABI_HD inline float round_to_bf16(float x) {
    uint32_t u = float_bits(x);
    if ((u & 0x7fffffffu) > 0x7f800000u) return x;
    return bits_float((u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u);
}

// 11 significant bits down to 2^-14, then multiples of 2^-24 (half's subnormals); |x| >= 65520 becomes
// infinity, NaN stays NaN.
ENGINE_ABI_HD inline float round_to_f16(float x) {
    uint32_t u = float_bits(x), mag = u & 0x7fffffffu, sign = u & 0x80000000u;
    if (mag > 0x7f800000u) return x;
    if (mag < 0x38800000u) {  // below 2^-14: round to a multiple of 2^-24 (exact scalings, one rounding)
        float scaled = bits_float(mag) * 16777216.0f;            // * 2^24, exact
        float r = (scaled + 8388608.0f) - 8388608.0f;            // to an integer, nearest even (scaled < 2^10)
        return bits_float(float_bits(r * 5.9604644775390625e-8f) | sign);
    }
    uint32_t r = (mag + 0xfffu + ((mag >> 13) & 1u)) & 0xffffe000u;
    if (r > 0x477fe000u) r = 0x7f800000u;                        // above 65504: infinity
    return bits_float(r | sign);
}

// ---- 16-bit storage: the bits of a rounded value, and back ------------------------------------------

ENGINE_ABI_HD inline uint16_t bf16_encode(float x) {
    uint32_t u = float_bits(x);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40u);  // a quiet NaN, never infinity
    return (uint16_t)(float_bits(round_to_bf16(x)) >> 16);
}

ENGINE_ABI_HD inline float bf16_decode(uint16_t b) { return bits_float((uint32_t)b << 16); }

ENGINE_ABI_HD inline uint16_t f16_encode(float x) {
    uint32_t u = float_bits(x), sign = (u >> 16) & 0x8000u;
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)(sign | 0x7e00u);
    float r = round_to_f16(x);
    uint32_t mag = float_bits(r) & 0x7fffffffu;
    if (mag == 0x7f800000u) return (uint16_t)(sign | 0x7c00u);
    if (mag < 0x38800000u) return (uint16_t)(sign | (uint32_t)(bits_float(mag) * 16777216.0f));  // subnormal: r / 2^-24 (1024 = 2^-14's bits)
    return (uint16_t)(sign | (((mag >> 23) - 112u) << 10) | ((mag >> 13) & 0x3ffu));
}

ENGINE_ABI_HD inline float f16_decode(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
    if (e == 0) return bits_float(float_bits((float)m * 5.9604644775390625e-8f) | sign);
    if (e == 31) return bits_float(sign | 0x7f800000u | (m << 13));
    return bits_float(sign | ((e + 112u) << 23) | (m << 13));
}

// Elements of BF16 / F16 buffers: static_cast to and from any arithmetic type goes through F32 (so F64 ->
// 16 bits rounds twice; the kernels that write these buffers compute in F32).
struct bf16_value {
    uint16_t bits;
    bf16_value() = default;
    template <typename T> ENGINE_ABI_HD explicit bf16_value(T v) : bits(bf16_encode((float)v)) {}
    template <typename T> ENGINE_ABI_HD explicit operator T() const { return (T)bf16_decode(bits); }
};

struct f16_value {
    uint16_t bits;
    f16_value() = default;
    template <typename T> ENGINE_ABI_HD explicit f16_value(T v) : bits(f16_encode((float)v)) {}
    template <typename T> ENGINE_ABI_HD explicit operator T() const { return (T)f16_decode(bits); }
};

}  // namespace engine_abi
