/*
 * pack_i8.c - the i8 path's panels: K is taken in pairs, and each pair of
 * i8 values is sign-extended to two int16 in one 32-bit unit (low half =
 * the even K).  vpmaddwd then multiplies a broadcast A unit by 8 B units and
 * adds each pair: 16 exact products per instruction, summed in int32 (it
 * cannot saturate: the only overflowing case, two (-32768)^2, needs 16-bit
 * inputs below -128).  With the pairs seen as 32-bit units the layouts are
 * those of the f32 path, so the same 8 x 8 transposes serve here.
 * A missing last value of an odd K block is zero.
 */
#include "gemm.h"

#define MR KB_GEMM_MR
#define NR KB_GEMM_NR

static inline int32_t unit(int8_t lo, int8_t hi)
{
    return (int32_t)((uint32_t)(uint16_t)(int16_t)lo | (uint32_t)(uint16_t)(int16_t)hi << 16);
}

/* Element `off` of `v`, or 0 when `valid` is false. */
static inline int8_t at(const kb_gemm_view *v, int64_t off, int valid)
{
    return valid ? ((const int8_t *)v->data)[off] : 0;
}

/* 16 i8 at p, sign-extended: 8 units of consecutive K pairs, as floats for
 * the shared transpose (bit patterns only, never used as numbers). */
static inline __m256 load_pairs8(const int8_t *p)
{
    return _mm256_castsi256_ps(_mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)p)));
}

/* --- A ------------------------------------------------------------------- */

static void a_panel_scalar(const kb_gemm_view *a, int64_t i0, int64_t rows, int64_t k0,
                           int64_t kc, int32_t *dst)
{
    for (int64_t k = 0; k < kc; k += 2) {
        for (int64_t r = 0; r < MR; r++) {
            int64_t off = (i0 + r) * a->rs + (k0 + k) * a->cs;
            dst[k / 2 * MR + r] = unit(at(a, off, r < rows), at(a, off + a->cs, r < rows && k + 1 < kc));
        }
    }
}

/* Not transposed: 16 K values of each row, 8 units, transposed per pair. */
static void a_panel_rows(const kb_gemm_view *a, int64_t i0, int64_t k0, int64_t kc, int32_t *dst)
{
    const int8_t *base = (const int8_t *)a->data + i0 * a->rs + k0;
    int64_t k = 0;
    for (; k + 16 <= kc; k += 16) {
        __m256 r[8];
        for (int i = 0; i < MR; i++)
            r[i] = load_pairs8(base + i * a->rs + k);
        r[6] = r[7] = _mm256_setzero_ps();
        kb_gemm_transpose8(r);
        for (int q = 0; q < 8; q++)
            kb_gemm_store6((float *)(dst + (k / 2 + q) * MR), r[q]);
    }
    if (k < kc)
        a_panel_scalar(a, i0, MR, k0 + k, kc - k, dst + k / 2 * MR);
}

/* Transposed: rows of K are contiguous along M; interleave two of them.
 * `panels` whole panels from row i0 (8 values readable for each), K pairs
 * outside so that each stored row is read once, in order (pack_f32.c). */
static void a_panels_cols(const kb_gemm_view *a, int64_t i0, int64_t panels, int64_t k0,
                          int64_t kc, int32_t *dst)
{
    const int64_t kp = (kc + 1) / 2;
    const int8_t *base = (const int8_t *)a->data + k0 * a->cs + i0;
    for (int64_t k = 0; k < kc; k += 2) {
        const int8_t *even_row = base + k * a->cs, *odd_row = base + (k + 1) * a->cs;
        for (int64_t p = 0; p < panels; p++) {
            __m128i even = _mm_loadl_epi64((const __m128i *)(even_row + p * MR));
            __m128i odd = k + 1 < kc ? _mm_loadl_epi64((const __m128i *)(odd_row + p * MR))
                                     : _mm_setzero_si128();
            __m256i units = _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(even, odd));
            kb_gemm_store6((float *)(dst + p * MR * kp + k / 2 * MR), _mm256_castsi256_ps(units));
        }
    }
}

