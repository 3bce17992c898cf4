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
 * Every C[i, j] sums its k terms in order.  Only the loop nest follows B's
 * layout (k outer when B is [K, N], k inner when it is [N, K]) so that B is
 * read along its rows: same arithmetic, far fewer cache misses.
 */
#include <stdlib.h>

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

/* op(A)[i, :], widened (exactly) to double. */
static void load_a_row(const kb_matmul_params *mm, const ref_loader *la, int64_t i, double *arow)
{
    for (int64_t kk = 0; kk < mm->k; kk++)
        arow[kk] = ref_load(la, mm->trans_a ? kb_tensor_offset2(&mm->a, kk, i)
                                            : kb_tensor_offset2(&mm->a, i, kk));
}

static void row_exact(const kb_matmul_params *mm, const ref_loader *lb, int64_t i, const double *arow,
                      double *acc)
{
    for (int64_t j = 0; j < mm->n; j++)
        acc[j] = 0.0;
    if (mm->trans_b) {
        for (int64_t j = 0; j < mm->n; j++) /* B stored [N, K] */
            for (int64_t kk = 0; kk < mm->k; kk++)
                acc[j] += arow[kk] * ref_load(lb, kb_tensor_offset2(&mm->b, j, kk));
    } else {
        for (int64_t kk = 0; kk < mm->k; kk++) /* B stored [K, N] */
            for (int64_t j = 0; j < mm->n; j++)
                acc[j] += arow[kk] * ref_load(lb, kb_tensor_offset2(&mm->b, kk, j));
    }
    for (int64_t j = 0; j < mm->n; j++) {
        const int64_t co = kb_tensor_offset2(&mm->c, i, j);
        double v = (double)mm->alpha * acc[j];
        if (mm->beta != 0.0f) /* beta == 0: C is not read, it may hold NaN */
            v += (double)mm->beta * kb_load_f64(mm->c.data, mm->c.dtype, co);
        kb_store_f64(mm->c.data, mm->c.dtype, co, v, 0);
    }
}

static void row_storage(const kb_matmul_params *mm, const ref_loader *lb, int64_t i, const double *arow,
                        float *acc)
{
    for (int64_t j = 0; j < mm->n; j++)
        acc[j] = 0.0f;
    if (mm->trans_b) {
        for (int64_t j = 0; j < mm->n; j++) /* B stored [N, K] */
            for (int64_t kk = 0; kk < mm->k; kk++)
                acc[j] += (float)arow[kk] * ref_load(lb, kb_tensor_offset2(&mm->b, j, kk));
    } else {
        for (int64_t kk = 0; kk < mm->k; kk++) /* B stored [K, N] */
            for (int64_t j = 0; j < mm->n; j++)
                acc[j] += (float)arow[kk] * ref_load(lb, kb_tensor_offset2(&mm->b, kk, j));
    }
    for (int64_t j = 0; j < mm->n; j++) {
        const int64_t co = kb_tensor_offset2(&mm->c, i, j);
        float v = mm->alpha * acc[j];
        if (mm->beta != 0.0f)
            v += mm->beta * (float)kb_load_f64(mm->c.data, mm->c.dtype, co);
        kb_store_f64(mm->c.data, mm->c.dtype, co, v, 0);
    }
}

/* int64 cannot overflow: every product is at most 2^14 in magnitude. */
static void row_int8(const kb_matmul_params *mm, int64_t i, int64_t *acc)
{
    const int8_t *a = mm->a.data, *b = mm->b.data;
    int32_t *c = mm->c.data;
    for (int64_t j = 0; j < mm->n; j++)
        acc[j] = 0;
    for (int64_t kk = 0; kk < mm->k; kk++) {
        const int64_t aik = a[mm->trans_a ? kb_tensor_offset2(&mm->a, kk, i) : kb_tensor_offset2(&mm->a, i, kk)];
        for (int64_t j = 0; j < mm->n; j++)
            acc[j] += aik * b[mm->trans_b ? kb_tensor_offset2(&mm->b, j, kk) : kb_tensor_offset2(&mm->b, kk, j)];
    }
    for (int64_t j = 0; j < mm->n; j++) {
        const int64_t co = kb_tensor_offset2(&mm->c, i, j);
        int64_t v = acc[j];
        if (mm->beta != 0.0f)
            v += c[co];
        c[co] = (int32_t)(uint32_t)(uint64_t)v; /* wraps (GCC/Clang: modulo) */
    }
}

kb_status ref_matmul_run(const kb_problem *p, ref_mode mode, char *err, size_t len)
{
    kb_status st = ref_matmul_check(p, mode, err, len);
    if (st != KB_OK)
        return st;
    const kb_matmul_params *mm = &p->u.matmul;
    const kb_tensor *const inputs[2] = {&mm->a, &mm->b};
    ref_loader ld[2];
    st = ref_loaders_init(ld, 2, inputs, err, len);
    if (st != KB_OK)
        return st;
    /* One row of op(A) and one accumulator per column of C; 8-byte slots
     * fit double, float and int64 alike (+1: never malloc(0)). */
    void *arow = malloc(sizeof(double) * (size_t)(mm->k + 1));
    void *acc = malloc(sizeof(double) * (size_t)(mm->n + 1));
    if (!arow || !acc) {
        st = ref_fail(err, len, KB_ERR_NOMEM, "matmul: out of memory for a row of C");
    } else {
        const ref_rows rows = ref_rows_of(p, mm->m);
        for (int64_t n = 0; n < rows.count; n++) {
            const int64_t i = ref_row_at(&rows, n);
            if (mm->a.dtype == KB_DTYPE_I8) {
                row_int8(mm, i, acc);
                continue;
            }
            load_a_row(mm, &ld[0], i, arow);
            if (mode == REF_EXACT)
                row_exact(mm, &ld[1], i, arow, acc);
            else
                row_storage(mm, &ld[1], i, arow, acc);
        }
    }
    free(arow);
    free(acc);
    ref_loaders_free(ld, 2);
    return st;
}
