#include "check.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <kbench/convert.h>

#include "poison.h"

double kb_unit_roundoff(kb_dtype t)
{
    const kb_float_format *f = kb_dtype_format(t);
    if (f) return ldexp(1.0, -(f->mbits + 1));
    return t == KB_DTYPE_F64 ? ldexp(1.0, -53) : ldexp(1.0, -24);
}

/* r rounded once to dtype t (non-saturating), as a double. */
static double round_to(double r, kb_dtype t)
{
    unsigned char buf[8];
    kb_store_f64(buf, t, 0, r, 0);
    return kb_load_f64(buf, t, 0);
}

static void failf(kb_check_result *res, const char *fmt, ...)
{
    if (res->failed) return;
    res->failed = 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->reason, sizeof res->reason, fmt, ap);
    va_end(ap);
}

static const char *where(const kb_tensor_role *r, const int64_t *idx, char *buf, size_t n)
{
    char ix[96];
    kb_format_index(ix, sizeof ix, r->t, idx);
    snprintf(buf, n, "%s%s", r->name, ix);
    return buf;
}

/* Fails (and returns 1) if the element still holds the poison. */
static int unwritten(kb_check_result *res, const kb_tensor_role *kr, int64_t off, const int64_t *idx)
{
    char w[128];
    if (!kb_is_poison(kr->t, off)) return 0;
    failf(res, "unwritten element: %s still holds the poison value", where(kr, idx, w, sizeof w));
    return 1;
}

/* Float outputs: max |out - ref| <= K * max |storage - ref| + floor. */
static void check_float(const kb_tensor_role *kr, const kb_tensor_role *rr, const kb_tensor_role *sr,
                        const int64_t *rows, int64_t row_count, kb_check_result *res)
{
    kb_elem_iter it;
    int64_t off, idx[KB_MAX_RANK], worst_idx[KB_MAX_RANK] = {0};
    double max_err = 0, max_ref = 0, storage_err = 0, worst_v = 0, worst_r = 0;
    char w[128];
    kb_elem_iter_init(&it, kr->t, kr->row_dims, rows, row_count);
    while (kb_elem_iter_next(&it, &off, idx)) {
        if (unwritten(res, kr, off, idx)) return;
        double v = kb_load_f64(kr->t->data, kr->t->dtype, off);
        double r = kb_load_f64(rr->t->data, rr->t->dtype, kb_tensor_offset(rr->t, idx));
        if (isnan(r)) {
            if (!isnan(v)) {
                failf(res, "%s = %.9g but the reference is NaN", where(kr, idx, w, sizeof w), v);
                return;
            }
            continue;
        }
        if (isnan(v)) {
            failf(res, "%s is NaN where the reference is %.9g", where(kr, idx, w, sizeof w), r);
            return;
        }
        /* Overflow is decided by the reference rounded to the output dtype. */
        double rr_ = round_to(r, kr->t->dtype);
        if (isinf(rr_) || isinf(v)) {
            if (v != rr_) {
                failf(res, "%s = %.9g, reference %.9g", where(kr, idx, w, sizeof w), v, r);
                return;
            }
            continue;
        }
        if (isinf(r)) continue;
        double err = fabs(v - r);
        if (err > max_err || (err == max_err && max_err == 0 && max_ref == 0)) {
            max_err = err;
            memcpy(worst_idx, idx, sizeof worst_idx);
            worst_v = v;
            worst_r = r;
        }
        if (fabs(r) > max_ref) max_ref = fabs(r);
        if (sr) {
            double s = kb_load_f64(sr->t->data, sr->t->dtype, kb_tensor_offset(sr->t, idx));
            if (isfinite(s) && fabs(s - r) > storage_err) storage_err = fabs(s - r);
        }
    }
    double floor = KB_CHECK_FLOOR_ULPS * kb_unit_roundoff(kr->t->dtype) * (max_ref > 0 ? max_ref : 1e-30);
    double bound = KB_CHECK_K * storage_err + floor;
    double ratio = max_err / bound;
    if (ratio >= res->ratio) {
        res->ratio = ratio;
        res->bound = bound;
        res->max_err = max_err;
        res->max_ref = max_ref;
    }
    if (max_err > bound)
        failf(res, "max error %.3g at %s (got %.9g, reference %.9g) exceeds the bound %.3g "
              "(%g x storage-dtype error %.3g + floor %.3g)", max_err, where(kr, worst_idx, w, sizeof w),
              worst_v, worst_r, bound, KB_CHECK_K, storage_err, floor);
}

