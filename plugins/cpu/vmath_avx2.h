/*
 * vmath_avx2.h - small AVX2/FMA/F16C helpers the cpu plugin's *_avx2.c files
 * share: a vector exp, horizontal reductions, and 8-wide loads and stores of
 * f32 / f16 / bf16 rows (whole vectors, partial vectors, streaming stores).
 * Only files compiled with -mavx2 -mfma -mf16c include it.
 */
#ifndef KB_CPU_VMATH_AVX2_H
#define KB_CPU_VMATH_AVX2_H

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include <kbench/types.h>

#include "caches.h"

#define KB_AVX2_INLINE static inline __attribute__((always_inline))

/* ---- exp ------------------------------------------------------------------ */

/* 2^(d k) for d k <= 0: softmax's exponentials, with d = x - max and
 * k = scale log2(e).  d k = n + f with n = rne(d k) and |f| <= 1/2: one FMA
 * rounds d k + (1.5 2^23 + 127) to an integer, leaving n + 127 in the low
 * mantissa bits, and a second gives f = d k - n with a single rounding.
 * 2^f is a degree-6 polynomial fitted here for relative error (0.66 ulp
 * evaluated in f32 by Horner); 2^n comes from the bits.  d is clamped at
 * lo = -127 / k first: there n + 127 = 0 makes the 2^n bits 0, exactly 0 for
 * masked (-inf) entries without a blend (results below 2^-126 may flush to 0:
 * an absolute error under 2^-126, nothing next to softmax outputs).  NaN:
 * `nan_to_zero` gives 0 (maxps returns its second operand when one is NaN:
 * here the bound), otherwise NaN passes through (the bound first), so that a
 * NaN input shows up in a sum of exps.  d k = 0 gives exactly 1.
 * The cost is the op count: 13 FP ops, and the FMA and add pipes together
 * sustain under 3 ops a cycle on this mix here.  Few constants on purpose:
 * with two vectors in flight the loops keep everything in 16 registers. */
KB_AVX2_INLINE __m256 kb_exp2_prod_ps(__m256 d, __m256 k, __m256 lo, int nan_to_zero)
{
    const __m256 magic = _mm256_set1_ps(12582912.0f + 127.0f); /* 1.5 * 2^23 + bias */
    d = nan_to_zero ? _mm256_max_ps(d, lo) : _mm256_max_ps(lo, d);
    __m256 t = _mm256_fmadd_ps(d, k, magic);
    __m256 f = _mm256_fmsub_ps(d, k, _mm256_sub_ps(t, magic));
    __m256 p = _mm256_set1_ps(0x1.41fbbap-13f);
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(0x1.5f3e54p-10f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(0x1.3b2d4cp-7f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(0x1.c6aee8p-5f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(0x1.ebfbdcp-3f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(0x1.62e43p-1f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.0f));
    __m256 pow2n = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(t), 23));
    return _mm256_mul_ps(p, pow2n);
}

/* ---- horizontal reductions -------------------------------------------------- */

KB_AVX2_INLINE float kb_hmax_ps(__m256 v)
{
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
}

KB_AVX2_INLINE float kb_hmin_ps(__m256 v)
{
    __m128 m = _mm_min_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_min_ps(m, _mm_movehl_ps(m, m));
    m = _mm_min_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
}

KB_AVX2_INLINE float kb_hsum_ps(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* ---- f32 -> 16-bit floats ------------------------------------------------------ */

/* NaN lanes replaced by the quiet NaN 0x7FC00000 with their sign: its f16 and
 * bf16 conversions are the canonical codes 0x7E00 / 0x7FC0 (sign kept), and
 * the integer bf16 rounding below cannot carry a NaN into infinity. */
KB_AVX2_INLINE __m256 kb_canonical_nan_ps(__m256 v)
{
    __m256 nan = _mm256_or_ps(_mm256_and_ps(v, _mm256_set1_ps(-0.0f)),
                              _mm256_castsi256_ps(_mm256_set1_epi32(0x7FC00000)));
    return _mm256_blendv_ps(v, nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
}

/* bf16 bits (in the low half of each 32-bit lane) of v, round to nearest
 * even: add 0x7FFF plus the lowest kept bit, then drop 16 bits.  Carries move
 * into the exponent as they should (up to infinity).  v must hold no
 * signalling NaN (kb_canonical_nan_ps). */
KB_AVX2_INLINE __m256i kb_bf16_bits_epi32(__m256 v)
{
    __m256i b = _mm256_castps_si256(v);
    __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(b, 16), _mm256_set1_epi32(1));
    b = _mm256_add_epi32(b, _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7FFF)));
    return _mm256_srli_epi32(b, 16);
}

