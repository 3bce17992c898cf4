/*
 * attention.c - attention composed the naive way, as a user without a fused
 * kernel writes it (PyTorch's math path, done by hand):
 *   for every batch b and query head h (KV head g = h / (Hq / Hkv)):
 *     S = scale * Q K^T          cblas_sgemm into an Sq x Skv f32 buffer
 *     P = softmax(S) row-wise    plain C, causal mask applied, LSE written
 *     O = P V                    cblas_sgemm
 * The Sq x Skv score matrix is the point of this baseline: it is O(S^2)
 * memory written and read twice, which FlashAttention-style kernels avoid.
 * The causal mask is applied after the full Q K^T (the naive way computes
 * the masked half too).  f16/bf16 Q, K, V are decoded to f32 per head and O
 * is rounded back once; f32 tensors are used in place (strides passed as
 * leading dimensions).  The softmax rows run on the plugin's pool, the
 * sgemms on OpenBLAS's.
 */
#include <limits.h>
#include <math.h>

#include <cblas.h>

#include "openblas.h"

kb_status kb_ob_attention_supports(void *ctx, const kb_problem *p, char *why, size_t why_len)
{
    (void)ctx;
    kb_status st = kb_check_attention(p, why, why_len);
    if (st != KB_OK)
        return st;
    const kb_attention_params *a = &p->u.attention;
    int64_t v[] = {a->seq_q, a->seq_kv, a->head_dim, a->q.strides[2], a->k.strides[2],
                   a->v.strides[2], a->o.strides[2]};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        if (v[i] > INT_MAX)
            return kb_fail(KB_ERR_UNSUPPORTED, why, why_len,
                              "a length or row stride exceeds OpenBLAS's 32-bit int");
    return KB_OK;
}

/* Workspace: S [Sq x Skv], then for f16/bf16 the f32 copies of one head's
 * Q and O [Sq x D] and one KV head's K and V [Skv x D]. */
typedef struct att_layout {
    size_t s, q, k, v, o, total;
} att_layout;

static att_layout layout_of(const kb_attention_params *a)
{
    att_layout l;
    size_t sq = (size_t)a->seq_q, skv = (size_t)a->seq_kv, d = (size_t)a->head_dim;
    int conv = a->q.dtype != KB_DTYPE_F32;
    l.s = 0;
    l.q = l.s + kb_ob_round(sq * skv * 4);
    l.k = l.q + (conv ? kb_ob_round(sq * d * 4) : 0);
    l.v = l.k + (conv ? kb_ob_round(skv * d * 4) : 0);
    l.o = l.v + (conv ? kb_ob_round(skv * d * 4) : 0);
    l.total = l.o + (conv ? kb_ob_round(sq * d * 4) : 0);
    return l;
}

size_t kb_ob_attention_workspace(void *ctx, const kb_problem *p)
{
    (void)ctx;
    return layout_of(&p->u.attention).total;
}

typedef struct softmax_job {
    float *s;        /* scores in, probabilities out: [Sq x Skv] */
    int64_t sq, skv;
    int causal;
    float *lse;      /* this head's LSE row */
} softmax_job;

/* Rows [r0, r1) of S: query i sees keys 0 .. i + Skv - Sq (all when not
 * causal).  No visible key: P = 0 (so O = 0) and LSE = -inf. */
static void softmax_rows(void *arg, int64_t r0, int64_t r1, int tid)
{
    (void)tid;
    const softmax_job *j = arg;
    for (int64_t i = r0; i < r1; i++) {
        float *row = j->s + i * j->skv;
        int64_t visible = j->causal ? i + j->skv - j->sq + 1 : j->skv;
        if (visible > j->skv)
            visible = j->skv;
        if (visible <= 0) {
            for (int64_t c = 0; c < j->skv; c++)
                row[c] = 0.0f;
            j->lse[i] = -INFINITY;
            continue;
        }
        float mx = row[0];
        for (int64_t c = 1; c < visible; c++)
            mx = row[c] > mx ? row[c] : mx;
        float sum = 0.0f;
        for (int64_t c = 0; c < visible; c++) {
            row[c] = expf(row[c] - mx);
            sum += row[c];
        }
        float inv = 1.0f / sum;
        for (int64_t c = 0; c < visible; c++)
            row[c] *= inv;
        for (int64_t c = visible; c < j->skv; c++)
            row[c] = 0.0f;
        j->lse[i] = mx + logf(sum);
    }
}

