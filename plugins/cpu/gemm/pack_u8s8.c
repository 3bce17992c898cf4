/*
 * pack_u8s8.c - the i8 panels for CPUs with AVX-VNNI: K in quads, for
 * vpdpbusd, which multiplies 4 unsigned bytes by 4 signed bytes and adds the
 * four products to an int32 lane, exactly and without saturation (unlike
 * vpmaddubsw's 16-bit pair sums).  Its first operand must be unsigned, so A
 * is stored biased, a + 128 in [0, 255] (a byte's top bit flipped), and
 *   sum_k (a + 128) b = sum_k a b + 128 sum_k b,
 * so each B panel also gets its column sums over the K block, which the
 * store takes off (times 128) every C element of the column.  All of it is
 * int32 arithmetic modulo 2^32, so the result is exact whenever A B fits.
 * Units are 4 bytes: A unit (t, r) = rows r's K values 4t .. 4t+3, at
 * t * MR + r of its panel; B unit (t, c) likewise at t * NR + c.  K past the
 * block is a = 0 (byte 0x80) in A and 0 in B, adding nothing to either sum.
 * Compiled with -mavxvnni (the column sums use vpdpbusd too).
 */
#include "gemm.h"

#define MR KB_GEMM_MR
#define NR KB_GEMM_NR

static inline uint32_t bias_quad(const kb_gemm_view *v, int64_t off, int64_t step, int64_t n,
                                 int valid)
{
    uint32_t u = 0x80808080u;
    for (int64_t q = 0; q < n && valid; q++)
        u ^= (uint32_t)(uint8_t)((const int8_t *)v->data)[off + q * step] << (8 * q);
    return u;
}

static inline uint32_t plain_quad(const kb_gemm_view *v, int64_t off, int64_t step, int64_t n,
                                  int valid, int32_t *sum)
{
    uint32_t u = 0;
    for (int64_t q = 0; q < n && valid; q++) {
        int8_t x = ((const int8_t *)v->data)[off + q * step];
        u |= (uint32_t)(uint8_t)x << (8 * q);
        *sum += x;
    }
    return u;
}

/* --- A ------------------------------------------------------------------- */

static void a_panel_scalar(const kb_gemm_view *a, int64_t i0, int64_t rows, int64_t k0,
                           int64_t kc, int32_t *dst)
{
    for (int64_t k = 0; k < kc; k += 4)
        for (int64_t r = 0; r < MR; r++)
            dst[k / 4 * MR + r] = (int32_t)bias_quad(a, (i0 + r) * a->rs + (k0 + k) * a->cs, a->cs,
                                                     kb_gemm_min(4, kc - k), r < rows);
}

/* Not transposed: 32 K values of a row are 8 units; 6 rows transposed. */
static void a_panel_rows(const kb_gemm_view *a, int64_t i0, int64_t k0, int64_t kc, int32_t *dst)
{
    const int8_t *base = (const int8_t *)a->data + i0 * a->rs + k0;
    const __m256i bias = _mm256_set1_epi8((char)0x80);
    int64_t k = 0;
    for (; k + 32 <= kc; k += 32) {
        __m256 r[8];
        for (int i = 0; i < MR; i++)
            r[i] = _mm256_castsi256_ps(_mm256_xor_si256(
                _mm256_loadu_si256((const __m256i *)(base + i * a->rs + k)), bias));
        r[6] = r[7] = _mm256_setzero_ps();
        kb_gemm_transpose8(r);
        for (int q = 0; q < 8; q++)
            kb_gemm_store6((float *)(dst + (k / 4 + q) * MR), r[q]);
    }
    if (k < kc)
        a_panel_scalar(a, i0, MR, k0 + k, kc - k, dst + k / 4 * MR);
}

/* Four stored rows of 8 bytes -> 8 units of 4 (byte q of unit c = row q's
 * byte c). */
static inline __m256i quads8(__m128i r0, __m128i r1, __m128i r2, __m128i r3)
{
    __m128i r01 = _mm_unpacklo_epi8(r0, r1), r23 = _mm_unpacklo_epi8(r2, r3);
    return _mm256_set_m128i(_mm_unpackhi_epi16(r01, r23), _mm_unpacklo_epi16(r01, r23));
}

/* Transposed: 4 rows of K, contiguous along M, per quad; `panels` whole
 * panels from row i0 (8 values readable for each); K outside (pack_f32.c). */
static void a_panels_cols(const kb_gemm_view *a, int64_t i0, int64_t panels, int64_t k0,
                          int64_t kc, int32_t *dst)
{
    const int64_t kq = (kc + 3) / 4;
    const __m256i bias = _mm256_set1_epi8((char)0x80);
    const int8_t *base = (const int8_t *)a->data + k0 * a->cs + i0;
    for (int64_t k = 0; k < kc; k += 4) {
        const int8_t *row[4];
        for (int q = 0; q < 4; q++)
            row[q] = base + (k + q) * a->cs;
        for (int64_t p = 0; p < panels; p++) {
            __m128i r[4];
            for (int q = 0; q < 4; q++)
                r[q] = k + q < kc ? _mm_loadl_epi64((const __m128i *)(row[q] + p * MR))
                                  : _mm_setzero_si128();
            __m256i units = _mm256_xor_si256(quads8(r[0], r[1], r[2], r[3]), bias);
            kb_gemm_store6((float *)(dst + p * MR * kq + k / 4 * MR), _mm256_castsi256_ps(units));
        }
    }
}

