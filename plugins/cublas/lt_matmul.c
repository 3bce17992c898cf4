/*
 * lt_matmul.c - matmul "lt": one cublasLtMatmul call per problem, described
 * by kbcl_plan_matmul (lt_plan.c: the row-major -> column-major mapping).
 *
 * Descriptors are initialised in place on the stack (the *Init forms), so a
 * run allocates nothing and has nothing to destroy.  The algorithm comes
 * from cuBLASLt's heuristic, asked once per signature and then cached in the
 * plugin state.  supports() with a device asks the heuristic too, so that
 * KB_OK means cuBLASLt has an algorithm for the problem.
 */
#include <string.h>

#include "cast.h"
#include "cuda_check.h"
#include "lt_state.h"

_Static_assert(sizeof(cublasLtMatmulAlgo_t) == KBCL_ALGO_WORDS * sizeof(uint64_t),
               "the algorithm cache stores cublasLtMatmulAlgo_t as KBCL_ALGO_WORDS words");

#define LT_TRY(call, what)                                                                       \
    do {                                                                                         \
        cublasStatus_t lt_s_ = (call);                                                           \
        if (lt_s_ != CUBLAS_STATUS_SUCCESS)                                                      \
            return kbcl_lt_error(lt_s_, (what), err, err_len);                                   \
    } while (0)

/* The descriptors of one call. */
typedef struct lt_call {
    cublasLtMatmulDescOpaque_t op;
    cublasLtMatrixLayoutOpaque_t a, b, c;
} lt_call;

static cudaDataType_t cuda_type(kbcl_type t)
{
    switch (t) {
    case KBCL_R_16F: return CUDA_R_16F;
    case KBCL_R_16BF: return CUDA_R_16BF;
    case KBCL_R_8I: return CUDA_R_8I;
    case KBCL_R_32I: return CUDA_R_32I;
    default: return CUDA_R_32F;
    }
}

static const char *dtype_name(kb_dtype t)
{
    const char *s = kb_dtype_name(t);
    return s ? s : "invalid";
}

static cublasStatus_t init_layout(cublasLtMatrixLayoutOpaque_t *l, const kbcl_matrix *m)
{
    /* Column-major (the default order), one matrix (the default batch). */
    return cublasLtMatrixLayoutInit(l, cuda_type(m->type), (uint64_t)m->rows, (uint64_t)m->cols, m->ld);
}

static kb_status describe(const kbcl_plan *pl, lt_call *c, char *err, size_t err_len)
{
    const int i32 = pl->compute == KBCL_COMPUTE_32I;
    /* CUBLAS_COMPUTE_32F, not _FAST_TF32: f32 inputs keep f32 accuracy. */
    LT_TRY(cublasLtMatmulDescInit(&c->op, i32 ? CUBLAS_COMPUTE_32I : CUBLAS_COMPUTE_32F, i32 ? CUDA_R_32I : CUDA_R_32F),
           "cublasLtMatmulDescInit");
    const int32_t ta = pl->transa ? CUBLAS_OP_T : CUBLAS_OP_N;
    const int32_t tb = pl->transb ? CUBLAS_OP_T : CUBLAS_OP_N;
    LT_TRY(cublasLtMatmulDescSetAttribute(&c->op, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof ta),
           "cublasLtMatmulDescSetAttribute (TRANSA)");
    LT_TRY(cublasLtMatmulDescSetAttribute(&c->op, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof tb),
           "cublasLtMatmulDescSetAttribute (TRANSB)");
    LT_TRY(init_layout(&c->a, &pl->a), "cublasLtMatrixLayoutInit (A)");
    LT_TRY(init_layout(&c->b, &pl->b), "cublasLtMatrixLayoutInit (B)");
    LT_TRY(init_layout(&c->c, &pl->c), "cublasLtMatrixLayoutInit (C)");
    return KB_OK;
}

