/*
 * plugins/ref/quantize.c - int8 quantize / dequantize, casts, VQ.
 *
 * Only an "exact" kernel: every output is integer or a single rounding of an
 * exact value, so there is no storage-dtype computation to compare against.
 * int8: scale = absmax / 127 as an f32 division (the definition), then
 * x / scale evaluated in f64 - exact enough that the one rounding to the
 * nearest integer (half to even) sees every true tie.
 */
#include <math.h>

#include "ref.h"

/* The scales tensor's shape for a granularity; returns its rank. */
static int32_t scales_shape(const kb_quantize_params *qp, int64_t shape[2])
{
    switch (qp->granularity) {
    case KB_SCALE_PER_TENSOR: shape[0] = 1; return 1;
    case KB_SCALE_PER_ROW: shape[0] = qp->rows; return 1;
    default:
        shape[0] = qp->rows;
        shape[1] = (qp->cols + qp->group_size - 1) / qp->group_size;
        return 2;
    }
}

static kb_status check_dtype(const kb_tensor *t, kb_dtype want, kb_dtype also, const char *name,
                             char *msg, size_t len)
{
    if (t->dtype == want || (also != KB_DTYPE_INVALID && t->dtype == also))
        return KB_OK;
    return ref_fail(msg, len, KB_ERR_UNSUPPORTED, "quantize %s must be %s, not %s", name,
                    ref_dtype_name(want), ref_dtype_name(t->dtype));
}

static kb_status check_int8_kind(const kb_quantize_params *qp, char *msg, size_t len)
{
    if (qp->granularity != KB_SCALE_PER_TENSOR && qp->granularity != KB_SCALE_PER_ROW &&
        qp->granularity != KB_SCALE_PER_GROUP)
        return ref_fail(msg, len, KB_ERR_INVALID, "quantize granularity %d is unknown",
                        (int)qp->granularity);
    if (qp->granularity == KB_SCALE_PER_GROUP && qp->group_size < 1)
        return ref_fail(msg, len, KB_ERR_INVALID, "quantize group_size %lld must be >= 1",
                        (long long)qp->group_size);
    const int int8 = qp->kind == KB_QUANT_INT8;
    kb_status st = KB_OK;
    if (int8) st = check_dtype(&qp->x, KB_DTYPE_F32, KB_DTYPE_INVALID, "x", msg, len);
    if (st == KB_OK) st = check_dtype(&qp->q, KB_DTYPE_I8, KB_DTYPE_INVALID, "q", msg, len);
    if (st == KB_OK) st = check_dtype(&qp->scales, KB_DTYPE_F32, KB_DTYPE_INVALID, "scales", msg, len);
    if (st == KB_OK && !int8) st = check_dtype(&qp->y, KB_DTYPE_F32, KB_DTYPE_F64, "y", msg, len);
    if (st != KB_OK)
        return st;
    const int64_t shape[2] = {qp->rows, qp->cols};
    int64_t sshape[2];
    const int32_t srank = scales_shape(qp, sshape);
    if (int8) st = ref_check_tensor(&qp->x, "quantize x", 2, shape, msg, len);
    if (st == KB_OK) st = ref_check_tensor(&qp->q, "quantize q", 2, shape, msg, len);
    if (st == KB_OK) st = ref_check_tensor(&qp->scales, "quantize scales", srank, sshape, msg, len);
    if (st == KB_OK && !int8) st = ref_check_tensor(&qp->y, "quantize y", 2, shape, msg, len);
    return st;
}

static kb_status check_cast(const kb_quantize_params *qp, char *msg, size_t len)
{
    const kb_dtype t = qp->out_dtype;
    if (t != KB_DTYPE_F16 && t != KB_DTYPE_BF16 && t != KB_DTYPE_FP8_E4M3 && t != KB_DTYPE_FP8_E5M2)
        return ref_fail(msg, len, KB_ERR_UNSUPPORTED,
                        "cast out_dtype must be f16, bf16, e4m3 or e5m2, not %s", ref_dtype_name(t));
    kb_status st = check_dtype(&qp->x, KB_DTYPE_F32, KB_DTYPE_INVALID, "x", msg, len);
    if (st == KB_OK) st = check_dtype(&qp->y, t, KB_DTYPE_INVALID, "y (the cast's out_dtype)", msg, len);
    const int64_t shape[2] = {qp->rows, qp->cols};
    if (st == KB_OK) st = ref_check_tensor(&qp->x, "quantize x", 2, shape, msg, len);
    if (st == KB_OK) st = ref_check_tensor(&qp->y, "quantize y", 2, shape, msg, len);
    return st;
}

