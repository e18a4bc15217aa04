// The plane kernel (int8_conv_plane.h) with a 2x2, stride-2 max pool in its epilogue. Its vectors are laid
// out by pooled row: for pooled row i, 16 columns of convolution row 2i and the same 16 of row 2i + 1 (one
// padded row further on), so the pool is a vertical max of two accumulators and a max of even and odd lanes,
// all on the int32 sums. Taking the max before dequantising gives the same bits as after: the epilogue
// (acc - corr) * scale + bias, then ReLU or nothing, never decreases when acc grows, as long as the scale
// is >= 0 and finite (the caller checks). Neither the convolution's output nor a pool step is left.
// Narrow outputs (fewer than 8 pooled columns) would leave most lanes of such vectors idle; there the
// vectors hold 16 consecutive output positions of the unpadded output instead ("compact": LeNet's 10x10
// conv2 fills 7 vectors, not 10), the vpermt2b indices place each lane's row, and the int32 sums go to a
// small buffer that the pool then reads.
#pragma once
#include "int8_conv_plane.h"

namespace engine {

#ifdef ENGINE_X86_INT8
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512vnni,avx512vbmi")

// Pooled rows [r0, r1) of one image, output channels [k0, k0 + KB), pooled columns from 8 * chunk0 on, NC
// chunks of 16 convolution columns (8 pooled ones) at a time, up to chunk1; y is the image's pooled output.
template <int KB, int NC>
inline void q_plane_pool_run(const QPlaneCall& c, const uint8_t* xp, float* y, i64 k0, i64 r0, i64 r1, i64 chunk0, i64 chunk1) {
    const ConvShape& g = *c.g;
    const i64 pw = c.pw, poh = g.out_h() / 2, pow_ = g.out_w() / 2, plane = poh * pow_;
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    const int8_t* wk = c.bp + (k0 / QPANEL) * c.panel_bytes + (k0 % QPANEL) * 4;
    constexpr int NV = 2 * NC;  // vector b: convolution row 2i + b % 2, chunk b / 2
    const __m512i lanes[1] = {q_plane_lane_bytes()};
    for (i64 r = r0; r < r1; r++)
        for (i64 ch = chunk0; ch < chunk1; ch += NC) {
            const uint8_t* src[NV];
            #pragma GCC unroll 4
            for (int b = 0; b < NV; b++) src[b] = xp + (2 * r + b % 2) * pw + 16 * (ch + b / 2);
            __m512i acc[KB * NV];
            q_plane_sums<KB, NV, true>(c, src, lanes, wk, acc);
            // pooled columns 8 * ch on: 8 per chunk, as many as the pooled row still has
            const i64 pc = 8 * ch, left = std::min<i64>(8 * NC, pow_ - pc);
            const __mmask16 keep = (__mmask16)((1u << left) - 1);
            float* yr = y + r * pow_ + pc;
            #pragma GCC unroll 16
            for (int kb = 0; kb < KB; kb++) {
                const i64 k = k0 + kb;
                const __m512i m0 = _mm512_max_epi32(acc[kb * NV], acc[kb * NV + 1]);
                const __m512i m1 = NC == 2 ? _mm512_max_epi32(acc[kb * NV + NV - 2], acc[kb * NV + NV - 1]) : m0;
                const __m512i p = _mm512_max_epi32(_mm512_permutex2var_epi32(m0, even, m1), _mm512_permutex2var_epi32(m0, odd, m1));
                _mm512_mask_storeu_ps(yr + k * plane, keep, q_plane_dequant(c, k, p));
            }
        }
}

// Output channels [k0, k0 + KB) of pooled rows [r0, r1): chunk pairs, then a last single chunk.
template <int KB>
inline void q_plane_pool_channels(const QPlaneCall& c, const uint8_t* xp, float* y, i64 k0, i64 r0, i64 r1, bool pairs) {
    const i64 chunks = (c.g->out_w() / 2 + 7) / 8, paired = pairs ? chunks / 2 * 2 : 0;
    if constexpr (KB <= 6)  // pairs take at most 6 channels
        if (paired) q_plane_pool_run<KB, 2>(c, xp, y, k0, r0, r1, 0, paired);
    if (paired < chunks) q_plane_pool_run<KB, 1>(c, xp, y, k0, r0, r1, paired, chunks);
}

// Compact vectors of an output plane: vector v holds output positions 16v .. 16v + 15 (row-major, the last
// repeated past the end); base: the padded-image offset of its first position, lanes: each lane's offset
// from there, as 4 equal bytes (added to a group's vpermt2b pattern). Empty when some lane would index past
// a 64-byte load (offset + S - 1 > 63).
struct QCompact {
    std::vector<i64> base;
    std::vector<int32_t> lanes;  // 16 per vector
};

inline const QCompact& q_compact_cached(const ConvShape& g, i64 pw) {
    struct Entry { i64 key[4] = {-1, -1, -1, -1}; QCompact v; };
    static thread_local Entry cache[2];
    static thread_local int next = 0;
    const i64 oh = g.out_h(), ow = g.out_w(), key[4] = {oh, ow, pw, g.s};
    for (Entry& e : cache)
        if (std::equal(key, key + 4, e.key)) return e.v;
    Entry& e = cache[next];
    next = (next + 1) % 2;
    std::copy(key, key + 4, e.key);
    const i64 P = oh * ow, nv = (P + 15) / 16;
    e.v.base.resize((size_t)nv);
    e.v.lanes.resize((size_t)(16 * nv));
    for (i64 v = 0; v < nv; v++) {
        int32_t* off = e.v.lanes.data() + 16 * v;
        const i64 first = 16 * v, b = first / ow * pw + first % ow;
        i64 most = 0;
        for (int l = 0; l < 16; l++) {
            const i64 p = std::min(first + l, P - 1), rel = p / ow * pw + p % ow - b;
            most = std::max(most, rel);
            off[l] = (int32_t)(rel * 0x01010101);
        }
        if (most + g.s - 1 > 63) { e.v.base.clear(); e.v.lanes.clear(); return e.v; }
        e.v.base[(size_t)v] = b;
    }
    return e.v;
}

// Whether the pool takes compact vectors for g: fewer than 8 pooled columns, lanes within reach.
inline bool q_plane_pool_compact(const ConvShape& g, i64 pw) {
    return g.out_w() / 2 < 8 && !q_compact_cached(g, pw).base.empty();
}

// The int32 sums of output channels [k0, k0 + KB) at compact vectors [v0, v1) of one image into sums
// (KB rows of 16 x all vectors).
template <int KB, int NB>
inline void q_compact_sums(const QPlaneCall& c, const QCompact& cv, const uint8_t* xp, int32_t* sums, i64 row, i64 k0, i64 v0, i64 v1) {
    const int8_t* wk = c.bp + (k0 / QPANEL) * c.panel_bytes + (k0 % QPANEL) * 4;
    const i64 nv = (i64)cv.base.size();
    for (i64 v = v0; v < v1; v += NB) {
        const int nb = (int)std::min<i64>(NB, v1 - v);
        const uint8_t* src[NB];
        __m512i lanes[NB];
        #pragma GCC unroll 2
        for (int b = 0; b < NB; b++) {
            const i64 vb = std::min(v + b, nv - 1);  // a missing second vector repeats the first
            src[b] = xp + cv.base[(size_t)vb];
            lanes[b] = _mm512_loadu_si512(cv.lanes.data() + 16 * vb);
        }
        __m512i acc[KB * NB];
        q_plane_sums<KB, NB, false>(c, src, lanes, wk, acc);
        #pragma GCC unroll 16
        for (int kb = 0; kb < KB; kb++)
            #pragma GCC unroll 2
            for (int b = 0; b < NB; b++)
                if (b < nb) _mm512_storeu_si512(sums + kb * row + 16 * (v + b), acc[kb * NB + b]);
    }
}

// Pooled rows [r0, r1) of one image from compact vectors: per block of 16 channels, the sums of the vectors
// that hold output rows [2 r0, 2 r1), then each pooled row's maxes dequantised.
inline void q_plane_pool_compact_rows(const QPlaneCall& c, const uint8_t* xp, float* y, i64 r0, i64 r1) {
    const ConvShape& g = *c.g;
    const QCompact& cv = q_compact_cached(g, c.pw);
    const i64 ow = g.out_w(), pow_ = ow / 2, plane = (g.out_h() / 2) * pow_, row = 16 * (i64)cv.base.size();
    static thread_local std::vector<int32_t> buf;
    buf.resize((size_t)(16 * row));
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    const __mmask16 in_row = (__mmask16)((1u << ow) - 1), keep = (__mmask16)((1u << pow_) - 1);
    const i64 v0 = 2 * r0 * ow / 16, v1 = (2 * r1 * ow + 15) / 16;
    for (i64 k0 = 0; k0 < g.k; k0 += 16) {
        const int kb = (int)std::min<i64>(16, g.k - k0);
        switch (kb) {
            case 1: q_compact_sums<1, 2>(c, cv, xp, buf.data(), row, k0, v0, v1); break;
            case 2: q_compact_sums<2, 2>(c, cv, xp, buf.data(), row, k0, v0, v1); break;
            case 3: q_compact_sums<3, 2>(c, cv, xp, buf.data(), row, k0, v0, v1); break;
            case 4: q_compact_sums<4, 2>(c, cv, xp, buf.data(), row, k0, v0, v1); break;
            case 5: q_compact_sums<5, 2>(c, cv, xp, buf.data(), row, k0, v0, v1); break;
            case 6: q_compact_sums<6, 2>(c, cv, xp, buf.data(), row, k0, v0, v1); break;
            case 7: q_compact_sums<7, 2>(c, cv, xp, buf.data(), row, k0, v0, v1); break;
            case 8: q_compact_sums<8, 2>(c, cv, xp, buf.data(), row, k0, v0, v1); break;
            case 9: q_compact_sums<9, 1>(c, cv, xp, buf.data(), row, k0, v0, v1); break;
            case 10: q_compact_sums<10, 1>(c, cv, xp, buf.data(), row, k0, v0, v1); break;
            case 11: q_compact_sums<11, 1>(c, cv, xp, buf.data(), row, k0, v0, v1); break;
            case 12: q_compact_sums<12, 1>(c, cv, xp, buf.data(), row, k0, v0, v1); break;
            case 13: q_compact_sums<13, 1>(c, cv, xp, buf.data(), row, k0, v0, v1); break;
            case 14: q_compact_sums<14, 1>(c, cv, xp, buf.data(), row, k0, v0, v1); break;
            case 15: q_compact_sums<15, 1>(c, cv, xp, buf.data(), row, k0, v0, v1); break;
            default: q_compact_sums<16, 1>(c, cv, xp, buf.data(), row, k0, v0, v1); break;
        }
        for (int kb2 = 0; kb2 < kb; kb2++) {
            const i64 k = k0 + kb2;
            const int32_t* s = buf.data() + kb2 * row;
            for (i64 r = r0; r < r1; r++) {
                const __m512i m = _mm512_max_epi32(_mm512_maskz_loadu_epi32(in_row, s + 2 * r * ow), _mm512_maskz_loadu_epi32(in_row, s + (2 * r + 1) * ow));
                const __m512i p = _mm512_max_epi32(_mm512_permutexvar_epi32(even, m), _mm512_permutexvar_epi32(odd, m));
                _mm512_mask_storeu_ps(y + k * plane + r * pow_, keep, q_plane_dequant(c, k, p));
            }
        }
    }
}

// Pooled rows [r0, r1) of one image, every output channel: blocks of at most 6 channels where chunks go in
// pairs (24 accumulators), 8 where they go alone (16), never across a 32-column panel of the weights.
inline void q_plane_pool_rows(const QPlaneCall& c, const uint8_t* xp, float* y, i64 r0, i64 r1) {
    if (q_plane_pool_compact(*c.g, c.pw)) { q_plane_pool_compact_rows(c, xp, y, r0, r1); return; }
    const bool pairs = (c.g->out_w() / 2 + 7) / 8 >= 2;
    const i64 most = pairs ? 6 : 8;
    for (i64 k0 = 0; k0 < c.g->k;) {
        const int kb = (int)std::min({most, c.g->k - k0, QPANEL - k0 % QPANEL});
        switch (kb) {
            case 1: q_plane_pool_channels<1>(c, xp, y, k0, r0, r1, pairs); break;
            case 2: q_plane_pool_channels<2>(c, xp, y, k0, r0, r1, pairs); break;
            case 3: q_plane_pool_channels<3>(c, xp, y, k0, r0, r1, pairs); break;
            case 4: q_plane_pool_channels<4>(c, xp, y, k0, r0, r1, pairs); break;
            case 5: q_plane_pool_channels<5>(c, xp, y, k0, r0, r1, pairs); break;
            case 6: q_plane_pool_channels<6>(c, xp, y, k0, r0, r1, pairs); break;
            case 7: q_plane_pool_channels<7>(c, xp, y, k0, r0, r1, pairs); break;
            default: q_plane_pool_channels<8>(c, xp, y, k0, r0, r1, pairs); break;
        }
        k0 += kb;
    }
}

#pragma GCC pop_options
#endif

}  // namespace engine
