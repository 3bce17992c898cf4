/*
 * plan_matmul.c - what the cuda plugin's matmul kernels accept, and how they
 * are launched.  Plain C (no CUDA headers): the unit test runs it anywhere.
 */
#include "kernels.h"
#include "plan_matmul.h"

static int64_t ceil_div(int64_t a, int64_t b)
{
    return (a + b - 1) / b;
}

/* 32-bit indexing inside the kernels, one CTA per bm x bn tile on a 1-D grid. */
static kb_status check_dims(const kb_matmul_params *mm, int bm, int bn, char *why, size_t why_len)
{
    if (mm->m > KBC_MM_MAX_DIM || mm->n > KBC_MM_MAX_DIM || mm->k > KBC_MM_MAX_DIM)
        return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "m, n and k must be below 2^31 - 512");
    if (ceil_div(mm->m, bm) * ceil_div(mm->n, bn) > INT32_MAX)
        return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "C needs more than 2^31 - 1 tiles");
    return KB_OK;
}

int kbc_mm_rows_aligned(const kb_tensor *t, size_t bytes)
{
    const size_t es = kb_dtype_size(t->dtype);
    if (es == 0 || (uintptr_t)t->data % bytes != 0)
        return 0;
    return t->shape[0] <= 1 || ((size_t)t->strides[0] * es) % bytes == 0;
}

static size_t round_up(size_t a, size_t b)
{
    return (a + b - 1) / b * b;
}

void kbc_mm_tc_plan_of(const kb_matmul_params *mm, kbc_mm_tc_plan *plan)
{
    *plan = (kbc_mm_tc_plan){0};
    plan->in = mm->a.dtype;
    int a_vec, b_vec;
    if (plan->in == KB_DTYPE_I8) {
        /* The s8 mma takes both fragments K-contiguous and ldmatrix has no
         * 8-bit transpose: an operand whose K is not contiguous is transposed
         * into the workspace first, 16-byte aligned, and read from there. */
        plan->a_kmajor = plan->b_kmajor = 1;
        plan->repack_a = mm->trans_a != 0;
        plan->repack_b = mm->trans_b == 0;
        const int64_t ld = kbc_mm_repack_ld(mm->k);
        plan->lda_ws = plan->repack_a ? ld : 0;
        plan->ldb_ws = plan->repack_b ? ld : 0;
        plan->ws_b_offset = plan->repack_a ? round_up((size_t)(mm->m * ld), 256) : 0;
        plan->workspace = plan->ws_b_offset + (plan->repack_b ? round_up((size_t)(mm->n * ld), 256) : 0);
        a_vec = plan->repack_a || kbc_mm_rows_aligned(&mm->a, 16);
        b_vec = plan->repack_b || kbc_mm_rows_aligned(&mm->b, 16);
        plan->load = a_vec && b_vec ? KBC_MM_LOAD_VECTOR : KBC_MM_LOAD_SCALAR;
    } else {
        a_vec = kbc_mm_rows_aligned(&mm->a, 16);
        b_vec = kbc_mm_rows_aligned(&mm->b, 16);
        plan->load = a_vec && b_vec ? KBC_MM_LOAD_VECTOR : KBC_MM_LOAD_SCALAR;
        /* The vector path keeps each operand's global layout in shared
         * memory (ldmatrix.trans reads the M/N-major ones); the scalar path
         * writes both K-major, whatever the global layout. */
        const int vec = plan->load == KBC_MM_LOAD_VECTOR;
        plan->a_kmajor = vec ? mm->trans_a == 0 : 1;
        plan->b_kmajor = vec ? mm->trans_b != 0 : 1;
    }
    plan->tiles_m = ceil_div(mm->m, KBC_MM_TC_BM);
    plan->tiles_n = ceil_div(mm->n, KBC_MM_TC_BN);
    plan->blocks = mm->m == 0 || mm->n == 0 ? 0 : plan->tiles_m * plan->tiles_n;
    plan->threads = KBC_MM_TC_THREADS;
    plan->smem = KBC_MM_TC_SMEM_BYTES;
    const size_t esc = kb_dtype_size(mm->c.dtype);
    plan->c_pair_ok = esc > 0 && (uintptr_t)mm->c.data % (2 * esc) == 0 &&
                      (mm->c.shape[0] <= 1 || mm->c.strides[0] % 2 == 0);
}

void kbc_mm_simt_plan_of(const kb_matmul_params *mm, kbc_mm_simt_plan *plan)
{
    plan->tiles_m = ceil_div(mm->m, KBC_MM_SIMT_BM);
    plan->tiles_n = ceil_div(mm->n, KBC_MM_SIMT_BN);
    plan->blocks = mm->m == 0 || mm->n == 0 ? 0 : plan->tiles_m * plan->tiles_n;
    plan->threads = KBC_MM_SIMT_THREADS;
    plan->smem = KBC_MM_SIMT_SMEM_BYTES;
}

kb_status kbc_matmul_tc_supports(void *plugin_ctx, const kb_problem *p, char *why, size_t why_len)
{
    kb_status st = kb_check_matmul(p, why, why_len);
    if (st != KB_OK)
        return st;
    const kb_matmul_params *mm = &p->u.matmul;
    if (mm->a.dtype == KB_DTYPE_F32)
        return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "f32 A and B have no tensor-core path here (simt runs them)");
    st = check_dims(mm, KBC_MM_TC_BM, KBC_MM_TC_BN, why, why_len);
    if (st != KB_OK)
        return st;
    const kbc_context *c = plugin_ctx;
    if (c && c->cc_major < 8)
        return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "needs compute capability 8.0 (cp.async, bf16 mma), device has %d.%d",
                        c->cc_major, c->cc_minor);
    if (c && c->smem_optin < KBC_MM_TC_SMEM_BYTES)
        return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "needs %zu bytes of shared memory per block, device allows %zu",
                        (size_t)KBC_MM_TC_SMEM_BYTES, c->smem_optin);
    return KB_OK;
}

size_t kbc_matmul_tc_workspace(void *plugin_ctx, const kb_problem *p)
{
    if (kbc_matmul_tc_supports(plugin_ctx, p, NULL, 0) != KB_OK)
        return 0;
    kbc_mm_tc_plan plan;
    kbc_mm_tc_plan_of(&p->u.matmul, &plan);
    return plan.workspace;
}

kb_status kbc_matmul_simt_supports(void *plugin_ctx, const kb_problem *p, char *why, size_t why_len)
{
    (void)plugin_ctx;
    kb_status st = kb_check_matmul(p, why, why_len);
    if (st != KB_OK)
        return st;
    const kb_matmul_params *mm = &p->u.matmul;
    if (mm->a.dtype == KB_DTYPE_I8)
        return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "simt computes float matmuls only; tc runs int8");
    return check_dims(mm, KBC_MM_SIMT_BM, KBC_MM_SIMT_BN, why, why_len);
}

size_t kbc_matmul_simt_workspace(void *plugin_ctx, const kb_problem *p)
{
    (void)plugin_ctx;
    (void)p;
    return 0;
}
