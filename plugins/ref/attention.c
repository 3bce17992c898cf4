/*
 * plugins/ref/attention.c - attention forward, one query row at a time.
 *
 * exact:   scores, softmax and P V in f64, straight from the definition.
 * storage: what an eager PyTorch implementation does in the storage dtype:
 *          S = Q K^T (f32 accumulation) rounded to the input dtype, times
 *          scale rounded again, P = softmax(S) in f32 rounded to the input
 *          dtype, O = P V (f32 accumulation) rounded to O's dtype; LSE in f32
 *          from the rounded scores.
 * A masked key contributes exp(-inf) = 0, so both simply skip the keys past
 * the causal limit; a row with no visible key is O = 0, LSE = -inf.
 */
#include <math.h>
#include <stdlib.h>

#include "ref.h"

kb_status ref_attention_check(const kb_problem *p, ref_mode mode, char *msg, size_t len)
{
    const kb_attention_params *a = &p->u.attention;
    if (p->op != KB_OP_ATTENTION)
        return ref_fail(msg, len, KB_ERR_INVALID, "problem is not an attention");
    if (a->batch < 0 || a->heads_q < 0 || a->seq_q < 0 || a->seq_kv < 0 || a->head_dim < 0)
        return ref_fail(msg, len, KB_ERR_INVALID, "attention sizes must be >= 0");
    if (a->heads_kv < 1 || a->heads_q % a->heads_kv != 0)
        return ref_fail(msg, len, KB_ERR_INVALID,
                        "attention heads_q (%lld) must be a multiple of heads_kv (%lld) >= 1",
                        (long long)a->heads_q, (long long)a->heads_kv);
    if (!isfinite(a->scale))
        return ref_fail(msg, len, KB_ERR_INVALID, "attention scale must be finite");
    if (!ref_is_io_float(a->q.dtype))
        return ref_fail(msg, len, KB_ERR_UNSUPPORTED, "attention q must be f32, f16 or bf16, not %s",
                        ref_dtype_name(a->q.dtype));
    if (a->k.dtype != a->q.dtype || a->v.dtype != a->q.dtype)
        return ref_fail(msg, len, KB_ERR_UNSUPPORTED, "attention k and v must be %s like q, not %s/%s",
                        ref_dtype_name(a->q.dtype), ref_dtype_name(a->k.dtype),
                        ref_dtype_name(a->v.dtype));
    if (a->o.dtype != a->q.dtype && !(mode == REF_EXACT && a->o.dtype == KB_DTYPE_F64))
        return ref_fail(msg, len, KB_ERR_UNSUPPORTED, "attention o must be %s like q%s, not %s",
                        ref_dtype_name(a->q.dtype), mode == REF_EXACT ? " (or f64)" : "",
                        ref_dtype_name(a->o.dtype));
    if (a->lse.dtype != KB_DTYPE_F32 && a->lse.dtype != KB_DTYPE_F64)
        return ref_fail(msg, len, KB_ERR_UNSUPPORTED, "attention lse must be f32 (or f64), not %s",
                        ref_dtype_name(a->lse.dtype));
    const int64_t qs[4] = {a->batch, a->heads_q, a->seq_q, a->head_dim};
    const int64_t ks[4] = {a->batch, a->heads_kv, a->seq_kv, a->head_dim};
    kb_status st = ref_check_tensor(&a->q, "attention q", 4, qs, msg, len);
    if (st == KB_OK) st = ref_check_tensor(&a->k, "attention k", 4, ks, msg, len);
    if (st == KB_OK) st = ref_check_tensor(&a->v, "attention v", 4, ks, msg, len);
    if (st == KB_OK) st = ref_check_tensor(&a->o, "attention o", 4, qs, msg, len);
    if (st == KB_OK) st = ref_check_tensor(&a->lse, "attention lse", 3, qs, msg, len);
    if (st == KB_OK) st = ref_check_rows(p, a->batch * a->heads_q * a->seq_q, msg, len);
    return st;
}

/* One query row (b, h, i) and where its operands live. */
typedef struct attn_row {
    int64_t q, o, lse;  /* element offsets of Q[b,h,i,0], O[b,h,i,0], LSE[b,h,i] */
    int64_t kv;         /* element offset of K[b,g,0,0] */
    int64_t kv_v;       /* element offset of V[b,g,0,0] */
    int64_t visible;    /* keys 0..visible-1 are unmasked */
} attn_row;

static attn_row attn_locate(const kb_attention_params *a, int64_t row)
{
    const int64_t i = row % a->seq_q, bh = row / a->seq_q;
    const int64_t h = bh % a->heads_q, b = bh / a->heads_q;
    const int64_t g = h / (a->heads_q / a->heads_kv); /* GQA: query head h reads KV head g */
    attn_row r;
    r.q = b * a->q.strides[0] + h * a->q.strides[1] + i * a->q.strides[2];
    r.o = b * a->o.strides[0] + h * a->o.strides[1] + i * a->o.strides[2];
    r.lse = b * a->lse.strides[0] + h * a->lse.strides[1] + i * a->lse.strides[2];
    r.kv = b * a->k.strides[0] + g * a->k.strides[1];
    r.kv_v = b * a->v.strides[0] + g * a->v.strides[1];
    r.visible = a->seq_kv;
    if (a->causal) { /* bottom-right: key j is visible iff j <= i + (Skv - Sq) */
        int64_t last = i + a->seq_kv - a->seq_q;
        r.visible = last < 0 ? 0 : (last + 1 < a->seq_kv ? last + 1 : a->seq_kv);
    }
    return r;
}

