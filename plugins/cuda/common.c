/*
 * common.c - messages and tensor checks every op of the cuda plugin shares.
 * No CUDA here: plan_<op>.c and this file build into the unit tests too.
 */
#include <stdio.h>

#include "kbc.h"

kb_status kbc_fail(kb_status status, char *err, size_t err_len, const char *fmt, ...)
{
    if (err && err_len > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_len, fmt, ap);
        va_end(ap);
    }
    return status;
}

kb_status kbc_check_tensor(const kb_tensor *t, const char *name, kb_dtype dtype, int32_t rank,
                           const int64_t *shape, char *why, size_t why_len)
{
    if (dtype != KB_DTYPE_INVALID && t->dtype != dtype)
        return kbc_fail(KB_ERR_INVALID, why, why_len, "%s: dtype %s, expected %s", name,
                        kb_dtype_name(t->dtype) ? kb_dtype_name(t->dtype) : "invalid",
                        kb_dtype_name(dtype));
    if (t->rank != rank)
        return kbc_fail(KB_ERR_INVALID, why, why_len, "%s: rank %d, expected %d", name, (int)t->rank,
                        (int)rank);
    int64_t numel = 1;
    for (int32_t i = 0; i < rank; i++) {
        if (t->shape[i] != shape[i])
            return kbc_fail(KB_ERR_INVALID, why, why_len, "%s: shape[%d] = %lld, expected %lld", name,
                            (int)i, (long long)t->shape[i], (long long)shape[i]);
        if (t->strides[i] < 0)
            return kbc_fail(KB_ERR_INVALID, why, why_len, "%s: negative stride", name);
        numel *= shape[i];
    }
    if (rank > 0 && t->strides[rank - 1] != 1)
        return kbc_fail(KB_ERR_INVALID, why, why_len, "%s: innermost stride %lld, expected 1", name,
                        (long long)t->strides[rank - 1]);
    if (numel > 0 && !t->data)
        return kbc_fail(KB_ERR_INVALID, why, why_len, "%s: no data", name);
    return KB_OK;
}

int kbc_vector_ok(const kb_tensor *t, size_t bytes)
{
    size_t es = kb_dtype_size(t->dtype);
    if (es == 0 || bytes % es != 0 || (uintptr_t)t->data % bytes != 0)
        return 0;
    for (int32_t i = 0; i + 1 < t->rank; i++)
        if (((size_t)t->strides[i] * es) % bytes != 0)
            return 0;
    /* The innermost extent must be whole vectors too. */
    return t->rank == 0 || ((size_t)t->shape[t->rank - 1] * es) % bytes == 0;
}
