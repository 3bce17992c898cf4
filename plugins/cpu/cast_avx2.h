/*
 * cast_avx2.h - f32 -> f16 / bf16 / e4m3 / e5m2 on 8 lanes, bit-exact with
 * kbench/convert.h's encoder (round to nearest even, subnormals, OCP
 * overflow rules, saturating or not, canonical NaN codes with the input's
 * sign).  Used by quantize_avx2.c; header-only so a test can include it.
 */
#ifndef KB_CPU_CAST_AVX2_H
#define KB_CPU_CAST_AVX2_H

#include "vmath_avx2.h"

/* Saturating casts clamp x to +-max first: every finite value beyond max
 * would round to max or overflow, and +-inf clamps too; NaN passes (minps and
 * maxps return their second operand when one is NaN). */
KB_AVX2_INLINE __m256 kb_clamp_abs_ps(__m256 v, float max)
{
    v = _mm256_min_ps(_mm256_set1_ps(max), v);
    return _mm256_max_ps(_mm256_set1_ps(-max), v);
}

/* f16 codes: F16C rounds to nearest even (imm 0) with IEEE overflow to inf;
 * NaN inputs are made canonical first so the code is sign | 0x7E00. */
KB_AVX2_INLINE __m128i kb_cast_f16(__m256 v, int saturate)
{
    if (saturate)
        v = kb_clamp_abs_ps(v, 65504.0f);
    return _mm256_cvtps_ph(kb_canonical_nan_ps(v), _MM_FROUND_TO_NEAREST_INT);
}

/* bf16 codes in the low half of each 32-bit lane.  0x7F7F0000 is bf16's
 * largest finite value as an f32. */
KB_AVX2_INLINE __m256i kb_cast_bf16(__m256 v, int saturate)
{
    if (saturate) {
        float max;
        uint32_t bits = 0x7F7F0000u;
        memcpy(&max, &bits, sizeof max);
        v = kb_clamp_abs_ps(v, max);
    }
    return kb_bf16_bits_epi32(kb_canonical_nan_ps(v));
}

/* An OCP fp8 format: mantissa bits, bias, codes of the largest finite value,
 * of the non-saturating overflow result (inf for e5m2, NaN for e4m3) and of
 * NaN, all positive. */
typedef struct kb_fp8_fmt {
    int mbits, bias;
    int max_code, overflow_code, nan_code;
} kb_fp8_fmt;

static const kb_fp8_fmt KB_FP8_E4M3 = {3, 7, 0x7E, 0x7F, 0x7F};
static const kb_fp8_fmt KB_FP8_E5M2 = {2, 15, 0x7B, 0x7C, 0x7E};

/* fp8 codes in the low byte of each 32-bit lane.
 *   normal results (|x| >= the format's smallest normal): round the f32 bits
 *     at the format's mantissa width (add half an ulp minus one, plus the
 *     kept lsb: ties to even), then rebias the exponent; a carry into the next
 *     binade or beyond the largest code is handled by the same arithmetic;
 *   subnormal results: |x| + M with M = 2^(23 + emin - mbits) makes the f32
 *     adder round |x| to a multiple of the format's quantum (ties to even
 *     under the default rounding mode); the code is the number of quanta,
 *     bits(|x| + M) - bits(M), up to the smallest normal's code;
 *   codes above max (inf included) overflow, NaN gives the NaN code; the
 *     sign goes to bit 7. */
KB_AVX2_INLINE __m256i kb_cast_fp8(__m256 v, kb_fp8_fmt f, int saturate)
{
    const int shift = 23 - f.mbits;
    __m256i bits = _mm256_castps_si256(v);
    __m256i abits = _mm256_and_si256(bits, _mm256_set1_epi32(0x7FFFFFFF));
    __m256i sign = _mm256_and_si256(_mm256_srli_epi32(bits, 24), _mm256_set1_epi32(0x80));

    __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(abits, shift), _mm256_set1_epi32(1));
    __m256i rounded = _mm256_add_epi32(abits, _mm256_add_epi32(lsb, _mm256_set1_epi32((1 << (shift - 1)) - 1)));
    __m256i normal = _mm256_sub_epi32(_mm256_srli_epi32(rounded, shift),
                                      _mm256_set1_epi32((127 - f.bias) << f.mbits));

    int emin = 1 - f.bias;
    uint32_t magic_bits = (uint32_t)(127 + 23 + emin - f.mbits) << 23;
    float magic;
    memcpy(&magic, &magic_bits, sizeof magic);
    __m256 sum = _mm256_add_ps(_mm256_castsi256_ps(abits), _mm256_set1_ps(magic));
    __m256i sub = _mm256_sub_epi32(_mm256_castps_si256(sum), _mm256_set1_epi32((int)magic_bits));

    __m256i min_normal = _mm256_set1_epi32((127 + emin) << 23);
    __m256i is_sub = _mm256_cmpgt_epi32(min_normal, abits);
    __m256i code = _mm256_blendv_epi8(normal, sub, is_sub);

    __m256i over = _mm256_cmpgt_epi32(code, _mm256_set1_epi32(f.max_code));
    code = _mm256_blendv_epi8(code, _mm256_set1_epi32(saturate ? f.max_code : f.overflow_code), over);
    __m256i nan = _mm256_cmpgt_epi32(abits, _mm256_set1_epi32(0x7F800000));
    code = _mm256_blendv_epi8(code, _mm256_set1_epi32(f.nan_code), nan);
    return _mm256_or_si256(code, sign);
}

/* Four vectors of 32-bit codes (each < 256) -> 32 bytes in order. */
KB_AVX2_INLINE __m256i kb_pack_u8x32(__m256i a, __m256i b, __m256i c, __m256i d)
{
    __m256i ab = _mm256_packus_epi32(a, b), cd = _mm256_packus_epi32(c, d);
    __m256i p = _mm256_packus_epi16(ab, cd);
    return _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

/* Two vectors of 32-bit codes (each < 65536) -> 16 uint16 in order. */
KB_AVX2_INLINE __m256i kb_pack_u16x16(__m256i a, __m256i b)
{
    return _mm256_permute4x64_epi64(_mm256_packus_epi32(a, b), 0xD8);
}

#endif /* KB_CPU_CAST_AVX2_H */