static kb_status check_vq(const kb_quantize_params *qp, char *msg, size_t len)
{
    if (qp->codes < 1)
        return ref_fail(msg, len, KB_ERR_INVALID, "vq codes %lld must be >= 1", (long long)qp->codes);
    kb_status st = check_dtype(&qp->x, KB_DTYPE_F32, KB_DTYPE_INVALID, "x", msg, len);
    if (st == KB_OK) st = check_dtype(&qp->codebook, KB_DTYPE_F32, KB_DTYPE_INVALID, "codebook", msg, len);
    if (st == KB_OK) st = check_dtype(&qp->indices, KB_DTYPE_I32, KB_DTYPE_INVALID, "indices", msg, len);
    const int64_t xs[2] = {qp->rows, qp->cols}, cs[2] = {qp->codes, qp->cols}, is[1] = {qp->rows};
    if (st == KB_OK) st = ref_check_tensor(&qp->x, "vq x", 2, xs, msg, len);
    if (st == KB_OK) st = ref_check_tensor(&qp->codebook, "vq codebook", 2, cs, msg, len);
    if (st == KB_OK) st = ref_check_tensor(&qp->indices, "vq indices", 1, is, msg, len);
    return st;
}

kb_status ref_quantize_check(const kb_problem *p, ref_mode mode, char *msg, size_t len)
{
    const kb_quantize_params *qp = &p->u.quantize;
    if (p->op != KB_OP_QUANTIZE)
        return ref_fail(msg, len, KB_ERR_INVALID, "problem is not a quantize");
    if (mode != REF_EXACT)
        return ref_fail(msg, len, KB_ERR_UNSUPPORTED,
                        "quantize outputs are checked exactly; there is no storage-dtype yardstick");
    if (qp->rows < 0 || qp->cols < 0)
        return ref_fail(msg, len, KB_ERR_INVALID, "quantize shape %lld x %lld is negative",
                        (long long)qp->rows, (long long)qp->cols);
    kb_status st;
    switch (qp->kind) {
    case KB_QUANT_INT8: case KB_QUANT_DEQUANT_INT8: st = check_int8_kind(qp, msg, len); break;
    case KB_QUANT_CAST: st = check_cast(qp, msg, len); break;
    case KB_QUANT_VQ: st = check_vq(qp, msg, len); break;
    default:
        return ref_fail(msg, len, KB_ERR_INVALID, "quantize kind %d is unknown", (int)qp->kind);
    }
    if (st == KB_OK)
        st = ref_check_rows(p, qp->rows, msg, len);
    return st;
}

static double ldx(const kb_tensor *t, int64_t r, int64_t j)
{
    return kb_load_f64(t->data, t->dtype, kb_tensor_offset2(t, r, j));
}

/* Offset in `scales` of the scale that covers x[r, j]. */
static int64_t scale_offset(const kb_quantize_params *qp, int64_t r, int64_t j)
{
    switch (qp->granularity) {
    case KB_SCALE_PER_TENSOR: return 0;
    case KB_SCALE_PER_ROW: return r * qp->scales.strides[0];
    default: return kb_tensor_offset2(&qp->scales, r, j / qp->group_size);
    }
}

/* absmax / 127 over rows [r0, r1) and columns [j0, j1), as f32 division.
 * A NaN anywhere makes the scale NaN (fmaxf would hide it). */
static float block_scale(const kb_quantize_params *qp, int64_t r0, int64_t r1, int64_t j0, int64_t j1)
{
    float amax = 0.0f;
    for (int64_t r = r0; r < r1; r++)
        for (int64_t j = j0; j < j1; j++) {
            float a = fabsf((float)ldx(&qp->x, r, j));
            if (isnan(a))
                return NAN;
            if (a > amax)
                amax = a;
        }
    return amax / 127.0f;
}

/* q for x[r, j0:j1] under one scale: x / scale in f64 (exact tie decisions),
 * clamped to +-127, rounded half to even by the i8 store. */