void kb_gemm_pack_a_i8(const kb_gemm_view *a, int64_t i0, int64_t mc, int64_t k0, int64_t kc,
                       int32_t *dst)
{
    const int64_t kp = (kc + 1) / 2;
    int64_t p = 0;
    if (a->cs != 1 && a->rs == 1) {
        int64_t avail = a->rows - i0; /* whole panels that can read 8 values */
        p = avail < 8 ? 0 : kb_gemm_min(mc / MR, (avail - 8) / MR + 1);
        if (p > 0)
            a_panels_cols(a, i0, p, k0, kc, dst);
    }
    for (; p * MR < mc; p++) {
        int64_t i = i0 + p * MR, rows = kb_gemm_min(MR, mc - p * MR);
        int32_t *d = dst + p * MR * kp;
        if (rows == MR && a->cs == 1 && kc >= 16)
            a_panel_rows(a, i, k0, kc, d);
        else
            a_panel_scalar(a, i, rows, k0, kc, d);
    }
}

/* --- B ------------------------------------------------------------------- */

static void b_panel_scalar(const kb_gemm_view *b, int64_t k0, int64_t kc, int64_t j0,
                           int64_t cols, int32_t *dst)
{
    for (int64_t k = 0; k < kc; k += 2) {
        for (int64_t c = 0; c < NR; c++) {
            int64_t off = (k0 + k) * b->rs + (j0 + c) * b->cs;
            dst[k / 2 * NR + c] = unit(at(b, off, c < cols), at(b, off + b->rs, c < cols && k + 1 < kc));
        }
    }
}

/* Not transposed: two K rows of 16 columns, interleaved byte by byte. */
static void b_panel_rows(const kb_gemm_view *b, int64_t k0, int64_t kc, int64_t j0, int32_t *dst)
{
    const int8_t *base = (const int8_t *)b->data + k0 * b->rs + j0;
    for (int64_t k = 0; k < kc; k += 2) {
        __m128i even = _mm_loadu_si128((const __m128i *)(base + k * b->rs));
        __m128i odd = k + 1 < kc ? _mm_loadu_si128((const __m128i *)(base + (k + 1) * b->rs))
                                 : _mm_setzero_si128();
        int32_t *d = dst + k / 2 * NR;
        _mm256_store_si256((__m256i *)d, _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(even, odd)));
        _mm256_store_si256((__m256i *)(d + 8), _mm256_cvtepi8_epi16(_mm_unpackhi_epi8(even, odd)));
    }
}

/* Transposed: 16 K values of each column are 8 units; two 8 x 8 transposes. */
static void b_panel_cols(const kb_gemm_view *b, int64_t k0, int64_t kc, int64_t j0, int32_t *dst)
{
    const int8_t *base = (const int8_t *)b->data + j0 * b->cs + k0;
    int64_t k = 0;
    for (; k + 16 <= kc; k += 16) {
        __m256 lo[8], hi[8];
        for (int c = 0; c < 8; c++) {
            lo[c] = load_pairs8(base + c * b->cs + k);
            hi[c] = load_pairs8(base + (8 + c) * b->cs + k);
        }
        kb_gemm_transpose8(lo);
        kb_gemm_transpose8(hi);
        for (int q = 0; q < 8; q++) {
            _mm256_store_ps((float *)(dst + (k / 2 + q) * NR), lo[q]);
            _mm256_store_ps((float *)(dst + (k / 2 + q) * NR + 8), hi[q]);
        }
    }
    if (k < kc)
        b_panel_scalar(b, k0 + k, kc - k, j0, NR, dst + k / 2 * NR);
}

void kb_gemm_pack_b_i8(const kb_gemm_view *b, int64_t k0, int64_t kc, int64_t j0, int64_t nc,
                       int32_t *dst)
{
    const int64_t kp = (kc + 1) / 2;
    for (int64_t q = 0; q * NR < nc; q++) {
        int64_t j = j0 + q * NR, cols = kb_gemm_min(NR, nc - q * NR);
        int32_t *d = dst + q * NR * kp;
        if (cols == NR && b->cs == 1)
            b_panel_rows(b, k0, kc, j, d);
        else if (cols == NR && b->rs == 1 && kc >= 16)
            b_panel_cols(b, k0, kc, j, d);
        else
            b_panel_scalar(b, k0, kc, j, cols, d);
    }
}
