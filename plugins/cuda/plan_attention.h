/*
 * plan_attention.h - host-side decisions of the cuda plugin's attention
 * kernels ("flash2" and "simt"), and the index logic the kernels share with
 * them.
 *
 * The block index functions (which (batch, head, query block) a CTA owns,
 * which key blocks it visits, from which key block on it must mask) are
 * static inline and compile as C and as CUDA: the kernels call the very
 * functions tests/unit/test_cuda_plan_attention.c checks against brute force.
 *
 * Plain C (no CUDA headers) outside the __CUDACC__ blocks.
 */
#ifndef KBC_PLAN_ATTENTION_H
#define KBC_PLAN_ATTENTION_H

#include <stddef.h>
#include <stdint.h>

#include "kbc.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__CUDACC__)
#define KBC_ATTN_INLINE static __host__ __device__ __forceinline__
#else
#define KBC_ATTN_INLINE static inline
#endif

/* ---- flash2 tile configuration, per padded head dimension ----------------
 * Macros so that the .cu can use them as template arguments and the plan and
 * the unit test see the same numbers.  A CTA owns KBC_FLASH2_BLOCK_M(dp)
 * query rows: WARPS warps of MTILES x 16 rows each; it walks the keys in
 * tiles of BLOCK_N, K and V double-buffered in shared memory. */
#ifndef KBC_FLASH2_ROW_TILES
/* m-tiles per warp for head_dim_pad <= 128: 2 (4 warps x 32 rows, FA2's
 * layout: each K/V fragment feeds two mma, Q reloaded from shared memory,
 * 2 CTAs per SM) or 1 (8 warps x 16 rows, Q fragments in registers, 1 CTA
 * per SM).  A build-time knob for comparing the two: on an H200, D = 128,
 * 2 ran at 220 TFLOP/s and 1 at 145. */
#define KBC_FLASH2_ROW_TILES 2
#endif
#define KBC_FLASH2_WARPS(dp) ((dp) >= 256 ? 4 : 8 / KBC_FLASH2_ROW_TILES)
#define KBC_FLASH2_MTILES(dp) ((dp) >= 256 ? 1 : KBC_FLASH2_ROW_TILES)
#define KBC_FLASH2_BLOCK_N(dp) ((dp) >= 256 ? 32 : 64)
#define KBC_FLASH2_BLOCK_M(dp) (16 * KBC_FLASH2_WARPS(dp) * KBC_FLASH2_MTILES(dp))
#define KBC_FLASH2_THREADS(dp) (32 * KBC_FLASH2_WARPS(dp))
/* Q tile + two stages of K and V tiles, 2-byte elements. */
#define KBC_FLASH2_SMEM_BYTES(dp) \
    ((size_t)(KBC_FLASH2_BLOCK_M(dp) + 4 * KBC_FLASH2_BLOCK_N(dp)) * (size_t)(dp) * 2u)
#define KBC_FLASH2_MAX_HEAD_DIM 256

/* ---- simt configuration ----------------------------------------------------
 * One warp per query row, KBC_SIMT_WARPS consecutive rows of one (b, h) per
 * CTA; each lane holds head-dim elements lane, lane+32, ... (chunks of 32);
 * the K and V tile (f32) is shared by the CTA's warps. */
#define KBC_SIMT_WARPS 8
#define KBC_SIMT_MAX_HEAD_DIM 1024
#define KBC_SIMT_TILE_FLOATS 4096 /* tile_keys * padded head dim, for K and for V */

/* ---- index logic shared with the kernels ---------------------------------- */

/* The key blocks a query block visits: blocks 0 .. end-1 (end == 0: no
 * query row of the block sees any key), and from mask_from on every block
 * needs the per-element mask (causal diagonal or keys past seq_kv); blocks
 * before mask_from are fully visible to every row of the query block. */
typedef struct kbc_attn_kv_range {
    int64_t end;
    int64_t mask_from;
} kbc_attn_kv_range;

/* Query block rows [q0, q0 + block_m) (clipped to seq_q), key blocks of
 * block_n keys.  Causal is bottom-right aligned: row i sees keys
 * j <= i + (seq_kv - seq_q). */
