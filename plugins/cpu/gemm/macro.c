/*
 * macro.c - the two innermost loops of the BLIS scheme: jr over the NR-wide
 * micro-panels of packed B, ir over the MR-tall micro-panels of the packed A
 * block.  jr outside ir: one B micro-panel (KC x NR, in L1) meets every A
 * micro-panel of the block (MC x KC, in L2) before the next is touched.
 * Edge tiles are computed in full on the zero padding of the panels and
 * stored in part.
 */
#include "gemm.h"

#define MR KB_GEMM_MR
#define NR KB_GEMM_NR

/* Ask for the rows of a C tile (NR elements of `size` bytes from p, rows ld
 * elements apart) before the micro-kernel's ~KC x 6 cycles start: C is
 * visited once per KC block and is usually far out of cache, and a tile's
 * rows are too far apart for the hardware prefetcher. */
static inline void prefetch_tile(const void *p, int64_t ld, size_t size, int rows)
{
    const char *row = p;
    for (int r = 0; r < rows; r++, row += ld * (int64_t)size) {
        _mm_prefetch(row, _MM_HINT_T0);
        _mm_prefetch(row + NR * size - 1, _MM_HINT_T0);
    }
}

void kb_gemm_macro_f32(int64_t kc, const float *apack, int64_t mc, const float *bpack,
                       int64_t nc, const kb_gemm_out *o, int64_t i0, int64_t j0)
{
    float acc[MR * NR] __attribute__((aligned(32)));
    for (int64_t jr = 0; jr < nc; jr += NR) {
        const float *b = bpack + jr * kc;
        int cols = (int)kb_gemm_min(NR, nc - jr);
        for (int64_t ir = 0; ir < mc; ir += MR) {
            int rows = (int)kb_gemm_min(MR, mc - ir);
            int64_t i = i0 + ir, j = j0 + jr;
            size_t size = kb_dtype_size(o->dtype);
            prefetch_tile((const char *)o->dst + (i * o->ld + j) * (int64_t)size, o->ld, size, rows);
            if (o->add)
                prefetch_tile(o->add + i * o->add_ld + j, o->add_ld, sizeof(float), rows);
            kb_gemm_micro_f32(kc, apack + ir * kc, b, acc);
            kb_gemm_store_f32(o, i, j, rows, cols, acc);
        }
    }
}

void kb_gemm_macro_i8(kb_gemm_micro_i8_fn micro, int64_t units, const int32_t *apack, int64_t mc,
                      const int32_t *bpack, const int32_t *colsum, int64_t nc, int32_t *c,
                      int64_t ldc, int accumulate, int64_t i0, int64_t j0)
{
    int32_t acc[MR * NR] __attribute__((aligned(32)));
    for (int64_t jr = 0; jr < nc; jr += NR) {
        const int32_t *b = bpack + jr * units;
        int cols = (int)kb_gemm_min(NR, nc - jr);
        for (int64_t ir = 0; ir < mc; ir += MR) {
            int rows = (int)kb_gemm_min(MR, mc - ir);
            prefetch_tile(c + (i0 + ir) * ldc + j0 + jr, ldc, sizeof(int32_t), rows);
            micro(units, apack + ir * units, b, acc);
            kb_gemm_store_i32(c, ldc, accumulate, i0 + ir, j0 + jr, rows, cols, acc,
                              colsum ? colsum + jr : NULL);
        }
    }
}
