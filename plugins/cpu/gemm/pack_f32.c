/*
 * pack_f32.c - copy blocks of op(A) and op(B) into the panel layouts the
 * 6 x 16 micro-kernel streams through (see gemm.h), decoding f16 (F16C) and
 * bf16 (a 16-bit shift) to f32 on the way, so the micro-kernel only ever
 * sees f32.  Packing is O(MK + KN) against the O(MNK) product, but a scalar
 * loop would still cost ~10% at 2048^3, so the common layouts are vector
 * loads plus 8 x 8 transposes where the stored direction is not the panel's.
 * Edge panels (fewer than MR rows / NR columns) go element by element and
 * are zero-filled.
 */
#include "gemm.h"

#define MR KB_GEMM_MR
#define NR KB_GEMM_NR
#define INLINE static inline __attribute__((always_inline))

/* Call body(dtype, ...) with the dtype as a constant, so each specialised
 * copy has its conversion inlined and no per-element branch. */
#define BY_DTYPE(t, body, ...)                                                           \
    do {                                                                                 \
        if ((t) == KB_DTYPE_F16)                                                         \
            body(KB_DTYPE_F16, __VA_ARGS__);                                             \
        else if ((t) == KB_DTYPE_BF16)                                                   \
            body(KB_DTYPE_BF16, __VA_ARGS__);                                            \
        else                                                                             \
            body(KB_DTYPE_F32, __VA_ARGS__);                                             \
    } while (0)

/* --- A: MR-row panels, (k, r) at k * MR + r -------------------------------- */

static void a_panel_scalar(const kb_gemm_view *a, int64_t i0, int64_t rows, int64_t k0,
                           int64_t kc, float *dst)
{
    for (int64_t k = 0; k < kc; k++)
        for (int64_t r = 0; r < MR; r++)
            dst[k * MR + r] = r < rows ? kb_gemm_load1(a->data, a->dtype,
                                                       (i0 + r) * a->rs + (k0 + k) * a->cs)
                                       : 0.0f;
}

/* A stored along K (not transposed): 8 K values from each of the 6 rows,
 * transposed so each K step's 6 values are contiguous. */
INLINE void a_panel_rows(kb_dtype t, const kb_gemm_view *a, int64_t i0, int64_t k0, int64_t kc,
                         float *dst)
{
    const int64_t ld = a->rs;
    int64_t k = 0;
    for (; k + 8 <= kc; k += 8) {
        __m256 r[8];
        for (int i = 0; i < MR; i++)
            r[i] = kb_gemm_load8(a->data, t, (i0 + i) * ld + k0 + k);
        r[6] = r[7] = _mm256_setzero_ps();
        kb_gemm_transpose8(r);
        for (int q = 0; q < 8; q++)
            kb_gemm_store6(dst + (k + q) * MR, r[q]);
    }
    for (; k < kc; k++)
        for (int i = 0; i < MR; i++)
            dst[k * MR + i] = kb_gemm_load1(a->data, t, (i0 + i) * ld + k0 + k);
}

/* A stored along M (transposed): each K step's MR values are contiguous.
 * `panels` whole panels from row i0, the caller checked that 8 values can
 * be read for each (2 are dropped).  K outside, panels inside: a stored row
 * is read once, in order; panel by panel would revisit KC rows lying
 * ld elements apart, which share a few L1 sets when ld is a power of two. */
INLINE void a_panels_cols(kb_dtype t, const kb_gemm_view *a, int64_t i0, int64_t panels,
                          int64_t k0, int64_t kc, float *dst)
{
    const int64_t ld = a->cs;
    for (int64_t k = 0; k < kc; k++) {
        const int64_t off = (k0 + k) * ld + i0;
        for (int64_t p = 0; p < panels; p++)
            kb_gemm_store6(dst + p * MR * kc + k * MR, kb_gemm_load8(a->data, t, off + p * MR));
    }
}

