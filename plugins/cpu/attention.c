/*
 * attention.c - forward attention, two variants, both f32 throughout:
 *   rowwise: one query row at a time against all its visible keys; the score
 *            row (length Skv) lives in per-thread workspace.  K (transposed)
 *            and V of the current (batch, kv head) are decoded once per thread
 *            into f32 and reused by every query row of that head.
 *   online:  FlashAttention-style: a block of query rows walks key blocks,
 *            keeping a running max m, sum l and an f32 accumulator that is
 *            rescaled when m grows; no buffer is larger than one block.
 * Scores use K transposed (D x keys) so that the inner loop is an axpy over
 * keys, which the compiler vectorises without reassociating a dot product.
 * Causal masking is bottom-right: key j is visible to query i iff
 * j <= i + Skv - Sq.  Work is split over (batch, head, query-row block).
 */
#include <math.h>

#include "cpu.h"

#define ROW_BLOCK 32 /* rowwise: query rows per work item */
#define BQ 64        /* online: query rows per block (one work item) */
#define BK 64        /* online: keys per block */

kb_status kb_cpu_attention_rowwise_supports(void *ctx, const kb_problem *p, char *why,
                                            size_t why_len)
{
    (void)ctx;
    return kb_check_attention(p, why, why_len);
}

kb_status kb_cpu_attention_online_supports(void *ctx, const kb_problem *p, char *why,
                                           size_t why_len)
{
    return kb_cpu_attention_rowwise_supports(ctx, p, why, why_len);
}

/* Per-thread workspace slices, in floats (each piece rounded to a cache line). */
#define FL(n) (kb_cpu_round((size_t)(n) * sizeof(float)))

static size_t rowwise_slice(const kb_attention_params *a)
{
    int64_t S = a->seq_kv, D = a->head_dim;
    /* cache key, K^T [D x Skv], V [Skv x D], scores [Skv], q [D], acc [D] */
    return KB_CPU_ALIGN + FL(D * S) + FL(S * D) + FL(S) + FL(D) + FL(D);
}

static size_t online_slice(const kb_attention_params *a)
{
    int64_t D = a->head_dim;
    /* Q [BQ x D], K^T [D x BK], V [BK x D], S [BQ x BK], acc [BQ x D], m, l [BQ], tmp [D] */
    return FL(BQ * D) + FL(D * BK) + FL(BK * D) + FL(BQ * BK) + FL(BQ * D) + 2 * FL(BQ) + FL(D);
}

size_t kb_cpu_attention_rowwise_workspace(void *ctx, const kb_problem *p)
{
    return rowwise_slice(&p->u.attention) * (size_t)kb_cpu_threads(ctx) + KB_CPU_ALIGN;
}

size_t kb_cpu_attention_online_workspace(void *ctx, const kb_problem *p)
{
    return online_slice(&p->u.attention) * (size_t)kb_cpu_threads(ctx) + KB_CPU_ALIGN;
}

typedef struct att_job {
    const kb_cpu_ctx *ctx;
    const kb_attention_params *a;
    unsigned char *ws;
    size_t slice;
    int64_t blocks; /* query-row blocks per (b, h) */
    int64_t group;  /* heads_q / heads_kv */
} att_job;

/* Keys visible to query row i. */
static int64_t visible(const kb_attention_params *a, int64_t i)
{
    if (!a->causal)
        return a->seq_kv;
    int64_t n = i + a->seq_kv - a->seq_q + 1;
    return n < 0 ? 0 : n > a->seq_kv ? a->seq_kv : n;
}

static const void *row4(const kb_tensor *t, int64_t i0, int64_t i1, int64_t i2)
{
    return kb_cpu_at(t, i0 * t->strides[0] + i1 * t->strides[1] + i2 * t->strides[2]);
}

/* Decode rows [j0, j0 + n) of K (b, g) into kt[d * ld + j - j0] and of V into
 * v[(j - j0) * D + d].  tmp holds D floats. */
static void load_kv(const att_job *job, int64_t b, int64_t g, int64_t j0, int64_t n,
                    float *kt, int64_t ld, float *v, float *tmp)
{
    const kb_attention_params *a = job->a;
    int64_t D = a->head_dim;
    for (int64_t j = 0; j < n; j++) {
        kb_cpu_to_f32(job->ctx, a->k.dtype, row4(&a->k, b, g, j0 + j), D, tmp);
        for (int64_t d = 0; d < D; d++)
            kt[d * ld + j] = tmp[d];
        kb_cpu_to_f32(job->ctx, a->v.dtype, row4(&a->v, b, g, j0 + j), D, v + j * D);
    }
}

