/*
 * quantize.c - the four quantize kinds of ops.h:
 *   INT8:         scale = absmax / 127 (f32), q = clamp(rne(x / scale)); x / scale
 *                 is divided in f64, which rounds exactly like the exact quotient
 *                 (an f32 / f32 quotient is never within 2^-46 of a half-integer
 *                 below 128 unless it is one), so q matches the definition bit
 *                 for bit.  Per tensor: a parallel absmax first.
 *   DEQUANT_INT8: y = q * scale in f32 (one rounding).
 *   CAST:         convert.h's encoder, bit-exact, saturating or not.
 *   VQ:           squared L2 distances in f64 (differences of f32 are exact,
 *                 squares nearly so), summed in dimension order; the codebook
 *                 is transposed once so the inner loop runs over codes and
 *                 vectorises; strict < keeps the lowest index on ties.
 * Rows are split across threads.
 */
#include <math.h>

#include "cpu.h"

static kb_status check_x(const kb_quantize_params *q, char *why, size_t why_len)
{
    int64_t shape[2] = {q->rows, q->cols};
    return kb_check_tensor(&q->x, "x", KB_DTYPE_F32, 2, shape, why, why_len);
}

/* Shape of the scales tensor for the granularity; rank 0 if the granularity is bad. */
static int32_t scales_shape(const kb_quantize_params *q, int64_t shape[2])
{
    switch (q->granularity) {
    case KB_SCALE_PER_TENSOR: shape[0] = 1; return 1;
    case KB_SCALE_PER_ROW: shape[0] = q->rows; return 1;
    case KB_SCALE_PER_GROUP:
        shape[0] = q->rows;
        shape[1] = (q->cols + q->group_size - 1) / q->group_size;
        return 2;
    default: return 0;
    }
}

kb_status kb_cpu_quantize_supports(void *ctx, const kb_problem *p, char *why, size_t why_len)
{
    (void)ctx;
    if (p->op != KB_OP_QUANTIZE)
        return kb_fail(KB_ERR_INVALID, why, why_len, "not a quantize problem");
    const kb_quantize_params *q = &p->u.quantize;
    if (q->rows < 0 || q->cols < 0)
        return kb_fail(KB_ERR_INVALID, why, why_len, "negative rows or cols");
    int64_t shape[2] = {q->rows, q->cols};
    kb_status st = KB_OK;
    switch (q->kind) {
    case KB_QUANT_INT8:
    case KB_QUANT_DEQUANT_INT8: {
        if (q->granularity == KB_SCALE_PER_GROUP && q->group_size < 1)
            return kb_fail(KB_ERR_INVALID, why, why_len, "group_size %lld < 1",
                               (long long)q->group_size);
        int64_t ss[2];
        int32_t srank = scales_shape(q, ss);
        if (srank == 0)
            return kb_fail(KB_ERR_INVALID, why, why_len, "unknown scale granularity %d",
                               (int)q->granularity);
        if (q->kind == KB_QUANT_INT8)
            st = check_x(q, why, why_len);
        else
            st = kb_check_tensor(&q->y, "y", KB_DTYPE_F32, 2, shape, why, why_len);
        if (st == KB_OK)
            st = kb_check_tensor(&q->q, "q", KB_DTYPE_I8, 2, shape, why, why_len);
        if (st == KB_OK)
            st = kb_check_tensor(&q->scales, "scales", KB_DTYPE_F32, srank, ss, why, why_len);
        return st;
    }
    case KB_QUANT_CAST:
        if (q->out_dtype != KB_DTYPE_F16 && q->out_dtype != KB_DTYPE_BF16 &&
            q->out_dtype != KB_DTYPE_FP8_E4M3 && q->out_dtype != KB_DTYPE_FP8_E5M2)
            return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "cast to %s not supported",
                               kb_dtype_name(q->out_dtype) ? kb_dtype_name(q->out_dtype)
                                                           : "invalid");
        st = check_x(q, why, why_len);
        if (st == KB_OK)
            st = kb_check_tensor(&q->y, "y", q->out_dtype, 2, shape, why, why_len);
        return st;
    case KB_QUANT_VQ: {
        if (q->codes < 1)
            return kb_fail(KB_ERR_INVALID, why, why_len, "codes %lld < 1", (long long)q->codes);
        int64_t cs[2] = {q->codes, q->cols};
        st = check_x(q, why, why_len);
        if (st == KB_OK)
            st = kb_check_tensor(&q->codebook, "codebook", KB_DTYPE_F32, 2, cs, why, why_len);
        if (st == KB_OK)
            st = kb_check_tensor(&q->indices, "indices", KB_DTYPE_I32, 1, shape, why, why_len);
        return st;
    }
    default:
        return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "quantize kind %d not supported",
                           (int)q->kind);
    }
}

/* INT8 per tensor: one absmax slot per thread.  VQ: the transposed codebook
 * [dim x codes] (f32) plus one f64 distance row [codes] per thread. */
