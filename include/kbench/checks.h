/*
 * kbench/checks.h - optional helpers for a kernel's supports(): the tensor and
 * problem checks every plugin needs before it looks at what its own kernel can
 * do.  Header-only (static inline), C11, C++ and CUDA host code (nvcc); needs
 * nothing beyond the other ABI headers and the C library.  Not included by
 * kbench.h: include it where you check problems.
 *
 *     #include <kbench/kbench.h>
 *     #include <kbench/checks.h>
 *
 *     static kb_status my_supports(void *ctx, const kb_problem *p, char *why, size_t why_len)
 *     {
 *         kb_status st = kb_check_softmax(p, why, why_len);   // well-formed?
 *         if (st != KB_OK)
 *             return st;
 *         if (p->u.softmax.x.dtype != KB_DTYPE_F32)            // ours to say
 *             return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "only f32 is implemented");
 *         return KB_OK;
 *     }
 *
 * Every check returns KB_OK, or a status with one line (no newline) in `why`
 * (capacity `why_len`; `why` may be NULL).  The statuses follow the oracle
 * (the ref plugin) and docs/ops.md: KB_ERR_INVALID for a malformed problem
 * (negative sizes, tensors whose shape, strides or data pointer do not match
 * the parameters), KB_ERR_UNSUPPORTED for a well-formed problem outside what
 * ops.md allows (a dtype combination).  kbench reports either as a SKIP with
 * the message.  None of them reads tensor data.
 *
 * The messages, with NAME the tensor name the caller passes (the problem
 * checks pass the parameter's field name: "a", "x", "q", "lse", ...):
 *
 *   tensors (kb_check_tensor_basic, kb_check_rows_apart, kb_check_tensor), all KB_ERR_INVALID:
 *     "NAME: dtype D, expected E"
 *     "NAME: rank R, expected E"
 *     "NAME: shape[I] = S, expected E"
 *     "NAME: stride[I] = S is negative"
 *     "NAME: innermost stride S, expected 1"
 *     "NAME: data is NULL"                        (only for a non-empty tensor)
 *     "NAME: row stride S below row width W (rows overlap)"
 *   problems: the first line of each check below.
 */
#ifndef KBENCH_CHECKS_H
#define KBENCH_CHECKS_H

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ops.h"
#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define KB_CHECKS_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define KB_CHECKS_PRINTF(f, a)
#endif

/* vsnprintf into why (if why && why_len > 0) and return `status`. */
static inline kb_status kb_vfail(kb_status status, char *why, size_t why_len, const char *fmt,
                                 va_list ap)
{
    if (why && why_len > 0)
        vsnprintf(why, why_len, fmt, ap);
    return status;
}

/* printf into why (if why && why_len > 0) and return `status`:
 *     return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "head_dim %lld > 256", (long long)d); */
static inline kb_status kb_fail(kb_status status, char *why, size_t why_len, const char *fmt, ...)
    KB_CHECKS_PRINTF(4, 5);
static inline kb_status kb_fail(kb_status status, char *why, size_t why_len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kb_vfail(status, why, why_len, fmt, ap);
    va_end(ap);
    return status;
}

/* kb_dtype_name(t), or "invalid" for a value that is not a dtype: never NULL,
 * so it can go straight into a %s. */
static inline const char *kb_check_dtype_name(kb_dtype t)
{
    return kb_dtype_name(t) ? kb_dtype_name(t) : "invalid";
}

/* 1 for the dtypes ops.md allows as matmul, softmax and attention inputs and
 * outputs: f32, f16 and bf16. */
static inline int kb_check_is_io_float(kb_dtype t)
{
    return t == KB_DTYPE_F32 || t == KB_DTYPE_F16 || t == KB_DTYPE_BF16;
}

/* --- tensors ----------------------------------------------------------------- */

/* KB_OK if `t` has dtype `dtype` (KB_DTYPE_INVALID: any dtype), rank `rank`,
 * shape `shape[0..rank-1]`, no negative stride, innermost stride 1 (rank > 0)
 * and, unless it has no elements, a data pointer.  Otherwise KB_ERR_INVALID
 * with one of the tensor messages above, checked in that order.  It does not
 * check that rows are apart: for that use kb_check_tensor, or add
 * kb_check_rows_apart where overlapping rows deserve another status. */