/* Element offset of row 0 of head (b, h) in a [B, H, S, D] tensor. */
static int64_t head_off(const kb_tensor *t, int64_t b, int64_t h)
{
    return b * t->strides[0] + h * t->strides[1];
}

static void *at(const kb_tensor *t, int64_t off)
{
    return (unsigned char *)t->data + off * (int64_t)kb_dtype_size(t->dtype);
}

/* One head's [S x D] matrix as f32: in place for f32, else decoded into `copy`. */
static const float *head_f32(kb_ob_ctx *ctx, const kb_tensor *t, int64_t b, int64_t h,
                             float *copy, int *ld)
{
    if (t->dtype == KB_DTYPE_F32) {
        *ld = (int)t->strides[2];
        return at(t, head_off(t, b, h));
    }
    kb_ob_matrix_to_f32(ctx, t->dtype, at(t, head_off(t, b, h)), t->strides[2], t->shape[2],
                        t->shape[3], copy);
    *ld = (int)t->shape[3];
    return copy;
}

kb_status kb_ob_attention_run(void *plugin_ctx, const kb_problem *p, void *ws, void *stream,
                              char *err, size_t err_len)
{
    (void)stream;
    kb_ob_ctx *ctx = plugin_ctx;
    kb_status st = kb_ob_attention_supports(ctx, p, err, err_len);
    if (st != KB_OK)
        return st;
    if (!ctx)
        return kb_fail(KB_ERR_INVALID, err, err_len, "plugin not initialised");
    if (!ws)
        return kb_fail(KB_ERR_INVALID, err, err_len, "workspace missing");
    const kb_attention_params *a = &p->u.attention;
    if (a->batch == 0 || a->heads_q == 0 || a->seq_q == 0)
        return KB_OK;
    att_layout l = layout_of(a);
    unsigned char *w = ws;
    float *s = (float *)(w + l.s);
    int sq = (int)a->seq_q, skv = (int)a->seq_kv, d = (int)a->head_dim;
    int64_t group = a->heads_q / a->heads_kv;
    int f32 = a->q.dtype == KB_DTYPE_F32;
    softmax_job job = {s, a->seq_q, a->seq_kv, a->causal, NULL};
    int64_t grain = a->seq_q * a->seq_kv <= KB_OB_SERIAL_ELEMS ? a->seq_q : 8;
    for (int64_t b = 0; b < a->batch; b++)
        for (int64_t g = 0; g < a->heads_kv; g++) {
            int ldk, ldv;
            const float *k = head_f32(ctx, &a->k, b, g, (float *)(w + l.k), &ldk);
            const float *v = head_f32(ctx, &a->v, b, g, (float *)(w + l.v), &ldv);
            for (int64_t h = g * group; h < (g + 1) * group; h++) {
                int ldq;
                const float *q = head_f32(ctx, &a->q, b, h, (float *)(w + l.q), &ldq);
                if (skv > 0 && d > 0)
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, sq, skv, d, a->scale,
                                q, ldq, k, ldk, 0.0f, s, skv);
                else
                    for (int64_t i = 0; i < a->seq_q * a->seq_kv; i++)
                        s[i] = 0.0f;
                job.lse = (float *)at(&a->lse, b * a->lse.strides[0] + h * a->lse.strides[1]);
                kb_cpu_parallel_for(ctx->pool, a->seq_q, grain, softmax_rows, &job);
                float *o = f32 ? at(&a->o, head_off(&a->o, b, h)) : (float *)(w + l.o);
                int ldo = f32 ? (int)a->o.strides[2] : d;
                if (d > 0)
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, sq, d, skv, 1.0f, s,
                                skv, v, ldv, 0.0f, o, ldo);
                if (!f32)
                    kb_ob_matrix_from_f32(ctx, a->o.dtype, o, a->seq_q, a->head_dim,
                                          at(&a->o, head_off(&a->o, b, h)), a->o.strides[2]);
            }
        }
    return KB_OK;
}
