/*
 * plugins/ref/matmul.c - C = alpha * op(A) op(B) + beta * C, one row of C
 * at a time (so a sample of rows costs only those rows).
 *
 * exact, float path: f64 dot products (products of f32/f16/bf16 values are
 *   exact in f64), alpha * acc + beta * C in f64, rounded once to C.
 * exact, int8 path: int64 dot products, exact; stored modulo 2^32 should the
 *   caller exceed the documented bound.
 * storage: f32 sequential accumulation over k in order, then alpha * acc +
 *   beta * C in f32, rounded once to C (what cuBLAS/PyTorch would do without
 *   split-k or blocking: the straightforward storage-dtype computation).
 */
#include "ref.h"

kb_status ref_matmul_check(const kb_problem *p, ref_mode mode, char *msg, size_t len)
{
    const kb_matmul_params *mm = &p->u.matmul;
    if (p->op != KB_OP_MATMUL)
        return ref_fail(msg, len, KB_ERR_INVALID, "problem is not a matmul");
    if (mm->m < 0 || mm->n < 0 || mm->k < 0)
        return ref_fail(msg, len, KB_ERR_INVALID, "matmul sizes %lld x %lld x %lld must be >= 0",
                        (long long)mm->m, (long long)mm->n, (long long)mm->k);
    const kb_dtype ta = mm->a.dtype, tb = mm->b.dtype, tc = mm->c.dtype;
    if (ta == KB_DTYPE_I8) {
        if (tb != KB_DTYPE_I8 || tc != KB_DTYPE_I32)
            return ref_fail(msg, len, KB_ERR_UNSUPPORTED, "int8 matmul needs i8 A and B and i32 C, not %s x %s -> %s",
                            ref_dtype_name(ta), ref_dtype_name(tb), ref_dtype_name(tc));
        if (mm->alpha != 1.0f || (mm->beta != 0.0f && mm->beta != 1.0f))
            return ref_fail(msg, len, KB_ERR_UNSUPPORTED, "int8 matmul needs alpha = 1 and beta 0 or 1 (got %g, %g)",
                            (double)mm->alpha, (double)mm->beta);
        if (mode != REF_EXACT)
            return ref_fail(msg, len, KB_ERR_UNSUPPORTED,
                            "int8 matmul is exact; there is no storage-dtype yardstick");
    } else {
        if (!ref_is_io_float(ta) || tb != ta)
            return ref_fail(msg, len, KB_ERR_UNSUPPORTED,
                            "matmul A and B must both be f32, f16, bf16 or i8, not %s and %s",
                            ref_dtype_name(ta), ref_dtype_name(tb));
        if (!ref_is_io_float(tc) && !(mode == REF_EXACT && tc == KB_DTYPE_F64))
            return ref_fail(msg, len, KB_ERR_UNSUPPORTED, "matmul C must be f32, f16 or bf16%s, not %s",
                            mode == REF_EXACT ? " (or f64)" : "", ref_dtype_name(tc));
    }
    const int64_t as[2] = {mm->trans_a ? mm->k : mm->m, mm->trans_a ? mm->m : mm->k};
    const int64_t bs[2] = {mm->trans_b ? mm->n : mm->k, mm->trans_b ? mm->k : mm->n};
    const int64_t cs[2] = {mm->m, mm->n};
    kb_status st = ref_check_tensor(&mm->a, "matmul A", 2, as, msg, len);
    if (st == KB_OK) st = ref_check_tensor(&mm->b, "matmul B", 2, bs, msg, len);
    if (st == KB_OK) st = ref_check_tensor(&mm->c, "matmul C", 2, cs, msg, len);
    if (st == KB_OK) st = ref_check_rows(p, mm->m, msg, len);
    return st;
}

/* Offsets of op(A)[i, kk] and op(B)[kk, j] through the transposes. */
static int64_t a_off(const kb_matmul_params *mm, int64_t i, int64_t kk)
{
    return mm->trans_a ? kb_tensor_offset2(&mm->a, kk, i) : kb_tensor_offset2(&mm->a, i, kk);
}

static int64_t b_off(const kb_matmul_params *mm, int64_t kk, int64_t j)
{
    return mm->trans_b ? kb_tensor_offset2(&mm->b, j, kk) : kb_tensor_offset2(&mm->b, kk, j);
}

static double load_a(const kb_matmul_params *mm, int64_t i, int64_t kk)
{
    return kb_load_f64(mm->a.data, mm->a.dtype, a_off(mm, i, kk));
}

static double load_b(const kb_matmul_params *mm, int64_t kk, int64_t j)
{
    return kb_load_f64(mm->b.data, mm->b.dtype, b_off(mm, kk, j));
}

static void row_exact(const kb_matmul_params *mm, int64_t i)
{
    for (int64_t j = 0; j < mm->n; j++) {
        const int64_t co = kb_tensor_offset2(&mm->c, i, j);
        double acc = 0.0;
        for (int64_t kk = 0; kk < mm->k; kk++)
            acc += load_a(mm, i, kk) * load_b(mm, kk, j);
        double v = (double)mm->alpha * acc;
        if (mm->beta != 0.0f) /* beta == 0: C is not read, it may hold NaN */
            v += (double)mm->beta * kb_load_f64(mm->c.data, mm->c.dtype, co);
        kb_store_f64(mm->c.data, mm->c.dtype, co, v, 0);
    }
}

static void row_int8(const kb_matmul_params *mm, int64_t i)
{
    const int8_t *a = mm->a.data, *b = mm->b.data;
    int32_t *c = mm->c.data;
    for (int64_t j = 0; j < mm->n; j++) {
        const int64_t co = kb_tensor_offset2(&mm->c, i, j);
        int64_t acc = 0;
        for (int64_t kk = 0; kk < mm->k; kk++)
            acc += (int64_t)a[a_off(mm, i, kk)] * (int64_t)b[b_off(mm, kk, j)];
        if (mm->beta != 0.0f)
            acc += c[co];
        c[co] = (int32_t)(uint32_t)(uint64_t)acc; /* wraps (GCC/Clang: modulo) */
    }
}

static void row_storage(const kb_matmul_params *mm, int64_t i)
{
    for (int64_t j = 0; j < mm->n; j++) {
        const int64_t co = kb_tensor_offset2(&mm->c, i, j);
        float acc = 0.0f;
        for (int64_t kk = 0; kk < mm->k; kk++)
            acc += (float)load_a(mm, i, kk) * (float)load_b(mm, kk, j);
        float v = mm->alpha * acc;
        if (mm->beta != 0.0f)
            v += mm->beta * (float)kb_load_f64(mm->c.data, mm->c.dtype, co);
        kb_store_f64(mm->c.data, mm->c.dtype, co, v, 0);
    }
}

kb_status ref_matmul_run(const kb_problem *p, ref_mode mode, char *err, size_t len)
{
    kb_status st = ref_matmul_check(p, mode, err, len);
    if (st != KB_OK)
        return st;
    const kb_matmul_params *mm = &p->u.matmul;
    const ref_rows rows = ref_rows_of(p, mm->m);
    for (int64_t n = 0; n < rows.count; n++) {
        const int64_t i = ref_row_at(&rows, n);
        if (mm->a.dtype == KB_DTYPE_I8)
            row_int8(mm, i);
        else if (mode == REF_EXACT)
            row_exact(mm, i);
        else
            row_storage(mm, i);
    }
    return KB_OK;
}