static size_t absmax_slice(void) { return KB_CPU_ALIGN; }
static size_t vq_table(const kb_quantize_params *q)
{
    return kb_cpu_round((size_t)q->codes * (size_t)q->cols * sizeof(float));
}
static size_t vq_slice(const kb_quantize_params *q)
{
    return kb_cpu_round((size_t)q->codes * sizeof(double));
}

size_t kb_cpu_quantize_workspace(void *ctx, const kb_problem *p)
{
    const kb_quantize_params *q = &p->u.quantize;
    size_t threads = (size_t)kb_cpu_threads(ctx);
    if (q->kind == KB_QUANT_INT8 && q->granularity == KB_SCALE_PER_TENSOR)
        return absmax_slice() * threads + KB_CPU_ALIGN;
    if (q->kind == KB_QUANT_VQ)
        return vq_table(q) + vq_slice(q) * threads + KB_CPU_ALIGN;
    return 0;
}

typedef struct q_job {
    const kb_quantize_params *q;
    unsigned char *ws;
    size_t slice;
    float tensor_scale; /* INT8 per tensor */
} q_job;

static const float *x_row(const kb_quantize_params *q, int64_t r)
{
    return kb_cpu_at(&q->x, r * q->x.strides[0]);
}

/* Max |x|, NaN if any x is NaN (a non-finite block must get a non-finite scale). */
static float absmax(const float *x, int64_t n, float m)
{
    for (int64_t j = 0; j < n; j++) {
        float a = fabsf(x[j]);
        m = (a > m || a != a) ? a : m; /* once NaN, stays NaN */
    }
    return m;
}

/* q[j] = clamp(rne(x[j] / scale), -127, 127), 0 for a zero scale. */
static void quant_block(const float *x, int8_t *q, int64_t n, float scale)
{
    if (scale == 0.0f) {
        for (int64_t j = 0; j < n; j++)
            q[j] = 0;
        return;
    }
    double s = scale;
    for (int64_t j = 0; j < n; j++) {
        double v = rint((double)x[j] / s); /* default rounding mode: half to even */
        v = v > 127.0 ? 127.0 : v < -127.0 ? -127.0 : v;
        q[j] = (int8_t)(v == v ? (int)v : 0); /* NaN only from non-finite input */
    }
}

static void absmax_rows(void *arg, int64_t r0, int64_t r1, int tid)
{
    const q_job *job = arg;
    float *slot = (float *)(job->ws + (size_t)tid * job->slice);
    for (int64_t r = r0; r < r1; r++)
        *slot = absmax(x_row(job->q, r), job->q->cols, *slot);
}

static void int8_rows(void *arg, int64_t r0, int64_t r1, int tid)
{
    (void)tid;
    const q_job *job = arg;
    const kb_quantize_params *q = job->q;
    float *scales = q->scales.data;
    for (int64_t r = r0; r < r1; r++) {
        const float *x = x_row(q, r);
        int8_t *qr = kb_cpu_at(&q->q, r * q->q.strides[0]);
        switch (q->granularity) {
        case KB_SCALE_PER_TENSOR:
            quant_block(x, qr, q->cols, job->tensor_scale);
            break;
        case KB_SCALE_PER_ROW: {
            float s = absmax(x, q->cols, 0.0f) / 127.0f;
            scales[r * q->scales.strides[0]] = s;
            quant_block(x, qr, q->cols, s);
            break;
        }
        default: { /* per group; the last group of a row may be shorter */
            float *sr = kb_cpu_at(&q->scales, r * q->scales.strides[0]);
            for (int64_t c0 = 0, gi = 0; c0 < q->cols; c0 += q->group_size, gi++) {
                int64_t n = q->cols - c0 < q->group_size ? q->cols - c0 : q->group_size;
                float s = absmax(x + c0, n, 0.0f) / 127.0f;
                sr[gi] = s;
                quant_block(x + c0, qr + c0, n, s);
            }
            break;
        }
        }
    }
}

static void dequant_rows(void *arg, int64_t r0, int64_t r1, int tid)
{
    (void)tid;
    const kb_quantize_params *q = ((const q_job *)arg)->q;
    const float *scales = q->scales.data;
    for (int64_t r = r0; r < r1; r++) {
        const int8_t *qr = kb_cpu_at(&q->q, r * q->q.strides[0]);
        float *y = kb_cpu_at(&q->y, r * q->y.strides[0]);
        if (q->granularity == KB_SCALE_PER_GROUP) {
            const float *sr = kb_cpu_at(&q->scales, r * q->scales.strides[0]);
            for (int64_t j = 0; j < q->cols; j++)
                y[j] = (float)qr[j] * sr[j / q->group_size];
        } else {
            float s = q->granularity == KB_SCALE_PER_TENSOR ? scales[0]
                                                             : scales[r * q->scales.strides[0]];
            for (int64_t j = 0; j < q->cols; j++)
                y[j] = (float)qr[j] * s;
        }
    }
}

