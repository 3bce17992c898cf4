#include "poison.h"

#include <string.h>

/* Quiet NaNs with payloads no arithmetic produces; fp8 has a single NaN code
 * per sign, so its poison is the negative NaN (kernels return the positive
 * one for NaN inputs, which kbench draws positive). */
#define POISON_F32 0x7FEDBEEFu
#define POISON_F64 0x7FFDEADBEEFBAD00ull
#define POISON_F16 0x7EADu
#define POISON_BF16 0x7FEDu
#define POISON_FP8 0xFFu
#define POISON_I8 0x80u        /* -128: outside [-127, 127] */
#define POISON_I32 0x80000BADu /* no matmul of the suites reaches it; no VQ index is negative */

static uint64_t poison_bits(kb_dtype t)
{
    switch (t) {
    case KB_DTYPE_F32: return POISON_F32;
    case KB_DTYPE_F64: return POISON_F64;
    case KB_DTYPE_F16: return POISON_F16;
    case KB_DTYPE_BF16: return POISON_BF16;
    case KB_DTYPE_FP8_E4M3: case KB_DTYPE_FP8_E5M2: return POISON_FP8;
    case KB_DTYPE_I8: return POISON_I8;
    case KB_DTYPE_I32: return POISON_I32;
    default: return 0;
    }
}

void kb_poison_tensor(kb_tensor *t)
{
    size_t es = kb_dtype_size(t->dtype);
    uint64_t bits = poison_bits(t->dtype);
    kb_elem_iter it;
    int64_t off, idx[KB_MAX_RANK];
    kb_elem_iter_init(&it, t, 0, NULL, 0);
    while (kb_elem_iter_next(&it, &off, idx))
        memcpy((char *)t->data + (size_t)off * es, &bits, es); /* little-endian: low bytes */
}

void kb_poison_outputs(kb_workload *w)
{
    for (int i = 0; i < w->role_count; i++)
        if (w->roles[i].output && !w->roles[i].input) kb_poison_tensor(w->roles[i].t);
}

int kb_is_poison(const kb_tensor *t, int64_t offset)
{
    size_t es = kb_dtype_size(t->dtype);
    uint64_t bits = poison_bits(t->dtype), have = 0;
    memcpy(&have, (const char *)t->data + (size_t)offset * es, es);
    return have == bits;
}