static kb_status no_algorithm(const kb_matmul_params *mm, const kbcl_plan *pl, const char *detail, char *err,
                              size_t err_len)
{
    return kb_fail(KB_ERR_UNSUPPORTED, err, err_len,
                    "cuBLASLt has no algorithm for %s x %s -> %s%s, M=%lld N=%lld K=%lld ta=%d tb=%d, row strides "
                    "a/b/c %lld/%lld/%lld, pointer alignment a/b/c %u/%u/%u bytes%s",
                    dtype_name(mm->a.dtype), dtype_name(mm->b.dtype), dtype_name(mm->c.dtype),
                    pl->via_f32 ? " (through f32)" : "", (long long)mm->m, (long long)mm->n, (long long)mm->k,
                    mm->trans_a ? 1 : 0, mm->trans_b ? 1 : 0, (long long)mm->a.strides[0],
                    (long long)mm->b.strides[0], (long long)mm->c.strides[0], pl->b.align, pl->a.align, pl->c.align, detail);
}

static kb_status set_pref(cublasLtMatmulPreferenceOpaque_t *pref, cublasLtMatmulPreferenceAttributes_t attr,
                          const void *value, size_t size, char *err, size_t err_len)
{
    LT_TRY(cublasLtMatmulPreferenceSetAttribute(pref, attr, value, size), "cublasLtMatmulPreferenceSetAttribute");
    return KB_OK;
}

/* The cached algorithm for this call, or the heuristic's first choice. */
static kb_status choose_algo(kbcl_state *s, const kb_matmul_params *mm, const kbcl_plan *pl, lt_call *c,
                             cublasLtMatmulAlgo_t *algo, char *err, size_t err_len)
{
    const kbcl_key key = kbcl_plan_key(pl);
    const uint64_t *hit = kbcl_cache_find(&s->cache, &key);
    if (hit) {
        memcpy(algo->data, hit, sizeof algo->data);
        return KB_OK;
    }
    cublasLtMatmulPreferenceOpaque_t pref;
    LT_TRY(cublasLtMatmulPreferenceInit(&pref), "cublasLtMatmulPreferenceInit");
    /* Only algorithms that fit the workspace and work with these pointers
     * (cuBLASLt assumes 256-byte aligned ones unless told otherwise). */
    const uint64_t max_ws = KBCL_LT_WORKSPACE;
    const uint32_t align[3] = {pl->a.align, pl->b.align, pl->c.align};
    kb_status st = set_pref(&pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &max_ws, sizeof max_ws, err, err_len);
    if (st == KB_OK)
        st = set_pref(&pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, &align[0], sizeof align[0], err, err_len);
    if (st == KB_OK)
        st = set_pref(&pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, &align[1], sizeof align[1], err, err_len);
    if (st == KB_OK)
        st = set_pref(&pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, &align[2], sizeof align[2], err, err_len);
    if (st == KB_OK)
        st = set_pref(&pref, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, &align[2], sizeof align[2], err, err_len);
    if (st != KB_OK)
        return st;

    cublasLtMatmulHeuristicResult_t result;
    memset(&result, 0, sizeof result);
    int found = 0;
    cublasStatus_t hs = cublasLtMatmulAlgoGetHeuristic(s->lt, &c->op, &c->a, &c->b, &c->c, &c->c, &pref, 1, &result,
                                                       &found);
    if (hs == CUBLAS_STATUS_NOT_SUPPORTED)
        return no_algorithm(mm, pl, " (heuristic: CUBLAS_STATUS_NOT_SUPPORTED)", err, err_len);
    if (hs != CUBLAS_STATUS_SUCCESS)
        return kbcl_lt_error(hs, "cublasLtMatmulAlgoGetHeuristic", err, err_len);
    if (found < 1 || result.state != CUBLAS_STATUS_SUCCESS)
        return no_algorithm(mm, pl, "", err, err_len);
    if (result.workspaceSize > KBCL_LT_WORKSPACE)
        return no_algorithm(mm, pl, " within the 32 MiB workspace", err, err_len);
    kbcl_cache_put(&s->cache, &key, result.algo.data);
    *algo = result.algo;
    return KB_OK;
}