/* s[j] = sum_d q[d] kt[d * ld + j] for j < n: axpy form, vectorises over j. */
static void scores(const float *q, const float *kt, int64_t ld, int64_t D, int64_t n, float *s)
{
    for (int64_t j = 0; j < n; j++)
        s[j] = 0.0f;
    for (int64_t d = 0; d < D; d++) {
        const float qd = q[d];
        const float *k = kt + d * ld;
        for (int64_t j = 0; j < n; j++)
            s[j] += qd * k[j];
    }
}

/* acc[d] += sum_j p[j] v[j * D + d] for j < n. */
static void accumulate(const float *p, const float *v, int64_t D, int64_t n, float *acc)
{
    for (int64_t j = 0; j < n; j++) {
        const float pj = p[j];
        const float *vj = v + j * D;
        for (int64_t d = 0; d < D; d++)
            acc[d] += pj * vj[d];
    }
}

/* O row = acc / l (0 when no key was visible), LSE = m + log(l) (-inf then). */
static void store_row(const att_job *job, int64_t b, int64_t h, int64_t i, float *acc,
                      float m, float l)
{
    const kb_attention_params *a = job->a;
    int64_t D = a->head_dim;
    float *lse = kb_cpu_at(&a->lse, b * a->lse.strides[0] + h * a->lse.strides[1] +
                                        i * a->lse.strides[2]);
    if (l > 0.0f) {
        float inv = 1.0f / l;
        for (int64_t d = 0; d < D; d++)
            acc[d] *= inv;
        *lse = m + logf(l);
    } else {
        for (int64_t d = 0; d < D; d++)
            acc[d] = 0.0f;
        *lse = -INFINITY;
    }
    kb_cpu_from_f32(a->o.dtype, acc, D, (void *)row4(&a->o, b, h, i));
}

static void rowwise_items(void *arg, int64_t it0, int64_t it1, int tid)
{
    const att_job *job = arg;
    const kb_attention_params *a = job->a;
    int64_t S = a->seq_kv, D = a->head_dim;
    unsigned char *base = job->ws + (size_t)tid * job->slice;
    int64_t *key = (int64_t *)base; /* (b, g) whose K/V are decoded, or -1 */
    float *kt = (float *)(base + KB_CPU_ALIGN);
    float *v = (float *)((unsigned char *)kt + FL(D * S));
    float *s = (float *)((unsigned char *)v + FL(S * D));
    float *q = (float *)((unsigned char *)s + FL(S));
    float *acc = (float *)((unsigned char *)q + FL(D));

    for (int64_t it = it0; it < it1; it++) {
        int64_t bh = it / job->blocks, blk = it % job->blocks;
        int64_t b = bh / a->heads_q, h = bh % a->heads_q, g = h / job->group;
        if (key[0] != b || key[1] != g) {
            load_kv(job, b, g, 0, S, kt, S, v, acc);
            key[0] = b;
            key[1] = g;
        }
        int64_t i1 = (blk + 1) * ROW_BLOCK < a->seq_q ? (blk + 1) * ROW_BLOCK : a->seq_q;
        for (int64_t i = blk * ROW_BLOCK; i < i1; i++) {
            int64_t n = visible(a, i);
            for (int64_t d = 0; d < D; d++)
                acc[d] = 0.0f;
            if (n == 0) {
                store_row(job, b, h, i, acc, -INFINITY, 0.0f);
                continue;
            }
            kb_cpu_to_f32(job->ctx, a->q.dtype, row4(&a->q, b, h, i), D, q);
            scores(q, kt, S, D, n, s);
            float m = -INFINITY;
            for (int64_t j = 0; j < n; j++) {
                s[j] *= a->scale;
                m = s[j] > m ? s[j] : m;
            }
            double l = 0.0;
            for (int64_t j = 0; j < n; j++) {
                s[j] = expf(s[j] - m);
                l += s[j];
            }
            accumulate(s, v, D, n, acc);
            store_row(job, b, h, i, acc, m, (float)l);
        }
    }
}