/* Eight 32-bit lanes holding values < 65536 -> eight uint16 in order. */
KB_AVX2_INLINE __m128i kb_pack_u16(__m256i v)
{
    return _mm_packus_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
}

/* ---- 8-wide row access by dtype (f32, f16, bf16) ----------------------------------- */

/* Eight elements of row x starting at j, as f32. */
KB_AVX2_INLINE __m256 kb_load8(kb_dtype t, const void *x, int64_t j)
{
    if (t == KB_DTYPE_F32)
        return _mm256_loadu_ps((const float *)x + j);
    __m128i h = _mm_loadu_si128((const __m128i *)((const uint16_t *)x + j));
    if (t == KB_DTYPE_F16)
        return _mm256_cvtph_ps(h);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

/* n (0..8) elements of x from j; the missing lanes read as `fill` (as f32). */
KB_AVX2_INLINE __m256 kb_load_part(kb_dtype t, const void *x, int64_t j, int64_t n, float fill)
{
    float buf[8];
    for (int i = 0; i < 8; i++)
        buf[i] = fill;
    if (t == KB_DTYPE_F32) {
        memcpy(buf, (const float *)x + j, (size_t)n * sizeof(float));
        return _mm256_loadu_ps(buf);
    }
    uint16_t h[8] = {0};
    memcpy(h, (const uint16_t *)x + j, (size_t)n * sizeof(uint16_t));
    __m256 v = kb_load8(t, h, 0);
    __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    __m256 keep = _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), lane));
    return _mm256_blendv_ps(_mm256_loadu_ps(buf), v, keep);
}

/* v converted to dtype t (round to nearest even, non-saturating) as 8 raw
 * 16-bit codes. */
KB_AVX2_INLINE __m128i kb_to16(kb_dtype t, __m256 v)
{
    if (t == KB_DTYPE_F16)
        return _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT);
    return kb_pack_u16(kb_bf16_bits_epi32(kb_canonical_nan_ps(v)));
}

/* Store 8 elements at y + j.  `stream`: a non-temporal store, which needs y + j
 * 32-byte aligned (f32) or 16-byte aligned (16-bit). */
KB_AVX2_INLINE void kb_store8(kb_dtype t, void *y, int64_t j, __m256 v, int stream)
{
    if (t == KB_DTYPE_F32) {
        float *p = (float *)y + j;
        if (stream)
            _mm256_stream_ps(p, v);
        else
            _mm256_storeu_ps(p, v);
        return;
    }
    __m128i h = kb_to16(t, v);
    __m128i *p = (__m128i *)((uint16_t *)y + j);
    if (stream)
        _mm_stream_si128(p, h);
    else
        _mm_storeu_si128(p, h);
}

/* Store the first n (0..8) lanes of v at y + j. */
KB_AVX2_INLINE void kb_store_part(kb_dtype t, void *y, int64_t j, int64_t n, __m256 v)
{
    if (t == KB_DTYPE_F32) {
        float buf[8];
        _mm256_storeu_ps(buf, v);
        memcpy((float *)y + j, buf, (size_t)n * sizeof(float));
        return;
    }
    uint16_t buf[8];
    _mm_storeu_si128((__m128i *)buf, kb_to16(t, v));
    memcpy((uint16_t *)y + j, buf, (size_t)n * sizeof(uint16_t));
}

/* ---- when to stream ------------------------------------------------------------------ */

/* Non-temporal stores skip the read-for-ownership of each output line and
 * keep the output from evicting the input, which pays when the problem lives
 * in DRAM; when it fits the last-level cache (the harness then rotates input
 * sets that stay cached) they would push the output out to DRAM for nothing.
 * So: stream when inputs plus outputs exceed half the LLC and every output
 * row starts 32-byte aligned. */
static inline int kb_avx2_should_stream(double bytes, const void *out, int64_t row_bytes)
{
    return bytes > 0.5 * (double)kb_cpu_llc_bytes() && ((uintptr_t)out % 32) == 0 &&
           row_bytes % 32 == 0;
}

#endif /* KB_CPU_VMATH_AVX2_H */
