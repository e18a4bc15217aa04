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

}  // namespace engine_abi
