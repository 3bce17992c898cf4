/*
 * lt_plan.c - what the matmul "lt" accepts, the row-major -> column-major
 * mapping (see lt_plan.h) and the workspace layout.  No CUDA here.
 *
 * What supports() refuses, and why:
 *  - dtype combinations outside kbench's matmul (A and B must match; float
 *    inputs f16/bf16/f32 with C f32/f16/bf16; i8 with C i32);
 *  - empty problems and sizes or leading dimensions beyond 2^31 - 1 (kept
 *    within what every cuBLASLt kernel indexes with 32-bit integers);
 *  - rows that overlap (row stride below the row length): cuBLAS needs
 *    ld >= rows of its column-major view;
 *  - pointers not aligned to their element size;
 *  - i8: everything outside the one int8 form the cuBLAS documentation
 *    promises for the regular (column-major) data order.  cuBLAS docs,
 *    cublasLtMatmul(), "To use IMMA kernels ... Using a regular data
 *    ordering": all matrix pointers 4-byte aligned; leading dimensions of
 *    A, B, C multiples of 4; only the "TN" format (A transposed, B not);
 *    m and k multiples of 4.  In this plugin's mapping that is: trans_a = 0
 *    and trans_b = 1 (A [M, K] and B stored [N, K], both K-contiguous),
 *    N and K multiples of 4, every leading dimension a multiple of 4.
 * Whatever passes is then asked of cuBLASLt's heuristic (lt_matmul.c); an
 * empty answer is KB_ERR_UNSUPPORTED too.
 */
#include <stdint.h>
#include <string.h>

#include "lt_plan.h"

static const char *dtype_name(kb_dtype t)
{
    const char *s = kb_dtype_name(t);
    return s ? s : "invalid";
}

static int is_float_io(kb_dtype t)
{
    return t == KB_DTYPE_F32 || t == KB_DTYPE_F16 || t == KB_DTYPE_BF16;
}

kbcl_type kbcl_type_of(kb_dtype t)
{
    switch (t) {
    case KB_DTYPE_F16: return KBCL_R_16F;
    case KB_DTYPE_BF16: return KBCL_R_16BF;
    case KB_DTYPE_F32: return KBCL_R_32F;
    case KB_DTYPE_I8: return KBCL_R_8I;
    case KB_DTYPE_I32: return KBCL_R_32I;
    default: return KBCL_NONE;
    }
}

int kbcl_direct(kb_dtype ab, kb_dtype c)
{
    switch (ab) {
    case KB_DTYPE_F16: return c == KB_DTYPE_F16 || c == KB_DTYPE_F32;
    case KB_DTYPE_BF16: return c == KB_DTYPE_BF16 || c == KB_DTYPE_F32;
    case KB_DTYPE_F32: return c == KB_DTYPE_F32;
    case KB_DTYPE_I8: return c == KB_DTYPE_I32;
    default: return 0;
    }
}

/* The float combinations cuBLASLt lacks, which go through an f32 buffer. */
static int needs_f32_buffer(const kb_matmul_params *mm)
{
    return is_float_io(mm->a.dtype) && is_float_io(mm->c.dtype) && !kbcl_direct(mm->a.dtype, mm->c.dtype);
}

uint32_t kbcl_ptr_align(const void *p)
{
    uintptr_t a = (uintptr_t)p;
    uint32_t align = 1;
    while (align < KBCL_MAX_ALIGN && a % (2u * align) == 0)
        align *= 2;
    return align;
}

kbcl_matrix kbcl_colmajor_view(const kb_tensor *t)
{
    kbcl_matrix v;
    v.type = kbcl_type_of(t->dtype);
    v.rows = t->shape[1];
    v.cols = t->shape[0];
    v.ld = t->shape[0] > 1 ? t->strides[0] : t->shape[1];
    v.data = t->data;
    v.align = kbcl_ptr_align(t->data);
    return v;
}

