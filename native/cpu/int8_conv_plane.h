// Direct int8 convolution for stride 1 and small channel counts (AVX-512 VNNI + VBMI), on the weights as
// int8_pack.h packs them. Each vector holds 16 output positions of one image; positions are numbered along
// the rows of the zero-point-padded image (row stride = its padded width), so that tap (c, r, s) of 16
// consecutive positions is 16 consecutive bytes of that image and no window is gathered. A group of 4
// consecutive taps of the packed k order (the operand of vpdpbusd) lies on at most two tap rows when S >= 3:
// two 64-byte loads and one vpermt2b give 16 positions x 4 bytes, which meet each output channel's 4 weight
// bytes, broadcast. Positions in a row's padding columns are computed and dropped (compressed out) at the
// store, which writes NCHW rows with bias and ReLU. Same int32 sums and F32 epilogue as the im2col path.
#pragma once
#include "int8_x86.h"

namespace engine {

// Whether the plane kernel takes this shape (given a CPU that runs it).
inline bool q_plane_shape(const ConvShape& g) {
    // positions are split into rows by a float division, exact below 2^24
    return g.groups == 1 && g.stride_h == 1 && g.stride_w == 1 && g.dil_h == 1 && g.dil_w == 1 && g.s >= 3 && g.s <= 49
           && g.k <= 64 && g.c * g.r * g.s <= QMAX_K && (g.h + 2 * g.pad_h) * (g.w + 2 * g.pad_w) < (i64(1) << 24);
}

// Per group of 4 taps: the byte offsets of its two tap rows from a position's top-left corner in the padded
// image, and the 4 vpermt2b byte indices of lane 0 (lane j adds j): 64 * (second row) + s.
struct QPlaneGroup {
    i64 off_a, off_b;
    int32_t pattern;
};

inline void q_plane_groups(const ConvShape& g, i64 ph, i64 pw, std::vector<QPlaneGroup>& out) {
    const i64 crs = g.c * g.r * g.s, groups = q_groups(crs);
    out.resize((size_t)groups);
    // tap t = (row, s), row = c * R + r at byte offset row_off; walked in order, no divisions
    i64 row = 0, r = 0, s = 0, row_off = 0;
    auto next = [&] {
        if (++s < g.s) return;
        s = 0;
        row++;
        if (++r < g.r) { row_off += pw; return; }
        r = 0;
        row_off += (ph - g.r + 1) * pw;
    };
    for (i64 q = 0; q < groups; q++) {
        const i64 row_a = row, off_a = row_off;
        i64 off_b = off_a, last_s = s, last_row = row;
        uint32_t pat = 0;
        for (int i = 0; i < 4; i++) {
            // taps past the last one have weight 0: any byte will do (the last tap's)
            if (4 * q + i < crs) { last_s = s; last_row = row; if (row != row_a) off_b = row_off; }
            pat |= (uint32_t)(last_s + (last_row == row_a ? 0 : 64)) << (8 * i);
            if (4 * q + i < crs) next();
        }
        out[(size_t)q] = QPlaneGroup{off_a, off_b, (int32_t)pat};
    }
}

// q_plane_groups of the last few geometries this thread ran (a frozen CNN alternates between its
// convolutions; recomputing the groups of LeNet's conv2 costs about a tenth of the convolution).
inline const std::vector<QPlaneGroup>& q_plane_groups_cached(const ConvShape& g, i64 ph, i64 pw) {
    struct Entry { i64 key[5] = {-1, -1, -1, -1, -1}; std::vector<QPlaneGroup> groups; };
    static thread_local Entry cache[4];
    static thread_local int next = 0;
    const i64 key[5] = {g.c, g.r, g.s, ph, pw};
    for (Entry& e : cache)
        if (std::equal(key, key + 5, e.key)) return e.groups;
    Entry& e = cache[next];
    next = (next + 1) % 4;
    std::copy(key, key + 5, e.key);
    q_plane_groups(g, ph, pw, e.groups);
    return e.groups;
}

#ifdef ENGINE_X86_INT8
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512vnni,avx512vbmi")

inline bool q_plane_cpu() {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512vbmi") && __builtin_cpu_supports("avx512bw");
}

struct QPlaneCall {
    const ConvShape* g;
    i64 pw, positions;                 // padded width; positions per image numbered along the padded rows
    const QPlaneGroup* groups;
    i64 ngroups;
    const int8_t* bp;                  // packed weights
    i64 panel_bytes;
    const int32_t* corr;               // za * column sum
    const float* scale;                // sa * column scale
    const float* bias;
    bool relu;
};

// The 16 byte-lane indices j, as 4 equal bytes per lane: vector lane j reads positions j bytes on.
inline __m512i q_plane_lane_bytes() {
    return _mm512_set_epi32(0x0F0F0F0F, 0x0E0E0E0E, 0x0D0D0D0D, 0x0C0C0C0C, 0x0B0B0B0B, 0x0A0A0A0A, 0x09090909, 0x08080808,
                            0x07070707, 0x06060606, 0x05050505, 0x04040404, 0x03030303, 0x02020202, 0x01010101, 0x00000000);
}

// acc[kb * NB + b] <- the int32 sums of output channel k0 + kb (its weights from wk on) at vector b: 16
// positions whose bytes start at at[b], lane l reading lanes[b]'s byte offset l further on (SHARED: every
// vector reads lanes[0]'s, one index vector per group and fewer registers).
template <int KB, int NB, bool SHARED>
__attribute__((always_inline)) inline void q_plane_sums(const QPlaneCall& c, const uint8_t* const* at, const __m512i* lanes, const int8_t* wk,
                                                         __m512i* acc) {
    #pragma GCC unroll 64
    for (int i = 0; i < KB * NB; i++) acc[i] = _mm512_setzero_si512();  // fully unrolled: acc stays in registers
    for (i64 q = 0; q < c.ngroups; q++) {
        const QPlaneGroup& gr = c.groups[q];
        const __m512i pattern = _mm512_set1_epi32(gr.pattern), shared = _mm512_add_epi8(pattern, lanes[0]);
        __m512i d[NB];
        #pragma GCC unroll 4
        for (int b = 0; b < NB; b++)
            d[b] = _mm512_permutex2var_epi8(_mm512_loadu_si512(at[b] + gr.off_a), SHARED ? shared : _mm512_add_epi8(pattern, lanes[b]),
                                            _mm512_loadu_si512(at[b] + gr.off_b));
        const int8_t* wq = wk + q * QSTEP;
        #pragma GCC unroll 16
        for (int kb = 0; kb < KB; kb++) {
            const __m512i w = q_bcast4(reinterpret_cast<const uint8_t*>(wq + 4 * kb));
            #pragma GCC unroll 4
            for (int b = 0; b < NB; b++) Q_DPBUSD(acc[kb * NB + b], d[b], w);
        }
    }
}

// Output channel k's F32 values of 16 int32 sums: dequantised, bias, ReLU where the call has it.
__attribute__((always_inline)) inline __m512 q_plane_dequant(const QPlaneCall& c, i64 k, __m512i sums) {
    __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(sums, _mm512_set1_epi32(c.corr[k]))), _mm512_set1_ps(c.scale[k]));
    if (c.bias) f = _mm512_add_ps(f, _mm512_set1_ps(c.bias[k]));
    return c.relu ? _mm512_max_ps(f, _mm512_setzero_ps()) : f;
}