static inline kb_status kb_check_tensor_basic(const kb_tensor *t, const char *name, kb_dtype dtype,
                                              int32_t rank, const int64_t *shape, char *why,
                                              size_t why_len)
{
    if (dtype != KB_DTYPE_INVALID && t->dtype != dtype)
        return kb_fail(KB_ERR_INVALID, why, why_len, "%s: dtype %s, expected %s", name,
                       kb_check_dtype_name(t->dtype), kb_check_dtype_name(dtype));
    if (t->rank != rank)
        return kb_fail(KB_ERR_INVALID, why, why_len, "%s: rank %d, expected %d", name, (int)t->rank,
                       (int)rank);
    int64_t numel = 1;
    for (int32_t i = 0; i < rank; i++) {
        if (t->shape[i] != shape[i])
            return kb_fail(KB_ERR_INVALID, why, why_len, "%s: shape[%d] = %lld, expected %lld", name,
                           (int)i, (long long)t->shape[i], (long long)shape[i]);
        if (t->strides[i] < 0)
            return kb_fail(KB_ERR_INVALID, why, why_len, "%s: stride[%d] = %lld is negative", name,
                           (int)i, (long long)t->strides[i]);
        numel *= shape[i];
    }
    if (rank > 0 && t->strides[rank - 1] != 1)
        return kb_fail(KB_ERR_INVALID, why, why_len, "%s: innermost stride %lld, expected 1", name,
                       (long long)t->strides[rank - 1]);
    if (numel > 0 && !t->data)
        return kb_fail(KB_ERR_INVALID, why, why_len, "%s: data is NULL", name);
    return KB_OK;
}

/* For rank >= 2: KB_ERR_INVALID if rows (the innermost dimension) overlap,
 * that is if there is more than one row along dimension rank-2 and its stride
 * is below the row width shape[rank-1] (a leading dimension smaller than the
 * matrix is wide).  A single row may have any stride.  Outer dimensions are
 * not checked.  KB_OK otherwise, and for rank < 2. */
static inline kb_status kb_check_rows_apart(const kb_tensor *t, const char *name, char *why,
                                            size_t why_len)
{
    const int32_t r = t->rank;
    if (r >= 2 && t->shape[r - 2] > 1 && t->strides[r - 2] < t->shape[r - 1])
        return kb_fail(KB_ERR_INVALID, why, why_len,
                       "%s: row stride %lld below row width %lld (rows overlap)", name,
                       (long long)t->strides[r - 2], (long long)t->shape[r - 1]);
    return KB_OK;
}

/* kb_check_tensor_basic, then kb_check_rows_apart: the tensor every kbench
 * problem hands out (dense rows, outer strides possibly padded). */
static inline kb_status kb_check_tensor(const kb_tensor *t, const char *name, kb_dtype dtype,
                                        int32_t rank, const int64_t *shape, char *why,
                                        size_t why_len)
{
    kb_status st = kb_check_tensor_basic(t, name, dtype, rank, shape, why, why_len);
    return st == KB_OK ? kb_check_rows_apart(t, name, why, why_len) : st;
}

/* --- problems ---------------------------------------------------------------- */

/* A matmul as ops.md defines it, in this order:
 *   INVALID      "not a matmul problem"
 *   INVALID      "matmul sizes M x N x K must be >= 0"
 *   UNSUPPORTED  "int8 matmul needs i8 a and b and i32 c, not A x B -> C"
 *   UNSUPPORTED  "int8 matmul needs alpha = 1 and beta 0 or 1 (got ALPHA, BETA)"
 *   UNSUPPORTED  "a and b must both be f32, f16, bf16 or i8, not A and B"
 *   UNSUPPORTED  "c must be f32, f16 or bf16, not C"
 * then kb_check_tensor on a [M x K] (K x M with trans_a), b [K x N] (N x K
 * with trans_b) and c [M x N], named "a", "b", "c", with their dtypes. */
