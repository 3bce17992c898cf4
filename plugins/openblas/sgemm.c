/*
 * sgemm.c - matmul through cblas_sgemm, as a user of OpenBLAS would do it.
 *
 * OpenBLAS (0.3.21, as Debian ships it) has only f32 GEMM for these dtypes:
 * no cblas_sbgemm (that needs a BUILD_BFLOAT16 build) and no int8 GEMM.  So
 *   sgemm      takes f16/bf16 A and B, decodes them into packed f32 in the
 *              workspace (part of the timed run: a user pays it too), then
 *              calls cblas_sgemm;
 *   sgemm_f32  takes f32 A and B and hands them to cblas_sgemm as they are
 *              (leading dimensions and transposes included): the figure for
 *              inputs already stored in f32.
 * C: an f32 C is computed in place (alpha and beta passed through; with
 * beta == 0 OpenBLAS writes C without reading it).  An f16/bf16 C is computed
 * into an f32 copy in the workspace (loaded first only when beta != 0) and
 * rounded once to C's dtype.
 */
#include <limits.h>

#include <cblas.h>

#include "openblas.h"

static kb_status common_supports(const kb_problem *p, char *why, size_t why_len)
{
    kb_status st = kb_check_matmul(p, why, why_len);
    if (st != KB_OK)
        return st;
    const kb_matmul_params *m = &p->u.matmul;
    if (m->a.dtype == KB_DTYPE_I8)
        return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "OpenBLAS has no int8 GEMM");
    if (kb_bl_matmul_extent(m) > INT_MAX)
        return kb_fail(KB_ERR_UNSUPPORTED, why, why_len,
                          "a dimension or leading dimension exceeds OpenBLAS's 32-bit int");
    return KB_OK;
}

kb_status kb_ob_sgemm_supports(void *ctx, const kb_problem *p, char *why, size_t why_len)
{
    (void)ctx;
    kb_status st = common_supports(p, why, why_len);
    if (st == KB_OK && p->u.matmul.a.dtype == KB_DTYPE_F32)
        return kb_fail(KB_ERR_UNSUPPORTED, why, why_len,
                          "f32 inputs need no conversion: see openblas.sgemm_f32");
    return st;
}

kb_status kb_ob_sgemm_f32_supports(void *ctx, const kb_problem *p, char *why, size_t why_len)
{
    (void)ctx;
    kb_status st = common_supports(p, why, why_len);
    if (st == KB_OK && p->u.matmul.a.dtype != KB_DTYPE_F32)
        return kb_fail(KB_ERR_UNSUPPORTED, why, why_len,
                          "needs f32 A and B (openblas.sgemm converts f16/bf16)");
    return st;
}

/* Byte offsets of the f32 copies in the workspace (0 bytes where the tensor
 * is f32 already and used in place). */
typedef struct ws_layout {
    size_t a, b, c, total;
} ws_layout;

static size_t f32_bytes(const kb_tensor *t)
{
    return t->dtype == KB_DTYPE_F32 ? 0 : kb_ob_round((size_t)(t->shape[0] * t->shape[1]) * 4);
}

static ws_layout layout_of(const kb_matmul_params *m)
{
    ws_layout l;
    l.a = 0;
    l.b = l.a + f32_bytes(&m->a);
    l.c = l.b + f32_bytes(&m->b);
    l.total = l.c + f32_bytes(&m->c);
    return l;
}

size_t kb_ob_sgemm_workspace(void *ctx, const kb_problem *p)
{
    (void)ctx;
    return layout_of(&p->u.matmul).total;
}

/* An input as cblas_sgemm wants it: the tensor itself when f32, else its
 * packed f32 copy made in the workspace.  The stored orientation is kept, so
 * the transpose flag passes through unchanged. */
static const float *f32_input(kb_ob_ctx *ctx, const kb_tensor *t, unsigned char *copy, int *ld)
{
    if (t->dtype == KB_DTYPE_F32) {
        *ld = (int)t->strides[0];
        return t->data;
    }
    float *f = (float *)copy;
    kb_ob_matrix_to_f32(ctx, t->dtype, t->data, t->strides[0], t->shape[0], t->shape[1], f);
    *ld = (int)t->shape[1];
    return f;
}

kb_status kb_ob_sgemm_run(void *plugin_ctx, const kb_problem *p, void *ws, void *stream,
                          char *err, size_t err_len)
{
    (void)stream;
    kb_ob_ctx *ctx = plugin_ctx;
    kb_status st = common_supports(p, err, err_len);
    if (st != KB_OK)
        return st;
    if (!ctx)
        return kb_fail(KB_ERR_INVALID, err, err_len, "plugin not initialised");
    const kb_matmul_params *m = &p->u.matmul;
    ws_layout l = layout_of(m);
    if (l.total > 0 && !ws)
        return kb_fail(KB_ERR_INVALID, err, err_len, "workspace missing");
    if (m->m == 0 || m->n == 0)
        return KB_OK;
    unsigned char *w = ws;
    int lda, ldb;
    const float *a = f32_input(ctx, &m->a, w + l.a, &lda);
    const float *b = f32_input(ctx, &m->b, w + l.b, &ldb);
    enum CBLAS_TRANSPOSE ta = m->trans_a ? CblasTrans : CblasNoTrans;
    enum CBLAS_TRANSPOSE tb = m->trans_b ? CblasTrans : CblasNoTrans;
    int M = (int)m->m, N = (int)m->n, K = (int)m->k;
    if (m->c.dtype == KB_DTYPE_F32) {
        cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, m->alpha, a, lda, b, ldb, m->beta,
                    m->c.data, (int)m->c.strides[0]);
        return KB_OK;
    }
    float *c = (float *)(w + l.c);
    if (m->beta != 0.0f)
        kb_ob_matrix_to_f32(ctx, m->c.dtype, m->c.data, m->c.strides[0], m->m, m->n, c);
    cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, m->alpha, a, lda, b, ldb, m->beta, c, N);
    kb_ob_matrix_from_f32(ctx, m->c.dtype, c, m->m, m->n, m->c.data, m->c.strides[0]);
    return KB_OK;
}