// Positions [v0 * 16, v1 * 16) of the padded image xp, output channels [k0, k0 + KB), NB vectors at a time.
template <int KB, int NB>
inline void q_plane_run(const QPlaneCall& c, const uint8_t* xp, float* y, i64 k0, i64 v0, i64 v1) {
    const ConvShape& g = *c.g;
    const i64 ow = g.out_w(), P = g.out_h() * ow, pw = c.pw;
    const __m512i iota = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    const __m512i lanes[1] = {q_plane_lane_bytes()};
    // columns k0 .. k0 + KB - 1 lie in one panel (k0 is a multiple of 16): 4 bytes apart in each group
    const int8_t* wk = c.bp + (k0 / QPANEL) * c.panel_bytes + (k0 % QPANEL) * 4;
    for (i64 v = v0; v < v1; v += NB) {
        const int nb = (int)std::min<i64>(NB, v1 - v);
        __m512i acc[KB * NB];  // one-dimensional: GCC keeps it in registers
        const uint8_t* src[NB];
        #pragma GCC unroll 2
        for (int b = 0; b < NB; b++) src[b] = xp + (v + b) * 16;
        q_plane_sums<KB, NB, true>(c, src, lanes, wk, acc);
        #pragma GCC unroll 2
        for (int b = 0; b < NB; b++) {  // NB, not nb: a constant index keeps acc in registers
            if (b >= nb) break;
            // lanes on output positions: padded-row position -> (row, column), column < OW and inside the image
            const i64 p0 = (v + b) * 16;
            const __m512i pos = _mm512_add_epi32(_mm512_set1_epi32((int)p0), iota);
            const __m512i row = _mm512_cvttps_epi32(_mm512_div_ps(_mm512_cvtepi32_ps(pos), _mm512_set1_ps((float)pw)));
            const __m512i col = _mm512_sub_epi32(pos, _mm512_mullo_epi32(row, _mm512_set1_epi32((int)pw)));
            const __mmask16 keep = _mm512_cmplt_epi32_mask(col, _mm512_set1_epi32((int)ow))
                                   & _mm512_cmplt_epi32_mask(pos, _mm512_set1_epi32((int)c.positions));
            if (!keep) continue;
            const int first = __builtin_ctz(keep);
            const i64 at = ((p0 + first) / pw) * ow + (p0 + first) % pw;
            const __mmask16 out = (__mmask16)((1u << __builtin_popcount(keep)) - 1);
            #pragma GCC unroll 16
            for (int kb = 0; kb < KB; kb++)
                _mm512_mask_storeu_ps(y + (k0 + kb) * P + at, out, _mm512_maskz_compress_ps(keep, q_plane_dequant(c, k0 + kb, acc[kb * NB + b])));
        }
    }
}

