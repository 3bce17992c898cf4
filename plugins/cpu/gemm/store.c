/*
 * store.c - the epilogue: one register tile into C (or into the f32 partial
 * sums), as kb_gemm_out describes:  v = alpha (acc + add) + beta dst, in f32
 * with one FMA, then rounded to dst's dtype to nearest even (F16C's
 * vcvtps2ph for f16; the carry trick on the bit pattern for bf16).  Full
 * tiles go 8 lanes at a time; edge tiles (fewer rows or columns than the
 * tile) element by element, with the same operations.
 */
#include "gemm.h"

#define MR KB_GEMM_MR
#define NR KB_GEMM_NR

/* f32 bits -> bf16 bits, round to nearest even; NaN stays NaN (quiet). */
static inline uint16_t bf16_round(float f)
{
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    if ((x & 0x7FFFFFFFu) > 0x7F800000u)
        return (uint16_t)((x >> 16) | 0x40u);
    return (uint16_t)((x + 0x7FFFu + ((x >> 16) & 1u)) >> 16);
}

static inline __m128i bf16_round8(__m256 v)
{
    __m256i x = _mm256_castps_si256(v);
    __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(x, 16), _mm256_set1_epi32(1));
    __m256i r = _mm256_srli_epi32(_mm256_add_epi32(x, _mm256_add_epi32(lsb, _mm256_set1_epi32(0x7FFF))), 16);
    __m256i quiet = _mm256_or_si256(_mm256_srli_epi32(x, 16), _mm256_set1_epi32(0x40));
    __m256i nan = _mm256_castps_si256(_mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    r = _mm256_blendv_epi8(r, quiet, nan);
    /* Narrow: packus works per 128-bit lane, so gather the low halves. */
    __m256i packed = _mm256_packus_epi32(r, r);
    return _mm256_castsi256_si128(_mm256_permute4x64_epi64(packed, 0x08));
}

static inline void store8(void *p, kb_dtype t, int64_t off, __m256 v)
{
    if (t == KB_DTYPE_F32)
        _mm256_storeu_ps((float *)p + off, v);
    else if (t == KB_DTYPE_F16)
        _mm_storeu_si128((__m128i *)((uint16_t *)p + off),
                         _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    else
        _mm_storeu_si128((__m128i *)((uint16_t *)p + off), bf16_round8(v));
}

static inline void store1(void *p, kb_dtype t, int64_t off, float v)
{
    if (t == KB_DTYPE_F32)
        ((float *)p)[off] = v;
    else if (t == KB_DTYPE_F16)
        ((uint16_t *)p)[off] = (uint16_t)_cvtss_sh(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    else
        ((uint16_t *)p)[off] = bf16_round(v);
}

void kb_gemm_store_f32(const kb_gemm_out *o, int64_t i, int64_t j, int rows, int cols,
                       const float *acc)
{
    if (rows == MR && cols == NR) {
        const __m256 alpha = _mm256_set1_ps(o->alpha), beta = _mm256_set1_ps(o->beta);
        for (int r = 0; r < MR; r++) {
            for (int h = 0; h < NR; h += 8) {
                __m256 v = _mm256_loadu_ps(acc + r * NR + h);
                if (o->add)
                    v = _mm256_add_ps(v, _mm256_loadu_ps(o->add + (i + r) * o->add_ld + j + h));
                v = _mm256_mul_ps(alpha, v);
                int64_t off = (i + r) * o->ld + j + h;
                if (o->beta != 0.0f)
                    v = _mm256_fmadd_ps(beta, kb_gemm_load8(o->dst, o->dtype, off), v);
                store8(o->dst, o->dtype, off, v);
            }
        }
        return;
    }
    for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
            __m128 v = _mm_set_ss(acc[r * NR + c]);
            if (o->add)
                v = _mm_add_ss(v, _mm_set_ss(o->add[(i + r) * o->add_ld + j + c]));
            v = _mm_mul_ss(_mm_set_ss(o->alpha), v);
            int64_t off = (i + r) * o->ld + j + c;
            if (o->beta != 0.0f)
                v = _mm_fmadd_ss(_mm_set_ss(o->beta), _mm_set_ss(kb_gemm_load1(o->dst, o->dtype, off)), v);
            store1(o->dst, o->dtype, off, _mm_cvtss_f32(v));
        }
    }
}

void kb_gemm_store_i32(int32_t *c, int64_t ldc, int accumulate, int64_t i, int64_t j, int rows,
                       int cols, const int32_t *acc, const int32_t *colsum)
{
    /* the bias of the quad path: 128 * colsum, modulo 2^32 like the rest */
    uint32_t bias[NR] = {0};
    if (colsum)
        for (int k = 0; k < NR; k++)
            bias[k] = (uint32_t)colsum[k] << 7;
    if (rows == MR && cols == NR) {
        const __m256i bias0 = _mm256_loadu_si256((const __m256i *)bias);
        const __m256i bias1 = _mm256_loadu_si256((const __m256i *)(bias + 8));
        for (int r = 0; r < MR; r++) {
            for (int h = 0; h < NR; h += 8) {
                __m256i *dst = (__m256i *)(c + (i + r) * ldc + j + h);
                __m256i v = _mm256_loadu_si256((const __m256i *)(acc + r * NR + h));
                v = _mm256_sub_epi32(v, h ? bias1 : bias0); /* all wrap */
                if (accumulate)
                    v = _mm256_add_epi32(v, _mm256_loadu_si256(dst));
                _mm256_storeu_si256(dst, v);
            }
        }
        return;
    }
    for (int r = 0; r < rows; r++) {
        int32_t *row = c + (i + r) * ldc + j;
        for (int k = 0; k < cols; k++) {
            uint32_t v = (uint32_t)acc[r * NR + k] - bias[k];
            if (accumulate)
                v += (uint32_t)row[k];
            row[k] = (int32_t)v; /* two's complement wrap (GCC and Clang define it) */
        }
    }
}