static inline kb_status kb_check_matmul(const kb_problem *p, char *why, size_t why_len)
{
    if (!p || p->op != KB_OP_MATMUL)
        return kb_fail(KB_ERR_INVALID, why, why_len, "not a matmul problem");
    const kb_matmul_params *m = &p->u.matmul;
    if (m->m < 0 || m->n < 0 || m->k < 0)
        return kb_fail(KB_ERR_INVALID, why, why_len, "matmul sizes %lld x %lld x %lld must be >= 0",
                       (long long)m->m, (long long)m->n, (long long)m->k);
    const kb_dtype ta = m->a.dtype, tb = m->b.dtype, tc = m->c.dtype;
    if (ta == KB_DTYPE_I8) {
        if (tb != KB_DTYPE_I8 || tc != KB_DTYPE_I32)
            return kb_fail(KB_ERR_UNSUPPORTED, why, why_len,
                           "int8 matmul needs i8 a and b and i32 c, not %s x %s -> %s",
                           kb_check_dtype_name(ta), kb_check_dtype_name(tb), kb_check_dtype_name(tc));
        if (m->alpha != 1.0f || (m->beta != 0.0f && m->beta != 1.0f))
            return kb_fail(KB_ERR_UNSUPPORTED, why, why_len,
                           "int8 matmul needs alpha = 1 and beta 0 or 1 (got %g, %g)",
                           (double)m->alpha, (double)m->beta);
    } else {
        if (!kb_check_is_io_float(ta) || tb != ta)
            return kb_fail(KB_ERR_UNSUPPORTED, why, why_len,
                           "a and b must both be f32, f16, bf16 or i8, not %s and %s",
                           kb_check_dtype_name(ta), kb_check_dtype_name(tb));
        if (!kb_check_is_io_float(tc))
            return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "c must be f32, f16 or bf16, not %s",
                           kb_check_dtype_name(tc));
    }
    const int64_t as[2] = {m->trans_a ? m->k : m->m, m->trans_a ? m->m : m->k};
    const int64_t bs[2] = {m->trans_b ? m->n : m->k, m->trans_b ? m->k : m->n};
    const int64_t cs[2] = {m->m, m->n};
    kb_status st = kb_check_tensor(&m->a, "a", ta, 2, as, why, why_len);
    if (st == KB_OK)
        st = kb_check_tensor(&m->b, "b", tb, 2, bs, why, why_len);
    if (st == KB_OK)
        st = kb_check_tensor(&m->c, "c", tc, 2, cs, why, why_len);
    return st;
}

/* A softmax as ops.md defines it, in this order:
 *   INVALID      "not a softmax problem"
 *   INVALID      "softmax shape ROWS x COLS is negative"
 *   INVALID      "softmax scale S must be finite and > 0"
 *   UNSUPPORTED  "x must be f32, f16 or bf16, not D"
 *   UNSUPPORTED  "y must have x's dtype D, not E"
 * then kb_check_tensor on x and y, [rows x cols]. */
static inline kb_status kb_check_softmax(const kb_problem *p, char *why, size_t why_len)
{
    if (!p || p->op != KB_OP_SOFTMAX)
        return kb_fail(KB_ERR_INVALID, why, why_len, "not a softmax problem");
    const kb_softmax_params *s = &p->u.softmax;
    if (s->rows < 0 || s->cols < 0)
        return kb_fail(KB_ERR_INVALID, why, why_len, "softmax shape %lld x %lld is negative",
                       (long long)s->rows, (long long)s->cols);
    if (!isfinite(s->scale) || !(s->scale > 0.0f))
        return kb_fail(KB_ERR_INVALID, why, why_len, "softmax scale %g must be finite and > 0",
                       (double)s->scale);
    const kb_dtype t = s->x.dtype;
    if (!kb_check_is_io_float(t))
        return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "x must be f32, f16 or bf16, not %s",
                       kb_check_dtype_name(t));
    if (s->y.dtype != t)
        return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "y must have x's dtype %s, not %s",
                       kb_check_dtype_name(t), kb_check_dtype_name(s->y.dtype));
    const int64_t shape[2] = {s->rows, s->cols};
    kb_status st = kb_check_tensor(&s->x, "x", t, 2, shape, why, why_len);
    if (st == KB_OK)
        st = kb_check_tensor(&s->y, "y", t, 2, shape, why, why_len);
    return st;
}