/* Integer outputs and single-rounding results: equal values (NaN for NaN). */
static void check_exact(const kb_tensor_role *kr, const kb_tensor_role *rr, const int64_t *rows,
                        int64_t row_count, int bits, kb_check_result *res)
{
    kb_elem_iter it;
    int64_t off, idx[KB_MAX_RANK];
    char w[128];
    kb_elem_iter_init(&it, kr->t, kr->row_dims, rows, row_count);
    while (kb_elem_iter_next(&it, &off, idx)) {
        int64_t roff = kb_tensor_offset(rr->t, idx);
        if (!(bits && isnan(kb_load_f64(rr->t->data, rr->t->dtype, roff))) && unwritten(res, kr, off, idx))
            return;
        double v = kb_load_f64(kr->t->data, kr->t->dtype, off);
        double r = kb_load_f64(rr->t->data, rr->t->dtype, roff);
        if (isnan(v) && isnan(r)) continue;
        if (v != r || (v == 0 && signbit(v) != signbit(r) && bits)) {
            failf(res, "%s = %.9g, expected exactly %.9g", where(kr, idx, w, sizeof w), v, r);
            return;
        }
    }
}

/* int8 scales: within one f32 ulp (a kernel may multiply by 1/127). */
static void check_scale(const kb_tensor_role *kr, const kb_tensor_role *rr, const int64_t *rows,
                        int64_t row_count, kb_check_result *res)
{
    kb_elem_iter it;
    int64_t off, idx[KB_MAX_RANK];
    char w[128];
    kb_elem_iter_init(&it, kr->t, kr->row_dims, rows, row_count);
    while (kb_elem_iter_next(&it, &off, idx)) {
        if (unwritten(res, kr, off, idx)) return;
        double v = kb_load_f64(kr->t->data, KB_DTYPE_F32, off);
        double r = kb_load_f64(rr->t->data, KB_DTYPE_F32, kb_tensor_offset(rr->t, idx));
        if ((isnan(r) && isnan(v)) || v == r) continue;
        if (!(fabs(v - r) <= ldexp(fabs(r), -23))) {
            failf(res, "%s = %.9g, expected %.9g (absmax / 127)", where(kr, idx, w, sizeof w), v, r);
            return;
        }
    }
}

/* The reference scale that applies to element (i, j). */
static double scale_at(const kb_quantize_params *q, const kb_tensor *scales, int64_t i, int64_t j)
{
    int64_t off = q->granularity == KB_SCALE_PER_TENSOR ? 0
                  : q->granularity == KB_SCALE_PER_ROW  ? i * scales->strides[0]
                                                        : kb_tensor_offset2(scales, i, j / q->group_size);
    return kb_load_f64(scales->data, KB_DTYPE_F32, off);
}

/* int8 codes: exact, except one step at a near-tie: x / scale (exact, with
 * the reference's scale) within 2^-21 relative of n + 0.5 but not exactly
 * on it.  Exact ties must round half to even. */
static void check_quant_q(const kb_workload *kern, const kb_workload *ref, const kb_tensor_role *kr,
                          const kb_tensor_role *rr, const int64_t *rows, int64_t row_count, kb_check_result *res)
{
    const kb_quantize_params *q = &ref->p.u.quantize;
    const kb_tensor *x = &kern->p.u.quantize.x;
    kb_elem_iter it;
    int64_t off, idx[KB_MAX_RANK];
    char w[128];
    kb_elem_iter_init(&it, kr->t, kr->row_dims, rows, row_count);
    while (kb_elem_iter_next(&it, &off, idx)) {
        if (unwritten(res, kr, off, idx)) return;
        double v = kb_load_f64(kr->t->data, KB_DTYPE_I8, off);
        double r = kb_load_f64(rr->t->data, KB_DTYPE_I8, kb_tensor_offset(rr->t, idx));
        if (v == r) continue;
        double xv = kb_load_f64(x->data, KB_DTYPE_F32, kb_tensor_offset2(x, idx[0], idx[1]));
        double s = scale_at(q, &ref->p.u.quantize.scales, idx[0], idx[1]);
        double d = s != 0 ? xv / s : 0;
        double half = floor(d) + 0.5;
        if (fabs(v - r) == 1 && d != half && fabs(d - half) <= ldexp(fabs(d), -21)) {
            res->near_ties++;
            continue;
        }
        failf(res, "%s = %.0f, expected %.0f (x = %.9g, x / scale = %.9g%s)", where(kr, idx, w, sizeof w), v, r,
              xv, d, d == half ? ", an exact tie: round half to even" : "");
        return;
    }
}