static void attn_masked_row(const kb_attention_params *a, const attn_row *r)
{
    for (int64_t d = 0; d < a->head_dim; d++)
        kb_store_f64(a->o.data, a->o.dtype, r->o + d, 0.0, 0);
    kb_store_f64(a->lse.data, a->lse.dtype, r->lse, -INFINITY, 0);
}

/* L: loaders for q, k, v; s: Skv doubles; acc: D doubles. */
static void attn_row_exact(const kb_attention_params *a, const ref_loader *L, const attn_row *r, double *s,
                           double *acc)
{
    const int64_t D = a->head_dim;
    double m = -INFINITY;
    for (int64_t j = 0; j < r->visible; j++) {
        double dot = 0.0;
        for (int64_t d = 0; d < D; d++)
            dot += (double)ref_load(&L[0], r->q + d) * ref_load(&L[1], r->kv + j * a->k.strides[2] + d);
        s[j] = (double)a->scale * dot;
        if (s[j] > m)
            m = s[j];
    }
    double l = 0.0;
    for (int64_t d = 0; d < D; d++)
        acc[d] = 0.0;
    for (int64_t j = 0; j < r->visible; j++) {
        double w = exp(s[j] - m);
        l += w;
        for (int64_t d = 0; d < D; d++)
            acc[d] += w * ref_load(&L[2], r->kv_v + j * a->v.strides[2] + d);
    }
    for (int64_t d = 0; d < D; d++)
        kb_store_f64(a->o.data, a->o.dtype, r->o + d, acc[d] / l, 0);
    kb_store_f64(a->lse.data, a->lse.dtype, r->lse, m + log(l), 0);
}

/* L: loaders for q, k, v; s: Skv floats; acc: D floats. */
static void attn_row_storage(const kb_attention_params *a, const ref_loader *L, const attn_row *r, float *s,
                             float *acc)
{
    const int64_t D = a->head_dim;
    const kb_dtype t = a->q.dtype;
    float m = -INFINITY;
    for (int64_t j = 0; j < r->visible; j++) {
        float dot = 0.0f;
        for (int64_t d = 0; d < D; d++)
            dot += ref_load(&L[0], r->q + d) * ref_load(&L[1], r->kv + j * a->k.strides[2] + d);
        s[j] = ref_round_to(t, ref_round_to(t, dot) * a->scale);
        if (s[j] > m)
            m = s[j];
    }
    float l = 0.0f;
    for (int64_t j = 0; j < r->visible; j++) {
        s[j] = expf(s[j] - m);
        l += s[j];
    }
    for (int64_t d = 0; d < D; d++)
        acc[d] = 0.0f;
    for (int64_t j = 0; j < r->visible; j++) {
        float pj = ref_round_to(t, s[j] / l);
        for (int64_t d = 0; d < D; d++)
            acc[d] += pj * ref_load(&L[2], r->kv_v + j * a->v.strides[2] + d);
    }
    for (int64_t d = 0; d < D; d++)
        kb_store_f64(a->o.data, a->o.dtype, r->o + d, acc[d], 0);
    kb_store_f64(a->lse.data, a->lse.dtype, r->lse, m + logf(l), 0);
}

kb_status ref_attention_run(const kb_problem *p, ref_mode mode, char *err, size_t len)
{
    kb_status st = ref_attention_check(p, mode, err, len);
    if (st != KB_OK)
        return st;
    const kb_attention_params *a = &p->u.attention;
    const kb_tensor *const inputs[3] = {&a->q, &a->k, &a->v};
    ref_loader L[3];
    st = ref_loaders_init(L, 3, inputs, err, len);
    if (st != KB_OK)
        return st;
    /* Scratch for one row's scores and output accumulator, sized in doubles
     * so that either mode fits (+1: never malloc(0)). */
    void *s = malloc(sizeof(double) * (size_t)(a->seq_kv + 1));
    void *acc = malloc(sizeof(double) * (size_t)(a->head_dim + 1));
    if (!s || !acc) {
        free(s);
        free(acc);
        ref_loaders_free(L, 3);
        return ref_fail(err, len, KB_ERR_NOMEM, "attention: out of memory for a row of scores");
    }
    const ref_rows rows = ref_rows_of(p, a->batch * a->heads_q * a->seq_q);
    for (int64_t n = 0; n < rows.count; n++) {
        const attn_row r = attn_locate(a, ref_row_at(&rows, n));
        if (r.visible == 0)
            attn_masked_row(a, &r);
        else if (mode == REF_EXACT)
            attn_row_exact(a, L, &r, s, acc);
        else
            attn_row_storage(a, L, &r, s, acc);
    }
    free(s);
    free(acc);
    ref_loaders_free(L, 3);
    return KB_OK;
}