kb_status kbcl_matmul_lt_supports(void *plugin_ctx, const kb_problem *p, char *why, size_t why_len)
{
    kb_status st = kbcl_matmul_lt_check(p, why, why_len);
    if (st != KB_OK || !plugin_ctx)
        return st;
    /* With a device, ask cuBLASLt.  The pointers here may be the harness's
     * host copies; its device buffers are at least as aligned, and more
     * alignment only widens the heuristic's choice. */
    kbcl_plan pl;
    kbcl_plan_matmul(&p->u.matmul, NULL, &pl);
    lt_call c;
    st = describe(&pl, &c, why, why_len);
    if (st != KB_OK)
        return st;
    cublasLtMatmulAlgo_t algo;
    return choose_algo(plugin_ctx, &p->u.matmul, &pl, &c, &algo, why, why_len);
}

size_t kbcl_matmul_lt_workspace(void *plugin_ctx, const kb_problem *p)
{
    (void)plugin_ctx;
    return p && p->op == KB_OP_MATMUL ? kbcl_matmul_lt_workspace_bytes(&p->u.matmul) : 0;
}

kb_status kbcl_matmul_lt_run(void *plugin_ctx, const kb_problem *p, void *workspace, void *stream, char *err,
                             size_t err_len)
{
    kbcl_state *s = plugin_ctx;
    kb_status st = kbcl_matmul_lt_check(p, err, err_len);
    if (st != KB_OK)
        return st;
    if (!s)
        return kb_fail(KB_ERR_INTERNAL, err, err_len, "cublas: run without a plugin context");
    const kb_matmul_params *mm = &p->u.matmul;
    if (!workspace)
        return kb_fail(KB_ERR_INVALID, err, err_len, "cublas lt: no workspace (it asks for %zu bytes)",
                        kbcl_matmul_lt_workspace_bytes(mm));

    void *lt_workspace, *f32_buffer;
    kbcl_workspace_split(workspace, mm, &lt_workspace, &f32_buffer);
    kbcl_plan pl;
    kbcl_plan_matmul(mm, f32_buffer, &pl);
    lt_call c;
    st = describe(&pl, &c, err, err_len);
    if (st != KB_OK)
        return st;
    cublasLtMatmulAlgo_t algo;
    st = choose_algo(s, mm, &pl, &c, &algo, err, err_len);
    if (st != KB_OK)
        return st;

    cudaStream_t cs = kbc_stream(&s->base, stream);
    if (pl.via_f32 && mm->beta != 0.0f) {
        /* beta * C is summed in f32: widen C into the buffer first. */
        st = kbcl_cast_to_f32(mm->c.data, mm->c.dtype, mm->c.strides[0], f32_buffer, mm->n, mm->m, mm->n, cs, err,
                              err_len);
        if (st != KB_OK)
            return st;
    }
    /* Host scalars in the scale type: int32 for COMPUTE_32I, f32 otherwise.
     * With beta == 0 cuBLASLt does not read C (it may hold NaN). */
    const int32_t alpha_i = 1, beta_i = mm->beta != 0.0f;
    const float alpha_f = mm->alpha, beta_f = mm->beta;
    const int i32 = pl.compute == KBCL_COMPUTE_32I;
    LT_TRY(cublasLtMatmul(s->lt, &c.op, i32 ? (const void *)&alpha_i : (const void *)&alpha_f, pl.a.data, &c.a,
                          pl.b.data, &c.b, i32 ? (const void *)&beta_i : (const void *)&beta_f, pl.c.data, &c.c,
                          pl.c.data, &c.c, &algo, lt_workspace, KBCL_LT_WORKSPACE, cs),
           "cublasLtMatmul");
    if (pl.via_f32)
        st = kbcl_cast_from_f32(f32_buffer, mm->n, mm->c.data, mm->c.dtype, mm->c.strides[0], mm->m, mm->n, cs, err,
                                err_len);
    return st;
}