void kbcl_plan_matmul(const kb_matmul_params *mm, void *f32_buffer, kbcl_plan *pl)
{
    memset(pl, 0, sizeof *pl);
    pl->compute = mm->a.dtype == KB_DTYPE_I8 ? KBCL_COMPUTE_32I : KBCL_COMPUTE_32F;
    /* C^T = op(B)^T op(A)^T, column-major. */
    pl->m = mm->n;
    pl->n = mm->m;
    pl->k = mm->k;
    pl->transa = mm->trans_b != 0;
    pl->transb = mm->trans_a != 0;
    pl->a = kbcl_colmajor_view(&mm->b);
    pl->b = kbcl_colmajor_view(&mm->a);
    pl->c = kbcl_colmajor_view(&mm->c);
    pl->via_f32 = needs_f32_buffer(mm);
    if (pl->via_f32) {
        /* The f32 buffer is [M, N] row-major, packed: column-major N x M, ld N. */
        pl->c.type = KBCL_R_32F;
        pl->c.rows = mm->n;
        pl->c.cols = mm->m;
        pl->c.ld = mm->n;
        pl->c.data = f32_buffer;
        pl->c.align = kbcl_ptr_align(f32_buffer);
    }
}

/* Bytes of the via_f32 buffer, rounded up to the alignment; 0 if none is
 * needed or the sizes are out of range (the check refuses those). */
static size_t f32_buffer_bytes(const kb_matmul_params *mm)
{
    if (!needs_f32_buffer(mm) || mm->m <= 0 || mm->n <= 0 || mm->m > INT32_MAX || mm->n > INT32_MAX)
        return 0;
    uint64_t bytes = (uint64_t)mm->m * (uint64_t)mm->n * 4u;
    if (bytes > (uint64_t)(SIZE_MAX / 2))
        return 0;
    return (size_t)((bytes + KBCL_MAX_ALIGN - 1) / KBCL_MAX_ALIGN * KBCL_MAX_ALIGN);
}

size_t kbcl_matmul_lt_workspace_bytes(const kb_matmul_params *mm)
{
    return KBCL_MAX_ALIGN + KBCL_LT_WORKSPACE + f32_buffer_bytes(mm);
}

void kbcl_workspace_split(void *workspace, const kb_matmul_params *mm, void **lt_workspace, void **f32_buffer)
{
    uintptr_t base = ((uintptr_t)workspace + KBCL_MAX_ALIGN - 1) & ~(uintptr_t)(KBCL_MAX_ALIGN - 1);
    *lt_workspace = (void *)base;
    *f32_buffer = f32_buffer_bytes(mm) ? (void *)(base + KBCL_LT_WORKSPACE) : NULL;
}

/* The documented int8 requirements (see the top of this file). */
static kb_status check_int8_form(const kb_matmul_params *mm, char *why, size_t why_len)
{
    if (mm->trans_a || !mm->trans_b)
        return kb_fail(KB_ERR_UNSUPPORTED, why, why_len,
                        "i8 needs ta=0 tb=1 (A [M, K], B stored [N, K]), got ta=%d tb=%d: cuBLASLt's int8 "
                        "kernels take only the TN form (cuBLAS docs, cublasLtMatmul, IMMA requirements)",
                        mm->trans_a ? 1 : 0, mm->trans_b ? 1 : 0);
    if (mm->n % 4 || mm->k % 4)
        return kb_fail(KB_ERR_UNSUPPORTED, why, why_len,
                        "i8 needs N and K multiples of 4, got N = %lld, K = %lld (cuBLAS docs, cublasLtMatmul, "
                        "IMMA requirements)",
                        (long long)mm->n, (long long)mm->k);
    const kb_tensor *t[3] = {&mm->a, &mm->b, &mm->c};
    const char *name[3] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++) {
        kbcl_matrix v = kbcl_colmajor_view(t[i]);
        if (v.ld % 4)
            return kb_fail(KB_ERR_UNSUPPORTED, why, why_len,
                            "i8: %s's row stride %lld is not a multiple of 4 (cuBLAS docs, cublasLtMatmul, IMMA "
                            "requirements)",
                            name[i], (long long)v.ld);
        if (v.align < 4)
            return kb_fail(KB_ERR_UNSUPPORTED, why, why_len,
                            "i8: %s's data pointer is not 4-byte aligned (cuBLAS docs, cublasLtMatmul, IMMA "
                            "requirements)",
                            name[i]);
    }
    return KB_OK;
}

