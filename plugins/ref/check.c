/* plugins/ref/check.c - validation helpers shared by the op files. */
#include <stdarg.h>
#include <stdio.h>

#include "ref.h"

kb_status ref_fail(char *msg, size_t len, kb_status st, const char *fmt, ...)
{
    if (msg && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, len, fmt, ap);
        va_end(ap);
    }
    return st;
}

const char *ref_dtype_name(kb_dtype t)
{
    const char *n = kb_dtype_name(t);
    return n ? n : "invalid";
}

kb_status ref_check_tensor(const kb_tensor *t, const char *name, int32_t rank,
                           const int64_t *shape, char *msg, size_t len)
{
    if (t->rank != rank)
        return ref_fail(msg, len, KB_ERR_INVALID, "%s has rank %d, expected %d",
                        name, (int)t->rank, (int)rank);
    int64_t numel = 1;
    for (int32_t i = 0; i < rank; i++) {
        if (t->shape[i] != shape[i])
            return ref_fail(msg, len, KB_ERR_INVALID, "%s dimension %d is %lld, expected %lld",
                            name, (int)i, (long long)t->shape[i], (long long)shape[i]);
        numel *= shape[i];
    }
    if (numel == 0)
        return KB_OK; /* nothing is read or written: layout does not matter */
    if (!t->data)
        return ref_fail(msg, len, KB_ERR_INVALID, "%s data is NULL", name);
    if (t->strides[rank - 1] != 1)
        return ref_fail(msg, len, KB_ERR_INVALID, "%s innermost stride is %lld, must be 1",
                        name, (long long)t->strides[rank - 1]);
    /* Each outer stride must step over everything the inner dimensions span,
     * so that distinct indices never share an element (leading dimensions may
     * be larger than packed).  A dimension of extent 1 has no stride to check. */
    int64_t span = shape[rank - 1];
    for (int32_t i = rank - 2; i >= 0; i--) {
        if (shape[i] > 1) {
            if (t->strides[i] < span)
                return ref_fail(msg, len, KB_ERR_INVALID,
                                "%s stride %d is %lld, must be >= %lld (rows would overlap)",
                                name, (int)i, (long long)t->strides[i], (long long)span);
            span += (shape[i] - 1) * t->strides[i];
        }
    }
    return KB_OK;
}

kb_status ref_check_rows(const kb_problem *p, int64_t total, char *msg, size_t len)
{
    if (!p->sample_rows)
        return KB_OK;
    if (p->sample_row_count < 0)
        return ref_fail(msg, len, KB_ERR_INVALID, "sample_row_count is negative (%lld)",
                        (long long)p->sample_row_count);
    for (int64_t i = 0; i < p->sample_row_count; i++) {
        int64_t r = p->sample_rows[i];
        if (r < 0 || r >= total)
            return ref_fail(msg, len, KB_ERR_INVALID, "sample row %lld is outside [0, %lld)",
                            (long long)r, (long long)total);
        if (i > 0 && r <= p->sample_rows[i - 1])
            return ref_fail(msg, len, KB_ERR_INVALID,
                            "sample_rows must be ascending without duplicates (row %lld after %lld)",
                            (long long)r, (long long)p->sample_rows[i - 1]);
    }
    return KB_OK;
}
