/*
 * softmax.c - row softmax / log-softmax, two variants:
 *   twopass: max pass, exp-sum pass, normalise pass;
 *   online:  running max and rescaled sum in one pass (Milakov & Gimelshein
 *            2018), then the normalise pass.
 * Arithmetic is f32 (sums in f64: free next to expf, and long rows stay
 * accurate).  f16/bf16 rows are decoded once into a per-thread f32 row,
 * which also holds the result before it is encoded.
 *
 * Differences are taken before scaling, scale * (x - max): scale > 0 keeps the
 * arg max, and x - max <= 0 can never overflow to +inf.
 */
#include <math.h>

#include "cpu.h"

kb_status kb_cpu_softmax_supports(void *ctx, const kb_problem *p, char *why, size_t why_len)
{
    (void)ctx;
    return kb_check_softmax(p, why, why_len);
}

/* One f32 row per thread, for rows that are not f32 already. */
static size_t row_slice(const kb_softmax_params *s)
{
    return s->x.dtype == KB_DTYPE_F32 ? 0 : kb_cpu_round((size_t)s->cols * sizeof(float));
}

size_t kb_cpu_softmax_workspace(void *ctx, const kb_problem *p)
{
    size_t slice = row_slice(&p->u.softmax);
    return slice ? slice * (size_t)kb_cpu_threads(ctx) + KB_CPU_ALIGN : 0;
}

/* y = exp(scale (x - m)) / sum  or  scale (x - m) - log(sum).  y may be x. */
static void normalise(const float *x, float *y, int64_t n, float scale, float m, double sum,
                      int log_softmax)
{
    if (log_softmax) {
        float lsum = (float)log(sum);
        for (int64_t j = 0; j < n; j++)
            y[j] = scale * (x[j] - m) - lsum;
    } else {
        float inv = (float)(1.0 / sum);
        for (int64_t j = 0; j < n; j++)
            y[j] = expf(scale * (x[j] - m)) * inv;
    }
}

static void fill(float *y, int64_t n, float v)
{
    for (int64_t j = 0; j < n; j++)
        y[j] = v;
}

static void row_twopass(const float *x, float *y, int64_t n, float scale, int log_softmax)
{
    /* Pass 1: the max, and whether a NaN or +inf poisons the row. */
    float m = -INFINITY;
    int bad = 0;
    for (int64_t j = 0; j < n; j++) {
        bad |= (x[j] != x[j]) | (x[j] == INFINITY);
        m = x[j] > m ? x[j] : m;
    }
    if (bad) {
        fill(y, n, NAN);
        return;
    }
    if (m == -INFINITY) { /* every entry -inf (or an empty row) */
        fill(y, n, log_softmax ? -INFINITY : 0.0f);
        return;
    }
    double sum = 0.0;
    for (int64_t j = 0; j < n; j++)
        sum += expf(scale * (x[j] - m));
    normalise(x, y, n, scale, m, sum, log_softmax);
}

static void row_online(const float *x, float *y, int64_t n, float scale, int log_softmax)
{
    /* d_j = d_{j-1} exp(scale (m_{j-1} - m_j)) + exp(scale (x_j - m_j)) */
    float m = -INFINITY;
    double d = 0.0;
    int bad = 0;
    for (int64_t j = 0; j < n; j++) {
        float v = x[j];
        bad |= (v != v) | (v == INFINITY);
        if (v > m) {
            d = d * expf(scale * (m - v)) + 1.0; /* m = -inf: exp(-inf) = 0 */
            m = v;
        } else if (v != -INFINITY) {
            d += expf(scale * (v - m));
        }
    }
    if (bad) {
        fill(y, n, NAN);
        return;
    }
    if (m == -INFINITY) {
        fill(y, n, log_softmax ? -INFINITY : 0.0f);
        return;
    }
    normalise(x, y, n, scale, m, d, log_softmax);
}

typedef struct sm_job {
    const kb_cpu_ctx *ctx;
    const kb_softmax_params *s;
    unsigned char *ws;
    size_t slice;
    int online;
} sm_job;

static void sm_rows(void *arg, int64_t r0, int64_t r1, int tid)
{
    const sm_job *job = arg;
    const kb_softmax_params *s = job->s;
    kb_dtype t = s->x.dtype;
    float *buf = (float *)(job->ws + (size_t)tid * job->slice);
    for (int64_t r = r0; r < r1; r++) {
        const void *xr = kb_cpu_at(&s->x, r * s->x.strides[0]);
        void *yr = kb_cpu_at(&s->y, r * s->y.strides[0]);
        const float *x = xr;
        float *y = yr;
        if (t != KB_DTYPE_F32) { /* work in place in the f32 row */
            kb_cpu_to_f32(job->ctx, t, xr, s->cols, buf);
            x = y = buf;
        }
        if (job->online)
            row_online(x, y, s->cols, s->scale, s->log_softmax);
        else
            row_twopass(x, y, s->cols, s->scale, s->log_softmax);
        if (t != KB_DTYPE_F32)
            kb_cpu_from_f32(t, buf, s->cols, yr);
    }
}

static kb_status softmax_run(void *ctx, const kb_problem *p, void *ws, char *err,
                             size_t err_len, int online)
{
    kb_status st = kb_cpu_softmax_supports(ctx, p, err, err_len);
    if (st != KB_OK)
        return st;
    if (!ctx)
        return kb_fail(KB_ERR_INVALID, err, err_len, "plugin not initialised");
    const kb_softmax_params *s = &p->u.softmax;
    sm_job job = {ctx, s, NULL, row_slice(s), online};
    if (job.slice) {
        if (!ws)
            return kb_fail(KB_ERR_INVALID, err, err_len, "workspace missing");
        job.ws = kb_cpu_align_ptr(ws);
    }
    int threads = kb_cpu_threads(ctx);
    /* Chunks of ~16k elements, but at least 4 chunks per thread when rows allow. */
    int64_t grain = s->cols > 0 ? 16384 / s->cols : s->rows;
    int64_t fair = s->rows / (4 * (int64_t)threads);
    if (grain > fair)
        grain = fair;
    if (grain < 1)
        grain = 1;
    if (s->rows * s->cols <= KB_CPU_SERIAL_WORK)
        grain = s->rows; /* one chunk: the caller alone */
    kb_cpu_parallel_for(((kb_cpu_ctx *)ctx)->pool, s->rows, grain, sm_rows, &job);
    return KB_OK;
}

kb_status kb_cpu_softmax_twopass(void *ctx, const kb_problem *p, void *ws, void *stream,
                                 char *err, size_t err_len)
{
    (void)stream;
    return softmax_run(ctx, p, ws, err, err_len, 0);
}

kb_status kb_cpu_softmax_online(void *ctx, const kb_problem *p, void *ws, void *stream,
                                char *err, size_t err_len)
{
    (void)stream;
    return softmax_run(ctx, p, ws, err, err_len, 1);
}