static void online_items(void *arg, int64_t it0, int64_t it1, int tid)
{
    const att_job *job = arg;
    const kb_attention_params *a = job->a;
    int64_t D = a->head_dim;
    unsigned char *base = job->ws + (size_t)tid * job->slice;
    float *qb = (float *)base;
    float *kt = (float *)((unsigned char *)qb + FL(BQ * D));
    float *vb = (float *)((unsigned char *)kt + FL(D * BK));
    float *sb = (float *)((unsigned char *)vb + FL(BK * D));
    float *acc = (float *)((unsigned char *)sb + FL(BQ * BK));
    float *m = (float *)((unsigned char *)acc + FL(BQ * D));
    float *l = (float *)((unsigned char *)m + FL(BQ));
    float *tmp = (float *)((unsigned char *)l + FL(BQ));

    for (int64_t it = it0; it < it1; it++) {
        int64_t bh = it / job->blocks, blk = it % job->blocks;
        int64_t b = bh / a->heads_q, h = bh % a->heads_q, g = h / job->group;
        int64_t i0 = blk * BQ;
        int64_t bq = a->seq_q - i0 < BQ ? a->seq_q - i0 : BQ;
        for (int64_t r = 0; r < bq; r++) {
            kb_cpu_to_f32(job->ctx, a->q.dtype, row4(&a->q, b, h, i0 + r), D, qb + r * D);
            m[r] = -INFINITY;
            l[r] = 0.0f;
            for (int64_t d = 0; d < D; d++)
                acc[r * D + d] = 0.0f;
        }
        int64_t kv_end = visible(a, i0 + bq - 1); /* the last row sees the most keys */
        for (int64_t j0 = 0; j0 < kv_end; j0 += BK) {
            int64_t bk = kv_end - j0 < BK ? kv_end - j0 : BK;
            load_kv(job, b, g, j0, bk, kt, BK, vb, tmp);
            for (int64_t r = 0; r < bq; r++) {
                int64_t cnt = visible(a, i0 + r) - j0;
                if (cnt <= 0)
                    continue; /* this block is masked for row r */
                if (cnt > bk)
                    cnt = bk;
                float *s = sb + r * BK;
                scores(qb + r * D, kt, BK, D, cnt, s);
                float mb = -INFINITY;
                for (int64_t j = 0; j < cnt; j++) {
                    s[j] *= a->scale;
                    mb = s[j] > mb ? s[j] : mb;
                }
                float mn = mb > m[r] ? mb : m[r];
                float alpha = expf(m[r] - mn); /* 0 on the first block: m = -inf */
                float sum = 0.0f;
                for (int64_t j = 0; j < cnt; j++) {
                    s[j] = expf(s[j] - mn);
                    sum += s[j];
                }
                float *ar = acc + r * D;
                if (alpha != 1.0f)
                    for (int64_t d = 0; d < D; d++)
                        ar[d] *= alpha;
                accumulate(s, vb, D, cnt, ar);
                l[r] = l[r] * alpha + sum;
                m[r] = mn;
            }
        }
        for (int64_t r = 0; r < bq; r++)
            store_row(job, b, h, i0 + r, acc + r * D, m[r], l[r]);
    }
}

static kb_status attention_run(void *ctx, const kb_problem *p, void *ws, char *err,
                               size_t err_len, int online)
{
    kb_status st = kb_cpu_attention_rowwise_supports(ctx, p, err, err_len);
    if (st != KB_OK)
        return st;
    if (!ctx)
        return kb_fail(KB_ERR_INVALID, err, err_len, "plugin not initialised");
    if (!ws)
        return kb_fail(KB_ERR_INVALID, err, err_len, "workspace missing");
    const kb_attention_params *a = &p->u.attention;
    int64_t rb = online ? BQ : ROW_BLOCK;
    att_job job = {ctx, a, kb_cpu_align_ptr(ws), online ? online_slice(a) : rowwise_slice(a),
                   (a->seq_q + rb - 1) / rb, a->heads_kv ? a->heads_q / a->heads_kv : 1};
    if (!online) {
        for (int t = 0; t < kb_cpu_threads(ctx); t++) {
            int64_t *key = (int64_t *)(job.ws + (size_t)t * job.slice);
            key[0] = key[1] = -1; /* nothing decoded yet */
        }
    }
    int64_t items = a->batch * a->heads_q * job.blocks;
    double flops = 4.0 * (double)a->batch * (double)a->heads_q * (double)a->seq_q * (double)a->seq_kv * (double)a->head_dim;
    kb_cpu_parallel_for(((kb_cpu_ctx *)ctx)->pool, items, flops <= (double)KB_CPU_SERIAL_WORK ? items : 1,
                        online ? online_items : rowwise_items, &job);
    return KB_OK;
}

kb_status kb_cpu_attention_rowwise(void *ctx, const kb_problem *p, void *ws, void *stream,
                                   char *err, size_t err_len)
{
    (void)stream;
    return attention_run(ctx, p, ws, err, err_len, 0);
}

kb_status kb_cpu_attention_online(void *ctx, const kb_problem *p, void *ws, void *stream,
                                  char *err, size_t err_len)
{
    (void)stream;
    return attention_run(ctx, p, ws, err, err_len, 1);
}