void kb_gemm_pack_a_f32(const kb_gemm_view *a, int64_t i0, int64_t mc, int64_t k0, int64_t kc,
                        float *dst)
{
    int64_t p = 0;
    if (a->cs != 1 && a->rs == 1) {
        /* whole panels that can read 8 values: all but the last one or two */
        int64_t avail = a->rows - i0;
        p = avail < 8 ? 0 : kb_gemm_min(mc / MR, (avail - 8) / MR + 1);
        if (p > 0)
            BY_DTYPE(a->dtype, a_panels_cols, a, i0, p, k0, kc, dst);
    }
    for (; p * MR < mc; p++) {
        int64_t i = i0 + p * MR, rows = kb_gemm_min(MR, mc - p * MR);
        float *d = dst + p * MR * kc;
        if (rows == MR && a->cs == 1 && kc >= 8)
            BY_DTYPE(a->dtype, a_panel_rows, a, i, k0, kc, d);
        else
            a_panel_scalar(a, i, rows, k0, kc, d);
    }
}

/* --- B: NR-column panels, (k, c) at k * NR + c ------------------------------ */

static void b_panel_scalar(const kb_gemm_view *b, int64_t k0, int64_t kc, int64_t j0,
                           int64_t cols, float *dst)
{
    for (int64_t k = 0; k < kc; k++)
        for (int64_t c = 0; c < NR; c++)
            dst[k * NR + c] = c < cols ? kb_gemm_load1(b->data, b->dtype,
                                                       (k0 + k) * b->rs + (j0 + c) * b->cs)
                                       : 0.0f;
}

/* B stored along N (not transposed): two vector loads per K step. */
INLINE void b_panel_rows(kb_dtype t, const kb_gemm_view *b, int64_t k0, int64_t kc, int64_t j0,
                         float *dst)
{
    const int64_t ld = b->rs;
    for (int64_t k = 0; k < kc; k++) {
        const int64_t off = (k0 + k) * ld + j0;
        _mm256_store_ps(dst + k * NR, kb_gemm_load8(b->data, t, off));
        _mm256_store_ps(dst + k * NR + 8, kb_gemm_load8(b->data, t, off + 8));
    }
}

/* B stored along K (transposed): 8 K values from each of the 16 columns,
 * two 8 x 8 transposes. */
INLINE void b_panel_cols(kb_dtype t, const kb_gemm_view *b, int64_t k0, int64_t kc, int64_t j0,
                         float *dst)
{
    const int64_t ld = b->cs;
    int64_t k = 0;
    for (; k + 8 <= kc; k += 8) {
        __m256 lo[8], hi[8];
        for (int c = 0; c < 8; c++) {
            lo[c] = kb_gemm_load8(b->data, t, (j0 + c) * ld + k0 + k);
            hi[c] = kb_gemm_load8(b->data, t, (j0 + 8 + c) * ld + k0 + k);
        }
        kb_gemm_transpose8(lo);
        kb_gemm_transpose8(hi);
        for (int q = 0; q < 8; q++) {
            _mm256_store_ps(dst + (k + q) * NR, lo[q]);
            _mm256_store_ps(dst + (k + q) * NR + 8, hi[q]);
        }
    }
    for (; k < kc; k++)
        for (int c = 0; c < NR; c++)
            dst[k * NR + c] = kb_gemm_load1(b->data, t, (j0 + c) * ld + k0 + k);
}

void kb_gemm_pack_b_f32(const kb_gemm_view *b, int64_t k0, int64_t kc, int64_t j0, int64_t nc,
                        float *dst)
{
    for (int64_t q = 0; q * NR < nc; q++) {
        int64_t j = j0 + q * NR, cols = kb_gemm_min(NR, nc - q * NR);
        float *d = dst + q * NR * kc;
        if (cols == NR && b->cs == 1)
            BY_DTYPE(b->dtype, b_panel_rows, b, k0, kc, j, d);
        else if (cols == NR && b->rs == 1 && kc >= 8)
            BY_DTYPE(b->dtype, b_panel_cols, b, k0, kc, j, d);
        else
            b_panel_scalar(b, k0, kc, j, cols, d);
    }
}
