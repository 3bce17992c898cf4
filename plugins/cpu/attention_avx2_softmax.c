/*
 * attention_avx2_softmax.c - the online-softmax step of the flash kernel on
 * one panel of 16 query rows (layout in attention_avx2.h), with a vectorised
 * exp.
 */
#include <immintrin.h>
#include <math.h>

#include "attention_avx2.h"

/* e^x for x <= 0 (the only arguments here: s - max and m_old - m_new).
 * x = n ln2 + r with n = round(x log2(e)) and r reduced in two FMA steps
 * (ln2 split in a high and a low part), so r is accurate to its own last
 * bit whatever |x|; e^r, |r| <= ln2/2, by a degree-6 polynomial (a
 * Chebyshev-node fit made for this file: relative error 2.0e-8, under half
 * an f32 ulp); 2^n goes in the exponent field.  x is clamped at -88, where
 * n = -127 and the exponent field is 0: the result is exactly +0, which is
 * what -inf (a masked score) must give.  (A cheaper 2^(x log2(e)) rounds the
 * product at the magnitude of x and was 3 ulp off for |x| ~ 5, which large
 * values of V showed as 2-4x the reference's error in f32.) */
static inline __m256 exp_nonpos(__m256 x)
{
    x = _mm256_max_ps(x, _mm256_set1_ps(-88.0f));
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(6.93147182464599609375e-01f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-1.904654212e-09f), r);
    __m256 p = _mm256_set1_ps(1.394110848e-03f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.375125937e-03f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.166635126e-02f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.666641533e-01f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    const __m256i e = _mm256_slli_epi32(
        _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

void kb_flash_softmax_panel(float *st, int64_t nk, int64_t lim, float *m, float *l,
                            float *alpha)
{
    const __m256 ninf = _mm256_set1_ps(-INFINITY);
    /* Keys up to lim are visible to every lane; beyond it, lane r sees key j
     * only if j - lim <= r.  Only the diagonal keys pay for the mask. */
    int64_t unmasked = lim + 1 < 0 ? 0 : lim + 1 > nk ? nk : lim + 1;
    __m256 mx0 = ninf, mx1 = ninf;
    int64_t j = 0;
    for (; j < unmasked; j++) {
        mx0 = _mm256_max_ps(mx0, _mm256_load_ps(st + j * KB_FLASH_PANEL));
        mx1 = _mm256_max_ps(mx1, _mm256_load_ps(st + j * KB_FLASH_PANEL + 8));
    }
    const __m256i lanes0 = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i lanes1 = _mm256_setr_epi32(8, 9, 10, 11, 12, 13, 14, 15);
    for (; j < nk; j++) {
        /* j - lim > 0 here and <= 16 while any lane can see key j; clamp so
         * that keys far past every lane stay masked without overflow. */
        int64_t t = j - lim > 16 ? 16 : j - lim;
        const __m256i tv = _mm256_set1_epi32((int)t);
        const __m256 hide0 = _mm256_castsi256_ps(_mm256_cmpgt_epi32(tv, lanes0));
        const __m256 hide1 = _mm256_castsi256_ps(_mm256_cmpgt_epi32(tv, lanes1));
        float *s = st + j * KB_FLASH_PANEL;
        const __m256 s0 = _mm256_blendv_ps(_mm256_load_ps(s), ninf, hide0);
        const __m256 s1 = _mm256_blendv_ps(_mm256_load_ps(s + 8), ninf, hide1);
        _mm256_store_ps(s, s0);
        _mm256_store_ps(s + 8, s1);
        mx0 = _mm256_max_ps(mx0, s0);
        mx1 = _mm256_max_ps(mx1, s1);
    }

    const __m256 m_old0 = _mm256_load_ps(m), m_old1 = _mm256_load_ps(m + 8);
    const __m256 m_new0 = _mm256_max_ps(m_old0, mx0), m_new1 = _mm256_max_ps(m_old1, mx1);
    /* A lane with no visible key so far subtracts 0 instead of -inf, so that
     * -inf - m stays -inf (p = 0) rather than NaN. */
    const __m256 zero = _mm256_setzero_ps();
    const __m256 sub0 = _mm256_blendv_ps(m_new0, zero, _mm256_cmp_ps(m_new0, ninf, _CMP_EQ_OQ));
    const __m256 sub1 = _mm256_blendv_ps(m_new1, zero, _mm256_cmp_ps(m_new1, ninf, _CMP_EQ_OQ));
    const __m256 al0 = exp_nonpos(_mm256_sub_ps(m_old0, sub0));
    const __m256 al1 = exp_nonpos(_mm256_sub_ps(m_old1, sub1));

    __m256 sum0 = zero, sum1 = zero;
    for (j = 0; j < nk; j++) {
        float *s = st + j * KB_FLASH_PANEL;
        const __m256 p0 = exp_nonpos(_mm256_sub_ps(_mm256_load_ps(s), sub0));
        const __m256 p1 = exp_nonpos(_mm256_sub_ps(_mm256_load_ps(s + 8), sub1));
        _mm256_store_ps(s, p0);
        _mm256_store_ps(s + 8, p1);
        sum0 = _mm256_add_ps(sum0, p0);
        sum1 = _mm256_add_ps(sum1, p1);
    }
    _mm256_store_ps(l, _mm256_fmadd_ps(_mm256_load_ps(l), al0, sum0));
    _mm256_store_ps(l + 8, _mm256_fmadd_ps(_mm256_load_ps(l + 8), al1, sum1));
    _mm256_store_ps(m, m_new0);
    _mm256_store_ps(m + 8, m_new1);
    _mm256_store_ps(alpha, al0);
    _mm256_store_ps(alpha + 8, al1);
}