kb_status kbcl_matmul_lt_check(const kb_problem *p, char *why, size_t why_len)
{
    if (!p || p->op != KB_OP_MATMUL)
        return kb_fail(KB_ERR_INVALID, why, why_len, "problem is not a matmul");
    const kb_matmul_params *mm = &p->u.matmul;
    if (mm->m < 0 || mm->n < 0 || mm->k < 0)
        return kb_fail(KB_ERR_INVALID, why, why_len, "matmul sizes %lld x %lld x %lld must be >= 0",
                        (long long)mm->m, (long long)mm->n, (long long)mm->k);

    const kb_dtype ta = mm->a.dtype, tb = mm->b.dtype, tc = mm->c.dtype;
    const int int8 = ta == KB_DTYPE_I8;
    if (tb != ta)
        return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "A is %s but B is %s: both must have one dtype",
                        dtype_name(ta), dtype_name(tb));
    if (int8) {
        if (tc != KB_DTYPE_I32)
            return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "i8 x i8 -> %s: the int8 path writes i32 only",
                            dtype_name(tc));
        if (mm->alpha != 1.0f || (mm->beta != 0.0f && mm->beta != 1.0f))
            return kb_fail(KB_ERR_INVALID, why, why_len, "int8 matmul needs alpha = 1 and beta 0 or 1 (got %g, %g)",
                            (double)mm->alpha, (double)mm->beta);
    } else if (!is_float_io(ta)) {
        return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "A and B %s: only f16, bf16, f32 or i8",
                        dtype_name(ta));
    } else if (!is_float_io(tc)) {
        return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "%s x %s -> %s: float inputs write f32, f16 or bf16",
                        dtype_name(ta), dtype_name(tb), dtype_name(tc));
    }

    const int64_t as[2] = {mm->trans_a ? mm->k : mm->m, mm->trans_a ? mm->m : mm->k};
    const int64_t bs[2] = {mm->trans_b ? mm->n : mm->k, mm->trans_b ? mm->k : mm->n};
    const int64_t cs[2] = {mm->m, mm->n};
    kb_status st = kb_check_tensor_basic(&mm->a, "a", ta, 2, as, why, why_len);
    if (st == KB_OK)
        st = kb_check_tensor_basic(&mm->b, "b", tb, 2, bs, why, why_len);
    if (st == KB_OK)
        st = kb_check_tensor_basic(&mm->c, "c", tc, 2, cs, why, why_len);
    if (st != KB_OK)
        return st;

    if (mm->m == 0 || mm->n == 0 || mm->k == 0)
        return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "empty matmul (%lld x %lld x %lld)", (long long)mm->m,
                        (long long)mm->n, (long long)mm->k);
    if (mm->m > INT32_MAX || mm->n > INT32_MAX || mm->k > INT32_MAX)
        return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "matmul sizes beyond 2^31 - 1");

    const kb_tensor *t[3] = {&mm->a, &mm->b, &mm->c};
    const char *name[3] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++) {
        if (t[i]->shape[0] > 1 && t[i]->strides[0] < t[i]->shape[1])
            return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "%s: row stride %lld is below the row length %lld",
                            name[i], (long long)t[i]->strides[0], (long long)t[i]->shape[1]);
        if (t[i]->strides[0] > INT32_MAX)
            return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "%s: row stride beyond 2^31 - 1", name[i]);
        if (kbcl_ptr_align(t[i]->data) < kb_dtype_size(t[i]->dtype))
            return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "%s: data pointer not aligned to its %zu-byte elements",
                            name[i], kb_dtype_size(t[i]->dtype));
    }
    if (int8)
        return check_int8_form(mm, why, why_len);
    if (needs_f32_buffer(mm) && !f32_buffer_bytes(mm))
        return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "the f32 buffer for %s output would not fit in memory",
                        dtype_name(tc));
    return KB_OK;
}