static double sq_dist(const kb_tensor *x, int64_t row, const kb_tensor *cb, int64_t code)
{
    double acc = 0;
    for (int64_t d = 0; d < x->shape[1]; d++) {
        double diff = kb_load_f64(x->data, KB_DTYPE_F32, kb_tensor_offset2(x, row, d)) -
                      kb_load_f64(cb->data, KB_DTYPE_F32, kb_tensor_offset2(cb, code, d));
        acc += diff * diff;
    }
    return acc;
}

static double norm2(const kb_tensor *t, int64_t row)
{
    double acc = 0;
    for (int64_t d = 0; d < t->shape[1]; d++) {
        double v = kb_load_f64(t->data, KB_DTYPE_F32, kb_tensor_offset2(t, row, d));
        acc += v * v;
    }
    return acc;
}

/* VQ indices: exact, except a near-tie whose exact distance is within
 * 2^-16 * (|x|^2 + |c|^2) of the best; exact ties go to the lowest index. */
static void check_index(const kb_workload *kern, const kb_tensor_role *kr, const kb_tensor_role *rr,
                        const int64_t *rows, int64_t row_count, kb_check_result *res)
{
    const kb_quantize_params *q = &kern->p.u.quantize;
    kb_elem_iter it;
    int64_t off, idx[KB_MAX_RANK];
    char w[128];
    kb_elem_iter_init(&it, kr->t, kr->row_dims, rows, row_count);
    while (kb_elem_iter_next(&it, &off, idx)) {
        if (unwritten(res, kr, off, idx)) return;
        int64_t v = ((const int32_t *)kr->t->data)[off];
        int64_t r = ((const int32_t *)rr->t->data)[kb_tensor_offset(rr->t, idx)];
        if (v == r) continue;
        if (v < 0 || v >= q->codes) {
            failf(res, "%s = %lld is not a codebook row (0..%lld)", where(kr, idx, w, sizeof w), (long long)v,
                  (long long)q->codes - 1);
            return;
        }
        double dv = sq_dist(&q->x, idx[0], &q->codebook, v), dr = sq_dist(&q->x, idx[0], &q->codebook, r);
        if (dv == dr) {
            failf(res, "%s = %lld, but rows %lld and %lld tie exactly: the lowest index wins",
                  where(kr, idx, w, sizeof w), (long long)v, (long long)r, (long long)v);
            return;
        }
        double scale = norm2(&q->x, idx[0]) + norm2(&q->codebook, v) + norm2(&q->codebook, r);
        if (dv - dr <= ldexp(scale, -16)) {
            res->near_ties++;
            continue;
        }
        failf(res, "%s = %lld (distance %.9g), expected %lld (distance %.9g)", where(kr, idx, w, sizeof w),
              (long long)v, dv, (long long)r, dr);
        return;
    }
}

void kb_check_outputs(const kb_workload *kern, const kb_workload *ref, const kb_workload *storage,
                      const int64_t *rows, int64_t row_count, kb_check_result *res)
{
    for (int i = 0; i < kern->role_count && !res->failed; i++) {
        const kb_tensor_role *kr = &kern->roles[i], *rr = &ref->roles[i];
        if (!kr->output) continue;
        switch (kr->check) {
        case KB_CHECK_FLOAT:
            check_float(kr, rr, storage ? &storage->roles[i] : NULL, rows, row_count, res);
            break;
        case KB_CHECK_EXACT: check_exact(kr, rr, rows, row_count, 0, res); break;
        case KB_CHECK_BITS: check_exact(kr, rr, rows, row_count, 1, res); break;
        case KB_CHECK_SCALE: check_scale(kr, rr, rows, row_count, res); break;
        case KB_CHECK_QUANT_Q: check_quant_q(kern, ref, kr, rr, rows, row_count, res); break;
        case KB_CHECK_INDEX: check_index(kern, kr, rr, rows, row_count, res); break;
        }
    }
}
