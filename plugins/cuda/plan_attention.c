/*
 * plan_attention.c - supports(), workspace() and launch plans of the cuda
 * plugin's attention kernels, "flash2" (tensor cores, f16/bf16, head dim
 * <= 256) and "simt" (every dtype, head dim <= 1024).  Plain C: the unit
 * test runs it without a GPU; the kernels are in attention_flash2.cu and
 * attention_simt.cu.
 */
#include <math.h>

#include "kernels.h"
#include "plan_attention.h"

/* Sequence lengths and rows are int inside the kernels (tile indices, masks);
 * keep every such value, plus a block of slack, well inside int range. */
#define ATTN_MAX_SEQ ((int64_t)1 << 30)
/* grid.x limit. */
#define ATTN_MAX_CTAS ((int64_t)INT32_MAX)

/* The checks both kernels share: a well-formed attention problem
 * (<kbench/checks.h>: malformed -> KB_ERR_INVALID, a dtype combination ops.md
 * does not allow -> KB_ERR_UNSUPPORTED, as the ref plugin answers), then the
 * limits of the kernels' int indexing. */
static kb_status attn_check_common(const kb_problem *p, char *why, size_t why_len)
{
    kb_status st = kb_check_attention(p, why, why_len);
    if (st != KB_OK)
        return st;
    const kb_attention_params *a = &p->u.attention;
    if (a->seq_q > ATTN_MAX_SEQ || a->seq_kv > ATTN_MAX_SEQ)
        return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "sequence longer than 2^30");
    if (a->head_dim == 0 && a->batch * a->heads_q * a->seq_q > 0)
        return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "head_dim 0");
    return KB_OK;
}

/* Number of CTAs for `q_blocks` query blocks per (b, h); refuses grids past
 * grid.x's limit. */
static kb_status attn_grid(const kb_attention_params *a, int64_t q_blocks, int64_t *ctas, char *why, size_t why_len)
{
    const int64_t bh = a->batch * a->heads_q;
    if (bh > 0 && q_blocks > ATTN_MAX_CTAS / bh)
        return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "grid of %lld x %lld CTAs too large", (long long)bh,
                        (long long)q_blocks);
    *ctas = bh * q_blocks;
    return KB_OK;
}

static int attn_pad_head_dim(int64_t d)
{
    int dp = 32;
    while (dp < d)
        dp *= 2;
    return dp;
}

kb_status kbc_flash2_plan_make(const void *plugin_ctx, const kb_problem *p, kbc_flash2_plan *plan, char *why,
                               size_t why_len)
{
    kb_status st = attn_check_common(p, why, why_len);
    if (st != KB_OK)
        return st;
    const kb_attention_params *a = &p->u.attention;
    if (a->q.dtype == KB_DTYPE_F32)
        return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "f32: use attention simt");
    if (a->head_dim > KBC_FLASH2_MAX_HEAD_DIM)
        return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "head_dim %lld > %d", (long long)a->head_dim,
                        KBC_FLASH2_MAX_HEAD_DIM);
    const kbc_context *c = plugin_ctx;
    if (c && c->cc_major < 8)
        return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "needs compute capability 8.0 (mma.sync bf16)");

    const int dp = attn_pad_head_dim(a->head_dim);
    plan->head_dim_pad = dp;
    plan->block_m = KBC_FLASH2_BLOCK_M(dp);
    plan->block_n = KBC_FLASH2_BLOCK_N(dp);
    plan->threads = KBC_FLASH2_THREADS(dp);
    plan->smem_bytes = KBC_FLASH2_SMEM_BYTES(dp);
    if (c && plan->smem_bytes > c->smem_optin)
        return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "needs %zu bytes of shared memory, device allows %zu",
                        plan->smem_bytes, c->smem_optin);
    /* 16-byte cp.async needs every row of Q, K and V to start on a 16-byte
     * boundary and hold whole 16-byte chunks (head_dim % 8 == 0). */
    plan->vector_loads = kbc_vector_ok(&a->q, 16) && kbc_vector_ok(&a->k, 16) && kbc_vector_ok(&a->v, 16);
    plan->pair_stores = kbc_vector_ok(&a->o, 4);
    plan->q_blocks = (a->seq_q + plan->block_m - 1) / plan->block_m;
    return attn_grid(a, plan->q_blocks, &plan->ctas, why, why_len);
}

kb_status kbc_simt_plan_make(const void *plugin_ctx, const kb_problem *p, kbc_simt_plan *plan, char *why,
                             size_t why_len)
{
    (void)plugin_ctx; /* 32 KB of static-size shared memory: every device has it */
    kb_status st = attn_check_common(p, why, why_len);
    if (st != KB_OK)
        return st;
    const kb_attention_params *a = &p->u.attention;
    if (a->head_dim > KBC_SIMT_MAX_HEAD_DIM)
        return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "head_dim %lld > %d", (long long)a->head_dim,
                        KBC_SIMT_MAX_HEAD_DIM);
    int chunks = 1;
    while (32 * chunks < a->head_dim)
        chunks *= 2;
    plan->dim_chunks = chunks;
    plan->tile_keys = KBC_SIMT_TILE_FLOATS / (32 * chunks);
    if (plan->tile_keys > 32)
        plan->tile_keys = 32; /* one key per lane in the softmax step */
    plan->rows_per_cta = KBC_SIMT_WARPS;
    plan->threads = 32 * KBC_SIMT_WARPS;
    plan->smem_bytes = 2u * (size_t)plan->tile_keys * (size_t)(32 * chunks) * sizeof(float);
    plan->q_blocks = (a->seq_q + plan->rows_per_cta - 1) / plan->rows_per_cta;
    return attn_grid(a, plan->q_blocks, &plan->ctas, why, why_len);
}

kb_status kbc_attention_flash2_supports(void *plugin_ctx, const kb_problem *p, char *why, size_t why_len)
{
    kbc_flash2_plan plan;
    return kbc_flash2_plan_make(plugin_ctx, p, &plan, why, why_len);
}

size_t kbc_attention_flash2_workspace(void *plugin_ctx, const kb_problem *p)
{
    (void)plugin_ctx;
    (void)p;
    return 0;
}

kb_status kbc_attention_simt_supports(void *plugin_ctx, const kb_problem *p, char *why, size_t why_len)
{
    kbc_simt_plan plan;
    return kbc_simt_plan_make(plugin_ctx, p, &plan, why, why_len);
}

size_t kbc_attention_simt_workspace(void *plugin_ctx, const kb_problem *p)
{
    (void)plugin_ctx;
    (void)p;
    return 0;
}