static void cast_rows(void *arg, int64_t r0, int64_t r1, int tid)
{
    (void)tid;
    const kb_quantize_params *q = ((const q_job *)arg)->q;
    const kb_float_format *f = kb_dtype_format(q->out_dtype);
    int sat = q->saturate != 0;
    for (int64_t r = r0; r < r1; r++) {
        const float *x = x_row(q, r);
        if (kb_dtype_size(q->out_dtype) == 2) {
            uint16_t *y = kb_cpu_at(&q->y, r * q->y.strides[0]);
            for (int64_t j = 0; j < q->cols; j++)
                y[j] = (uint16_t)kb_encode_float(f, x[j], sat);
        } else {
            uint8_t *y = kb_cpu_at(&q->y, r * q->y.strides[0]);
            for (int64_t j = 0; j < q->cols; j++)
                y[j] = (uint8_t)kb_encode_float(f, x[j], sat);
        }
    }
}

/* ct[d * codes + c] = codebook[c, d], for codes [c0, c1). */
static void vq_transpose(void *arg, int64_t c0, int64_t c1, int tid)
{
    (void)tid;
    const q_job *job = arg;
    const kb_quantize_params *q = job->q;
    float *ct = (float *)job->ws;
    for (int64_t c = c0; c < c1; c++) {
        const float *row = kb_cpu_at(&q->codebook, c * q->codebook.strides[0]);
        for (int64_t d = 0; d < q->cols; d++)
            ct[d * q->codes + c] = row[d];
    }
}

static void vq_rows(void *arg, int64_t r0, int64_t r1, int tid)
{
    const q_job *job = arg;
    const kb_quantize_params *q = job->q;
    const float *ct = (const float *)job->ws;
    double *dist = (double *)(job->ws + vq_table(q) + (size_t)tid * job->slice);
    int64_t codes = q->codes;
    for (int64_t r = r0; r < r1; r++) {
        const float *x = x_row(q, r);
        for (int64_t c = 0; c < codes; c++)
            dist[c] = 0.0;
        for (int64_t d = 0; d < q->cols; d++) {
            const double xd = x[d];
            const float *cd = ct + d * codes;
            for (int64_t c = 0; c < codes; c++) {
                double t = xd - (double)cd[c];
                dist[c] += t * t;
            }
        }
        int32_t best = 0;
        for (int64_t c = 1; c < codes; c++)
            if (dist[c] < dist[best])
                best = (int32_t)c;
        ((int32_t *)q->indices.data)[r * q->indices.strides[0]] = best;
    }
}

kb_status kb_cpu_quantize_basic(void *ctx, const kb_problem *p, void *ws, void *stream,
                                char *err, size_t err_len)
{
    (void)stream;
    kb_status st = kb_cpu_quantize_supports(ctx, p, err, err_len);
    if (st != KB_OK)
        return st;
    if (!ctx)
        return kb_fail(KB_ERR_INVALID, err, err_len, "plugin not initialised");
    const kb_quantize_params *q = &p->u.quantize;
    kb_cpu_pool *pool = ((kb_cpu_ctx *)ctx)->pool;
    int threads = kb_cpu_threads(ctx);
    q_job job = {q, NULL, 0, 0.0f};
    if (kb_cpu_quantize_workspace(ctx, p)) {
        if (!ws)
            return kb_fail(KB_ERR_INVALID, err, err_len, "workspace missing");
        job.ws = kb_cpu_align_ptr(ws);
    }
    /* Rows per chunk: ~16k elements, at least 4 chunks per thread when rows allow. */
    int64_t per = q->kind == KB_QUANT_VQ ? q->cols * q->codes : q->cols;
    int64_t grain = per > 0 ? 16384 / per : q->rows;
    int64_t fair = q->rows / (4 * (int64_t)threads);
    grain = grain > fair ? fair : grain;
    grain = grain < 1 ? 1 : grain;
    if (per * q->rows <= KB_CPU_SERIAL_WORK)
        grain = q->rows; /* one chunk: the caller alone */

    switch (q->kind) {
    case KB_QUANT_INT8:
        if (q->granularity == KB_SCALE_PER_TENSOR) {
            job.slice = absmax_slice();
            for (int t = 0; t < threads; t++)
                *(float *)(job.ws + (size_t)t * job.slice) = 0.0f;
            kb_cpu_parallel_for(pool, q->rows, grain, absmax_rows, &job);
            float m = 0.0f;
            for (int t = 0; t < threads; t++) {
                float a = *(float *)(job.ws + (size_t)t * job.slice);
                m = (a > m || a != a) ? a : m;
            }
            job.tensor_scale = m / 127.0f;
            *(float *)q->scales.data = job.tensor_scale;
        }
        kb_cpu_parallel_for(pool, q->rows, grain, int8_rows, &job);
        break;
    case KB_QUANT_DEQUANT_INT8:
        kb_cpu_parallel_for(pool, q->rows, grain, dequant_rows, &job);
        break;
    case KB_QUANT_CAST:
        kb_cpu_parallel_for(pool, q->rows, grain, cast_rows, &job);
        break;
    case KB_QUANT_VQ:
        job.slice = vq_slice(q);
        kb_cpu_parallel_for(pool, q->codes, 256, vq_transpose, &job);
        kb_cpu_parallel_for(pool, q->rows, grain, vq_rows, &job);
        break;
    default:
        break;
    }
    return KB_OK;
}