/* An attention problem as ops.md defines it, in this order:
 *   INVALID      "not an attention problem"
 *   INVALID      "attention sizes must be >= 0 (batch B, heads_q H, seq_q SQ, seq_kv SKV, head_dim D)"
 *   INVALID      "heads_q (HQ) must be a multiple of heads_kv (HKV) >= 1"   (GQA / MQA)
 *   INVALID      "attention scale S must be finite"
 *   UNSUPPORTED  "q must be f32, f16 or bf16, not D"
 *   UNSUPPORTED  "k, v and o must be D like q, not K/V/O"
 *   UNSUPPORTED  "lse must be f32, not D"
 * then kb_check_tensor on q and o [batch, heads_q, seq_q, head_dim], k and v
 * [batch, heads_kv, seq_kv, head_dim] and lse [batch, heads_q, seq_q]. */
static inline kb_status kb_check_attention(const kb_problem *p, char *why, size_t why_len)
{
    if (!p || p->op != KB_OP_ATTENTION)
        return kb_fail(KB_ERR_INVALID, why, why_len, "not an attention problem");
    const kb_attention_params *a = &p->u.attention;
    if (a->batch < 0 || a->heads_q < 0 || a->seq_q < 0 || a->seq_kv < 0 || a->head_dim < 0)
        return kb_fail(KB_ERR_INVALID, why, why_len,
                       "attention sizes must be >= 0 (batch %lld, heads_q %lld, seq_q %lld, "
                       "seq_kv %lld, head_dim %lld)",
                       (long long)a->batch, (long long)a->heads_q, (long long)a->seq_q,
                       (long long)a->seq_kv, (long long)a->head_dim);
    if (a->heads_kv < 1 || a->heads_q % a->heads_kv != 0)
        return kb_fail(KB_ERR_INVALID, why, why_len,
                       "heads_q (%lld) must be a multiple of heads_kv (%lld) >= 1",
                       (long long)a->heads_q, (long long)a->heads_kv);
    if (!isfinite(a->scale))
        return kb_fail(KB_ERR_INVALID, why, why_len, "attention scale %g must be finite",
                       (double)a->scale);
    const kb_dtype t = a->q.dtype;
    if (!kb_check_is_io_float(t))
        return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "q must be f32, f16 or bf16, not %s",
                       kb_check_dtype_name(t));
    if (a->k.dtype != t || a->v.dtype != t || a->o.dtype != t)
        return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "k, v and o must be %s like q, not %s/%s/%s",
                       kb_check_dtype_name(t), kb_check_dtype_name(a->k.dtype),
                       kb_check_dtype_name(a->v.dtype), kb_check_dtype_name(a->o.dtype));
    if (a->lse.dtype != KB_DTYPE_F32)
        return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "lse must be f32, not %s",
                       kb_check_dtype_name(a->lse.dtype));
    const int64_t qs[4] = {a->batch, a->heads_q, a->seq_q, a->head_dim};
    const int64_t ks[4] = {a->batch, a->heads_kv, a->seq_kv, a->head_dim};
    kb_status st = kb_check_tensor(&a->q, "q", t, 4, qs, why, why_len);
    if (st == KB_OK)
        st = kb_check_tensor(&a->k, "k", t, 4, ks, why, why_len);
    if (st == KB_OK)
        st = kb_check_tensor(&a->v, "v", t, 4, ks, why, why_len);
    if (st == KB_OK)
        st = kb_check_tensor(&a->o, "o", t, 4, qs, why, why_len);
    if (st == KB_OK)
        st = kb_check_tensor(&a->lse, "lse", KB_DTYPE_F32, 3, qs, why, why_len);
    return st;
}

#undef KB_CHECKS_PRINTF

#ifdef __cplusplus
}
#endif

#endif /* KBENCH_CHECKS_H */