void kb_gemm_pack_a_u8q(const kb_gemm_view *a, int64_t i0, int64_t mc, int64_t k0, int64_t kc,
                        int32_t *dst)
{
    const int64_t kq = (kc + 3) / 4;
    int64_t p = 0;
    if (a->cs != 1 && a->rs == 1) {
        int64_t avail = a->rows - i0; /* whole panels that can read 8 values */
        p = avail < 8 ? 0 : kb_gemm_min(mc / MR, (avail - 8) / MR + 1);
        if (p > 0)
            a_panels_cols(a, i0, p, k0, kc, dst);
    }
    for (; p * MR < mc; p++) {
        int64_t i = i0 + p * MR, rows = kb_gemm_min(MR, mc - p * MR);
        int32_t *d = dst + p * MR * kq;
        if (rows == MR && a->cs == 1 && kc >= 32)
            a_panel_rows(a, i, k0, kc, d);
        else
            a_panel_scalar(a, i, rows, k0, kc, d);
    }
}

/* --- B ------------------------------------------------------------------- */

static void b_panel_scalar(const kb_gemm_view *b, int64_t k0, int64_t kc, int64_t j0,
                           int64_t cols, int32_t *dst, int32_t *colsum)
{
    for (int64_t c = 0; c < NR; c++) {
        int32_t sum = 0;
        for (int64_t k = 0; k < kc; k += 4)
            dst[k / 4 * NR + c] = (int32_t)plain_quad(b, (k0 + k) * b->rs + (j0 + c) * b->cs, b->rs,
                                                      kb_gemm_min(4, kc - k), c < cols, &sum);
        colsum[c] = sum;
    }
}

/* Not transposed: 4 rows of 16 columns per quad, interleaved byte-wise. */
static void b_panel_rows(const kb_gemm_view *b, int64_t k0, int64_t kc, int64_t j0, int32_t *dst,
                         int32_t *colsum)
{
    const int8_t *base = (const int8_t *)b->data + k0 * b->rs + j0;
    const __m256i ones = _mm256_set1_epi8(1);
    __m256i sum0 = _mm256_setzero_si256(), sum1 = sum0;
    for (int64_t k = 0; k < kc; k += 4) {
        __m128i r[4];
        for (int q = 0; q < 4; q++)
            r[q] = k + q < kc ? _mm_loadu_si128((const __m128i *)(base + (k + q) * b->rs))
                              : _mm_setzero_si128();
        __m256i lo = quads8(r[0], r[1], r[2], r[3]);
        __m256i hi = quads8(_mm_unpackhi_epi64(r[0], r[0]), _mm_unpackhi_epi64(r[1], r[1]),
                            _mm_unpackhi_epi64(r[2], r[2]), _mm_unpackhi_epi64(r[3], r[3]));
        _mm256_store_si256((__m256i *)(dst + k / 4 * NR), lo);
        _mm256_store_si256((__m256i *)(dst + k / 4 * NR + 8), hi);
        sum0 = _mm256_dpbusd_avx_epi32(sum0, ones, lo);
        sum1 = _mm256_dpbusd_avx_epi32(sum1, ones, hi);
    }
    _mm256_storeu_si256((__m256i *)colsum, sum0);
    _mm256_storeu_si256((__m256i *)(colsum + 8), sum1);
}

/* Transposed: 32 K values of a column are 8 units; two 8 x 8 transposes. */
static void b_panel_cols(const kb_gemm_view *b, int64_t k0, int64_t kc, int64_t j0, int32_t *dst,
                         int32_t *colsum)
{
    const int8_t *base = (const int8_t *)b->data + j0 * b->cs + k0;
    const __m256i ones = _mm256_set1_epi8(1);
    __m256i sum0 = _mm256_setzero_si256(), sum1 = sum0;
    int64_t k = 0;
    for (; k + 32 <= kc; k += 32) {
        __m256 lo[8], hi[8];
        for (int c = 0; c < 8; c++) {
            lo[c] = _mm256_castsi256_ps(_mm256_loadu_si256((const __m256i *)(base + c * b->cs + k)));
            hi[c] = _mm256_castsi256_ps(
                _mm256_loadu_si256((const __m256i *)(base + (8 + c) * b->cs + k)));
        }
        kb_gemm_transpose8(lo);
        kb_gemm_transpose8(hi);
        for (int q = 0; q < 8; q++) {
            __m256i l = _mm256_castps_si256(lo[q]), h = _mm256_castps_si256(hi[q]);
            _mm256_store_si256((__m256i *)(dst + (k / 4 + q) * NR), l);
            _mm256_store_si256((__m256i *)(dst + (k / 4 + q) * NR + 8), h);
            sum0 = _mm256_dpbusd_avx_epi32(sum0, ones, l);
            sum1 = _mm256_dpbusd_avx_epi32(sum1, ones, h);
        }
    }
    _mm256_storeu_si256((__m256i *)colsum, sum0);
    _mm256_storeu_si256((__m256i *)(colsum + 8), sum1);
    if (k < kc) {
        int32_t rest[NR];
        b_panel_scalar(b, k0 + k, kc - k, j0, NR, dst + k / 4 * NR, rest);
        for (int c = 0; c < NR; c++)
            colsum[c] += rest[c];
    }
}

void kb_gemm_pack_b_s8q(const kb_gemm_view *b, int64_t k0, int64_t kc, int64_t j0, int64_t nc,
                        int32_t *dst, int32_t *colsum)
{
    const int64_t kq = (kc + 3) / 4;
    for (int64_t q = 0; q * NR < nc; q++) {
        int64_t j = j0 + q * NR, cols = kb_gemm_min(NR, nc - q * NR);
        int32_t *d = dst + q * NR * kq, *s = colsum + q * NR;
        if (cols == NR && b->cs == 1)
            b_panel_rows(b, k0, kc, j, d, s);
        else if (cols == NR && b->rs == 1 && kc >= 32)
            b_panel_cols(b, k0, kc, j, d, s);
        else
            b_panel_scalar(b, k0, kc, j, cols, d, s);
    }
}