template <int KB>
inline void q_plane_channels(const QPlaneCall& c, const uint8_t* xp, float* y, i64 k0, i64 v0, i64 v1) {
    if (KB <= 8) q_plane_run<KB, 2>(c, xp, y, k0, v0, v1);
    else q_plane_run<KB, 1>(c, xp, y, k0, v0, v1);
}

// Vectors [v0, v1) of one image, every output channel (16 at a time).
inline void q_plane_vectors(const QPlaneCall& c, const uint8_t* xp, float* y, i64 v0, i64 v1) {
    for (i64 k0 = 0; k0 < c.g->k; k0 += 16) {
        switch ((int)std::min<i64>(16, c.g->k - k0)) {
            case 1: q_plane_channels<1>(c, xp, y, k0, v0, v1); break;
            case 2: q_plane_channels<2>(c, xp, y, k0, v0, v1); break;
            case 3: q_plane_channels<3>(c, xp, y, k0, v0, v1); break;
            case 4: q_plane_channels<4>(c, xp, y, k0, v0, v1); break;
            case 5: q_plane_channels<5>(c, xp, y, k0, v0, v1); break;
            case 6: q_plane_channels<6>(c, xp, y, k0, v0, v1); break;
            case 7: q_plane_channels<7>(c, xp, y, k0, v0, v1); break;
            case 8: q_plane_channels<8>(c, xp, y, k0, v0, v1); break;
            case 9: q_plane_channels<9>(c, xp, y, k0, v0, v1); break;
            case 10: q_plane_channels<10>(c, xp, y, k0, v0, v1); break;
            case 11: q_plane_channels<11>(c, xp, y, k0, v0, v1); break;
            case 12: q_plane_channels<12>(c, xp, y, k0, v0, v1); break;
            case 13: q_plane_channels<13>(c, xp, y, k0, v0, v1); break;
            case 14: q_plane_channels<14>(c, xp, y, k0, v0, v1); break;
            case 15: q_plane_channels<15>(c, xp, y, k0, v0, v1); break;
            default: q_plane_channels<16>(c, xp, y, k0, v0, v1); break;
        }
    }
}

#pragma GCC pop_options
#else
inline bool q_plane_cpu() { return false; }
#endif

}  // namespace engine
