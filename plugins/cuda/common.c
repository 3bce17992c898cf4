/*
 * common.c - helpers every op of the cuda plugin shares (messages and tensor
 * checks are <kbench/checks.h>).
 * No CUDA here: plan_<op>.c and this file build into the unit tests too.
 */
#include <stdio.h>

#include "kbc.h"

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