KBC_ATTN_INLINE kbc_attn_kv_range kbc_attn_kv_blocks(int64_t q0, int64_t block_m, int64_t block_n, int64_t seq_q,
                                                     int64_t seq_kv, int causal)
{
    kbc_attn_kv_range r;
    const int64_t offset = seq_kv - seq_q;
    const int64_t q_end = q0 + block_m < seq_q ? q0 + block_m : seq_q;
    /* Keys 0 .. visible-1 hold every key some row of the block sees: the
     * last row, q_end - 1, sees the most. */
    int64_t visible = seq_kv;
    if (causal) {
        visible = q_end + offset;
        if (visible < 0)
            visible = 0;
        if (visible > seq_kv)
            visible = seq_kv;
    }
    r.end = (visible + block_n - 1) / block_n;
    /* Block kb spans keys [kb*n, kb*n + n).  It needs the mask when it runs
     * past seq_kv, i.e. kb >= seq_kv / n, or (causal) when its last key lies
     * beyond what the block's first row q0 sees: kb*n + n - 1 > q0 + offset,
     * i.e. kb >= floor((q0 + offset + 1) / n) (0 when that is negative). */
    r.mask_from = seq_kv / block_n;
    if (causal) {
        const int64_t x = q0 + offset + 1;
        const int64_t causal_from = x <= 0 ? 0 : x / block_n;
        if (causal_from < r.mask_from)
            r.mask_from = causal_from;
    }
    if (r.mask_from > r.end)
        r.mask_from = r.end;
    return r;
}

/* CTA `cta` (grid.x) -> batch b, query head h, query block qb.  Query
 * blocks vary fastest (CTAs of one head run together and share K/V in L2),
 * and in decreasing order: under a causal mask the last blocks have the most
 * keys, and starting them first evens out the tail of the grid. */
KBC_ATTN_INLINE void kbc_attn_cta_coords(int64_t cta, int64_t q_blocks, int64_t heads_q, int64_t *b, int64_t *h,
                                         int64_t *qb)
{
    const int64_t bh = cta / q_blocks;
    *qb = q_blocks - 1 - (cta - bh * q_blocks);
    *h = bh % heads_q;
    *b = bh / heads_q;
}

/* ---- launch plans ---------------------------------------------------------- */

typedef struct kbc_flash2_plan {
    int head_dim_pad;   /* 32, 64, 128 or 256: the template instance */
    int block_m;        /* query rows per CTA */
    int block_n;        /* keys per tile */
    int threads;        /* per CTA */
    int vector_loads;   /* 1: Q, K, V staged with 16-byte cp.async; 0: element by element */
    int pair_stores;    /* 1: O written two elements (4 bytes) at a time */
    int64_t q_blocks;   /* ceil(seq_q / block_m) */
    int64_t ctas;       /* grid.x = batch * heads_q * q_blocks (0: nothing to launch) */
    size_t smem_bytes;  /* dynamic shared memory per CTA */
} kbc_flash2_plan;

typedef struct kbc_simt_plan {
    int dim_chunks;     /* ceil(head_dim / 32): per-lane elements, the template instance (1, 2, 4, ... 32) */
    int tile_keys;      /* keys per shared-memory tile */
    int rows_per_cta;   /* KBC_SIMT_WARPS */
    int threads;
    int64_t q_blocks;   /* ceil(seq_q / rows_per_cta) */
    int64_t ctas;       /* grid.x (0: nothing to launch) */
    size_t smem_bytes;
} kbc_simt_plan;

/* Checks the problem as supports() does (same status and message) and fills
 * the plan.  plugin_ctx (a kbc_context, may be NULL) adds the device's
 * shared-memory limit to the checks. */
kb_status kbc_flash2_plan_make(const void *plugin_ctx, const kb_problem *p, kbc_flash2_plan *plan, char *why,
                               size_t why_len);
kb_status kbc_simt_plan_make(const void *plugin_ctx, const kb_problem *p, kbc_simt_plan *plan, char *why,
                             size_t why_len);

#ifdef __cplusplus
}
#endif
#endif /* KBC_PLAN_ATTENTION_H */