static void quantize_span(const kb_quantize_params *qp, int64_t r, int64_t j0, int64_t j1, float scale)
{
    for (int64_t j = j0; j < j1; j++) {
        double v = 0.0;
        if (scale != 0.0f) {
            v = ldx(&qp->x, r, j) / (double)scale;
            v = v > 127.0 ? 127.0 : (v < -127.0 ? -127.0 : v); /* NaN passes, stores 0 */
        }
        kb_store_f64(qp->q.data, KB_DTYPE_I8, kb_tensor_offset2(&qp->q, r, j), v, 0);
    }
}

static void quantize_int8(const kb_problem *p)
{
    const kb_quantize_params *qp = &p->u.quantize;
    const ref_rows rows = ref_rows_of(p, qp->rows);
    float *sc = qp->scales.data;
    float tensor_scale = 0.0f;
    if (qp->granularity == KB_SCALE_PER_TENSOR) {
        /* The whole tensor decides the scale, even when only a sample of rows is written. */
        tensor_scale = block_scale(qp, 0, qp->rows, 0, qp->cols);
        sc[0] = tensor_scale;
    }
    for (int64_t i = 0; i < rows.count; i++) {
        const int64_t r = ref_row_at(&rows, i);
        if (qp->granularity == KB_SCALE_PER_TENSOR) {
            quantize_span(qp, r, 0, qp->cols, tensor_scale);
        } else if (qp->granularity == KB_SCALE_PER_ROW) {
            float s = block_scale(qp, r, r + 1, 0, qp->cols);
            sc[scale_offset(qp, r, 0)] = s;
            quantize_span(qp, r, 0, qp->cols, s);
        } else {
            for (int64_t j0 = 0; j0 < qp->cols; j0 += qp->group_size) {
                int64_t j1 = j0 + qp->group_size < qp->cols ? j0 + qp->group_size : qp->cols;
                float s = block_scale(qp, r, r + 1, j0, j1);
                sc[scale_offset(qp, r, j0)] = s;
                quantize_span(qp, r, j0, j1, s);
            }
        }
    }
}

static void dequantize_int8(const kb_problem *p)
{
    const kb_quantize_params *qp = &p->u.quantize;
    const ref_rows rows = ref_rows_of(p, qp->rows);
    const float *sc = qp->scales.data;
    for (int64_t i = 0; i < rows.count; i++) {
        const int64_t r = ref_row_at(&rows, i);
        for (int64_t j = 0; j < qp->cols; j++) {
            double y = ldx(&qp->q, r, j) * (double)sc[scale_offset(qp, r, j)]; /* exact in f64 */
            kb_store_f64(qp->y.data, qp->y.dtype, kb_tensor_offset2(&qp->y, r, j), y, 0);
        }
    }
}

static void cast(const kb_problem *p)
{
    const kb_quantize_params *qp = &p->u.quantize;
    const ref_rows rows = ref_rows_of(p, qp->rows);
    for (int64_t i = 0; i < rows.count; i++) {
        const int64_t r = ref_row_at(&rows, i);
        for (int64_t j = 0; j < qp->cols; j++)
            kb_store_f64(qp->y.data, qp->y.dtype, kb_tensor_offset2(&qp->y, r, j),
                         ldx(&qp->x, r, j), qp->saturate != 0);
    }
}

static void vq(const kb_problem *p)
{
    const kb_quantize_params *qp = &p->u.quantize;
    const ref_rows rows = ref_rows_of(p, qp->rows);
    int32_t *idx = qp->indices.data;
    for (int64_t i = 0; i < rows.count; i++) {
        const int64_t r = ref_row_at(&rows, i);
        int64_t best = 0;
        double best_d = 0.0;
        for (int64_t c = 0; c < qp->codes; c++) {
            double d = 0.0;
            for (int64_t j = 0; j < qp->cols; j++) {
                double diff = ldx(&qp->x, r, j) - ldx(&qp->codebook, c, j);
                d += diff * diff;
            }
            if (c == 0 || d < best_d) { /* strict: an exact tie keeps the lower index */
                best = c;
                best_d = d;
            }
        }
        idx[r * qp->indices.strides[0]] = (int32_t)best;
    }
}

kb_status ref_quantize_run(const kb_problem *p, ref_mode mode, char *err, size_t len)
{
    kb_status st = ref_quantize_check(p, mode, err, len);
    if (st != KB_OK)
        return st;
    switch (p->u.quantize.kind) {
    case KB_QUANT_INT8: quantize_int8(p); break;
    case KB_QUANT_DEQUANT_INT8: dequantize_int8(p); break;
    case KB_QUANT_CAST: cast(p); break;
    default: vq(p); break;
    }
    return KB_OK;
}
