/*
 * plugins/ref/softmax.c - softmax and log-softmax over the rows of x.
 *
 * exact:   f64 throughout, max-subtracted (the shift cancels mathematically,
 *          and keeps exp() finite).
 * storage: f32 throughout, as PyTorch computes an f32 softmax: scale * x,
 *          max, sequential sum of expf, one division; rounded once to y.
 * Both apply the edge rules of ops.h first: a row with NaN or +inf is NaN,
 * an all -inf row is 0 (log: -inf).
 */
#include <math.h>

#include "ref.h"

kb_status ref_softmax_check(const kb_problem *p, ref_mode mode, char *msg, size_t len)
{
    const kb_softmax_params *s = &p->u.softmax;
    if (p->op != KB_OP_SOFTMAX)
        return ref_fail(msg, len, KB_ERR_INVALID, "problem is not a softmax");
    if (s->rows < 0 || s->cols < 0)
        return ref_fail(msg, len, KB_ERR_INVALID, "softmax shape %lld x %lld is negative",
                        (long long)s->rows, (long long)s->cols);
    if (!isfinite(s->scale) || !(s->scale > 0.0f))
        return ref_fail(msg, len, KB_ERR_INVALID, "softmax scale %g must be finite and > 0",
                        (double)s->scale);
    if (!ref_is_io_float(s->x.dtype))
        return ref_fail(msg, len, KB_ERR_UNSUPPORTED, "softmax x must be f32, f16 or bf16, not %s",
                        ref_dtype_name(s->x.dtype));
    if (s->y.dtype != s->x.dtype && !(mode == REF_EXACT && s->y.dtype == KB_DTYPE_F64))
        return ref_fail(msg, len, KB_ERR_UNSUPPORTED, "softmax y must be %s like x%s, not %s",
                        ref_dtype_name(s->x.dtype), mode == REF_EXACT ? " (or f64)" : "",
                        ref_dtype_name(s->y.dtype));
    const int64_t shape[2] = {s->rows, s->cols};
    kb_status st = ref_check_tensor(&s->x, "softmax x", 2, shape, msg, len);
    if (st == KB_OK)
        st = ref_check_tensor(&s->y, "softmax y", 2, shape, msg, len);
    if (st == KB_OK)
        st = ref_check_rows(p, s->rows, msg, len);
    return st;
}

/* The edge rules, shared by both modes.  Returns 1 if the row was fully
 * written here (NaN row or all -inf row); otherwise *max_out is the row's
 * maximum of x (finite), and the caller does the arithmetic. */
static int softmax_edge_row(const kb_softmax_params *s, int64_t r, double *max_out)
{
    double m = -INFINITY;
    int bad = 0;
    for (int64_t j = 0; j < s->cols; j++) {
        double v = kb_load_f64(s->x.data, s->x.dtype, kb_tensor_offset2(&s->x, r, j));
        if (isnan(v) || v == INFINITY)
            bad = 1;
        else if (v > m)
            m = v;
    }
    if (!bad && m != -INFINITY) {
        *max_out = m;
        return 0;
    }
    double fill = bad ? NAN : (s->log_softmax ? -INFINITY : 0.0);
    for (int64_t j = 0; j < s->cols; j++)
        kb_store_f64(s->y.data, s->y.dtype, kb_tensor_offset2(&s->y, r, j), fill, 0);
    return 1;
}

static void softmax_row_exact(const kb_softmax_params *s, int64_t r, double xmax)
{
    /* scale > 0, so max(scale * x) = scale * max(x); products of two floats
     * are exact in f64. */
    const double scale = s->scale, m = scale * xmax;
    double sum = 0.0;
    for (int64_t j = 0; j < s->cols; j++)
        sum += exp(scale * kb_load_f64(s->x.data, s->x.dtype, kb_tensor_offset2(&s->x, r, j)) - m);
    const double log_sum = log(sum);
    for (int64_t j = 0; j < s->cols; j++) {
        double z = scale * kb_load_f64(s->x.data, s->x.dtype, kb_tensor_offset2(&s->x, r, j)) - m;
        double y = s->log_softmax ? z - log_sum : exp(z) / sum;
        kb_store_f64(s->y.data, s->y.dtype, kb_tensor_offset2(&s->y, r, j), y, 0);
    }
}

static float softmax_load_scaled_f32(const kb_softmax_params *s, int64_t r, int64_t j)
{
    float x = (float)kb_load_f64(s->x.data, s->x.dtype, kb_tensor_offset2(&s->x, r, j));
    return s->scale * x; /* an f32 product, as in the storage computation */
}

static void softmax_row_storage(const kb_softmax_params *s, int64_t r, double xmax)
{
    const float m = s->scale * (float)xmax;
    float sum = 0.0f;
    for (int64_t j = 0; j < s->cols; j++)
        sum += expf(softmax_load_scaled_f32(s, r, j) - m);
    const float log_sum = logf(sum);
    for (int64_t j = 0; j < s->cols; j++) {
        float z = softmax_load_scaled_f32(s, r, j) - m;
        float y = s->log_softmax ? z - log_sum : expf(z) / sum;
        kb_store_f64(s->y.data, s->y.dtype, kb_tensor_offset2(&s->y, r, j), y, 0);
    }
}

kb_status ref_softmax_run(const kb_problem *p, ref_mode mode, char *err, size_t len)
{
    kb_status st = ref_softmax_check(p, mode, err, len);
    if (st != KB_OK)
        return st;
    const kb_softmax_params *s = &p->u.softmax;
    const ref_rows rows = ref_rows_of(p, s->rows);
    for (int64_t i = 0; i < rows.count; i++) {
        int64_t r = ref_row_at(&rows, i);
        double xmax;
        if (softmax_edge_row(s, r, &xmax))
            continue;
        if (mode == REF_EXACT)
            softmax_row_exact(s, r, xmax);
        else
            softmax_row_storage(s, r, xmax);
    }
    return KB_OK;
}
