/*
 * attention_avx2.h - the pieces of the "flash" attention kernel (AVX2 + FMA
 * + F16C): the driver (attention_avx2.c) tiles the problem; the panel
 * functions here (attention_avx2_tiles.c, attention_avx2_softmax.c) do the
 * arithmetic on one panel of query rows against one block of keys.
 *
 * Layout: everything that belongs to query rows is stored "row-vectorised",
 * as panels of KB_FLASH_PANEL = 16 query rows (two 8-float vectors), one
 * 16-float line per key or per head-dimension element:
 *   Q panel   qp[d * 16 + lane]   (Q transposed, as f32)
 *   S/P panel st[j * 16 + lane]   (scores of 16 rows for key j)
 *   O panel   ot[d * 16 + lane]   (the f32 accumulator, transposed)
 * K and V stay row-major [key][d] (f32: read in place from the tensor), and
 * both products are broadcast-FMA GEMMs: one element of K or V broadcast
 * times a 16-row vector pair.  The payoff is that the softmax over keys is
 * vertical (max and sum across lines, no horizontal reductions) and the
 * per-row rescale is one vector multiply.
 */
#ifndef KB_CPU_ATTENTION_AVX2_H
#define KB_CPU_ATTENTION_AVX2_H

#include <stdint.h>

#include "cpu.h"

#define KB_FLASH_PANEL 16 /* query rows per panel: two ymm vectors */

/* Block sizes.  BQ = 64 query rows (4 panels): each decoded K/V block serves
 * 64 rows, so decoding costs ~1/64 of the FMA work per element, and a
 * 2048-row head still gives 32 work items for the pool to balance.  BK = 64
 * keys: the hot set of one panel step (K and V blocks 2 * 64 * D * 4 bytes,
 * the S panel 4 KiB, Q and O panels 2 * 64 * D bytes) is 44 KiB at D = 64,
 * inside the 48 KiB L1d; at D = 128 it is 84 KiB, in the 1 MiB L2, which
 * feeds the 4-byte broadcasts fast enough.  The whole slice stays in L2 up
 * to D of about 512.  Measured: BQ = 128, BK = 96 or 128 were within this
 * machine's noise (+-5%) of 64 x 64 at S = 2048, D = 64 and 128. */
#define KB_FLASH_BQ 64 /* a multiple of KB_FLASH_PANEL */
#define KB_FLASH_BK 64
_Static_assert(KB_FLASH_BQ % KB_FLASH_PANEL == 0, "BQ is made of whole panels");

/* One thread's slice of the workspace, each piece on its own cache lines. */
typedef struct kb_flash_slice {
    float *qp;            /* [BQ/16][D][16]  Q block, transposed */
    float *kf, *vf;       /* [BK][D]         K and V block as f32 (f16/bf16 only) */
    float *st;            /* [BK][16]        S, then P, of one panel */
    float *ot;            /* [BQ/16][D][16]  O accumulator, transposed */
    float *m, *l, *alpha; /* [BQ]            running max, sum, last rescale */
    float *row;           /* [D]             one row on its way in or out */
} kb_flash_slice;

static inline size_t kb_flash_floats(int64_t n)
{
    return kb_cpu_round((size_t)n * sizeof(float));
}

static inline size_t kb_flash_slice_bytes(int64_t D)
{
    return 2 * kb_flash_floats(KB_FLASH_BQ * D) + 2 * kb_flash_floats(KB_FLASH_BK * D) +
           kb_flash_floats(KB_FLASH_BK * KB_FLASH_PANEL) + 3 * kb_flash_floats(KB_FLASH_BQ) +
           kb_flash_floats(D);
}

static inline kb_flash_slice kb_flash_carve(unsigned char *base, int64_t D)
{
    kb_flash_slice s;
    s.qp = (float *)base;
    base += kb_flash_floats(KB_FLASH_BQ * D);
    s.ot = (float *)base;
    base += kb_flash_floats(KB_FLASH_BQ * D);
    s.kf = (float *)base;
    base += kb_flash_floats(KB_FLASH_BK * D);
    s.vf = (float *)base;
    base += kb_flash_floats(KB_FLASH_BK * D);
    s.st = (float *)base;
    base += kb_flash_floats(KB_FLASH_BK * KB_FLASH_PANEL);
    s.m = (float *)base;
    base += kb_flash_floats(KB_FLASH_BQ);
    s.l = (float *)base;
    base += kb_flash_floats(KB_FLASH_BQ);
    s.alpha = (float *)base;
    base += kb_flash_floats(KB_FLASH_BQ);
    s.row = (float *)base;
    return s;
}

/* The whole problem (already checked by supports; ws from the workspace
 * function, one slice per participant).  Needs AVX2, FMA and F16C. */
void kb_flash_run(const kb_cpu_ctx *ctx, const kb_attention_params *a, void *ws);

/* st[j * 16 + lane] = scale * sum_{d < D} k[j * ldk + d] * qp[d * 16 + lane], j < nk. */
void kb_flash_qk_panel(const float *qp, const float *k, int64_t ldk, int64_t D, int64_t nk,
                       float scale, float *st);

/* ot[d * 16 + lane] = ot[d * 16 + lane] * alpha[lane]
 *                   + sum_{j < nk} v[j * ldv + d] * pt[j * 16 + lane],  d < D. */
void kb_flash_pv_panel(const float *pt, const float *v, int64_t ldv, int64_t D, int64_t nk,
                       const float *alpha, float *ot);

/* One online-softmax step for a panel:
 * masks key j for lane r when j > lim + r (causal; pass a huge lim for none),
 * m_new = max(m, max_j s), alpha = e^(m - m_new), s <- e^(s - m_new),
 * l = l * alpha + sum_j s, m = m_new.  m, l, alpha hold 16 floats.  A lane
 * that has seen no visible key keeps m = -inf, l = 0 and gets p = 0. */
void kb_flash_softmax_panel(float *st, int64_t nk, int64_t lim, float *m, float *l,
                            float *alpha);

#endif /* KB_CPU_ATTENTION_AVX2_H */
