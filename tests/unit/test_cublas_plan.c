/*
 * test_cublas_plan.c - the cublas plugin's host-side decisions
 * (plugins/cublas/lt_plan.c, lt_cache.c), without a GPU:
 *  - the row-major -> column-major mapping: the column-major call it
 *    describes, computed with plain loops, gives exactly the row-major
 *    product, for every transpose pair and padded leading dimensions, and
 *    touches nothing outside the matrices;
 *  - which C dtypes go through the f32 buffer;
 *  - what supports() accepts and refuses, with which status;
 *  - the workspace layout and the algorithm cache.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "expect.h"
#include "lt_plan.h"

/* Addresses for problems whose data is never read (supports(), workspace). */
static _Alignas(256) unsigned char arena[3][1024];

/* A row-major [rows, cols] tensor with `pad` extra elements per row. */
static kb_tensor tensor(kb_dtype dtype, int64_t rows, int64_t cols, int64_t pad, void *data)
{
    kb_tensor t;
    memset(&t, 0, sizeof t);
    t.dtype = dtype;
    t.rank = 2;
    t.shape[0] = rows;
    t.shape[1] = cols;
    t.strides[0] = cols + pad;
    t.strides[1] = 1;
    t.data = data;
    return t;
}

/* A matmul laid out as the harness does it (workload.c). */
static kb_problem matmul(kb_dtype ab, kb_dtype c, int64_t m, int64_t n, int64_t k, int ta, int tb, int64_t pad,
                         float alpha, float beta, void *a_data, void *b_data, void *c_data)
{
    kb_problem p;
    memset(&p, 0, sizeof p);
    p.op = KB_OP_MATMUL;
    kb_matmul_params *mm = &p.u.matmul;
    mm->m = m;
    mm->n = n;
    mm->k = k;
    mm->trans_a = ta;
    mm->trans_b = tb;
    mm->alpha = alpha;
    mm->beta = beta;
    mm->a = tensor(ab, ta ? k : m, ta ? m : k, pad, a_data);
    mm->b = tensor(ab, tb ? n : k, tb ? k : n, pad, b_data);
    mm->c = tensor(c, m, n, pad, c_data);
    return p;
}

static kb_problem simple(kb_dtype ab, kb_dtype c, int64_t m, int64_t n, int64_t k, int ta, int tb, int64_t pad)
{
    return matmul(ab, c, m, n, k, ta, tb, pad, 1.0f, 0.0f, arena[0], arena[1], arena[2]);
}

static int64_t span_elems(const kb_tensor *t)
{
    return (t->shape[0] - 1) * t->strides[0] + t->shape[1];
}

/* Largest element index a column-major (rows, cols, ld) matrix touches. */
static int64_t last_index(const kbcl_matrix *v)
{
    return (v->rows - 1) + (v->cols - 1) * v->ld;
}

static unsigned rng_state = 12345u;
static float small_int(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return (float)((int)((rng_state >> 16) % 7u) - 3);
}

#define POISON 1.0e30f

/* The mapping against brute force on one shape. */
static void check_mapping(int64_t M, int64_t N, int64_t K, int ta, int tb, int64_t pad)
{
    kb_problem p = matmul(KB_DTYPE_F32, KB_DTYPE_F32, M, N, K, ta, tb, pad, 1.0f, 0.0f, NULL, NULL, NULL);
    kb_matmul_params *mm = &p.u.matmul;
    int64_t na = span_elems(&mm->a), nb = span_elems(&mm->b), nc = span_elems(&mm->c);
    float *A = malloc((size_t)na * sizeof *A), *B = malloc((size_t)nb * sizeof *B);
    float *want = malloc((size_t)nc * sizeof *want), *got = malloc((size_t)nc * sizeof *got);
    if (!A || !B || !want || !got) {
        EXPECT(0, "out of memory");
        free(A), free(B), free(want), free(got);
        return;
    }
    for (int64_t i = 0; i < na; i++) A[i] = small_int();
    for (int64_t i = 0; i < nb; i++) B[i] = small_int();
    for (int64_t i = 0; i < nc; i++) want[i] = got[i] = POISON;
    mm->a.data = A;
    mm->b.data = B;
    mm->c.data = got;
    const int64_t lda = mm->a.strides[0], ldb = mm->b.strides[0], ldc = mm->c.strides[0];

    /* The definition, row-major. */
    for (int64_t r = 0; r < M; r++)
        for (int64_t c = 0; c < N; c++) {
            double acc = 0;
            for (int64_t l = 0; l < K; l++) {
                double av = ta ? A[l * lda + r] : A[r * lda + l];
                double bv = tb ? B[c * ldb + l] : B[l * ldb + c];
                acc += av * bv;
            }
            want[r * ldc + c] = (float)acc;
        }

    char why[256] = "";
    EXPECT(kbcl_matmul_lt_check(&p, why, sizeof why) == KB_OK, "%lldx%lldx%lld ta=%d tb=%d pad=%lld refused: %s",
           (long long)M, (long long)N, (long long)K, ta, tb, (long long)pad, why);
    kbcl_plan pl;
    kbcl_plan_matmul(mm, NULL, &pl);
    const char *label = "mapping";
    EXPECT(!pl.via_f32 && pl.compute == KBCL_COMPUTE_32F, "%s: f32 -> f32 is direct, compute 32F", label);
    EXPECT(pl.m == N && pl.n == M && pl.k == K, "%s: m' n' k' = %lld %lld %lld, want N M K", label,
           (long long)pl.m, (long long)pl.n, (long long)pl.k);
    EXPECT(pl.transa == tb && pl.transb == ta, "%s: transa' %d transb' %d for ta %d tb %d", label, pl.transa,
           pl.transb, ta, tb);
    EXPECT(pl.a.data == B && pl.b.data == A && pl.c.data == got, "%s: A' must be B's memory, B' A's, C' C's", label);

    /* Each stored matrix has the shape the op needs, and ld >= rows. */
    const int64_t m = pl.m, n = pl.n, k = pl.k;
    EXPECT(pl.transa ? (pl.a.rows == k && pl.a.cols == m) : (pl.a.rows == m && pl.a.cols == k),
           "%s: A' is %lld x %lld", label, (long long)pl.a.rows, (long long)pl.a.cols);
    EXPECT(pl.transb ? (pl.b.rows == n && pl.b.cols == k) : (pl.b.rows == k && pl.b.cols == n),
           "%s: B' is %lld x %lld", label, (long long)pl.b.rows, (long long)pl.b.cols);
    EXPECT(pl.c.rows == m && pl.c.cols == n, "%s: C' is %lld x %lld", label, (long long)pl.c.rows,
           (long long)pl.c.cols);
    EXPECT(pl.a.ld >= pl.a.rows && pl.b.ld >= pl.b.rows && pl.c.ld >= pl.c.rows, "%s: ld below rows", label);
    /* ... and stays inside its tensor. */
    EXPECT(last_index(&pl.a) < nb && last_index(&pl.b) < na && last_index(&pl.c) < nc,
           "%s: a column-major view reaches past its tensor", label);

    /* The column-major call it describes, with plain loops. */
    const float *Ap = pl.a.data, *Bp = pl.b.data;
    float *Dp = pl.c.data;
    for (int64_t j = 0; j < n; j++)
        for (int64_t i = 0; i < m; i++) {
            double acc = 0;
            for (int64_t l = 0; l < k; l++) {
                double av = pl.transa ? Ap[l + i * pl.a.ld] : Ap[i + l * pl.a.ld];
                double bv = pl.transb ? Bp[j + l * pl.b.ld] : Bp[l + j * pl.b.ld];
                acc += av * bv;
            }
            Dp[i + j * pl.c.ld] = (float)acc;
        }
    int64_t bad = -1;
    for (int64_t i = 0; i < nc && bad < 0; i++)
        if (got[i] != want[i]) bad = i;
    EXPECT(bad < 0, "%lldx%lldx%lld ta=%d tb=%d pad=%lld: element %lld of C is %g, want %g", (long long)M,
           (long long)N, (long long)K, ta, tb, (long long)pad, (long long)bad, bad < 0 ? 0.0 : (double)got[bad],
           bad < 0 ? 0.0 : (double)want[bad]);
    free(A), free(B), free(want), free(got);
}

static void test_mapping(void)
{
    static const int64_t shapes[][3] = {{1, 1, 1}, {3, 5, 4}, {5, 3, 2}, {1, 7, 6}, {6, 1, 3},
                                        {4, 4, 1}, {7, 2, 9}, {2, 9, 1}, {8, 8, 8}};
    static const int64_t pads[] = {0, 1, 3};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++)
                for (size_t q = 0; q < sizeof pads / sizeof pads[0]; q++)
                    check_mapping(shapes[s][0], shapes[s][1], shapes[s][2], ta, tb, pads[q]);

    /* One row: its stride is moot, ld is the row length. */
    kb_problem p = simple(KB_DTYPE_F16, KB_DTYPE_F32, 1, 5, 12, 0, 0, 7);
    kbcl_plan pl;
    kbcl_plan_matmul(&p.u.matmul, NULL, &pl);
    EXPECT(pl.b.ld == 12 && pl.c.ld == 5, "single-row ld: B' %lld (want 12), C' %lld (want 5)", (long long)pl.b.ld,
           (long long)pl.c.ld);
    EXPECT(pl.a.ld == 5 + 7, "padded B: ld %lld, want 12", (long long)pl.a.ld);
}

static void test_types(void)
{
    static const kb_dtype fl[3] = {KB_DTYPE_F16, KB_DTYPE_BF16, KB_DTYPE_F32};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            kb_dtype ab = fl[i], c = fl[j];
            int direct = c == KB_DTYPE_F32 || c == ab;
            EXPECT(kbcl_direct(ab, c) == direct, "%s -> %s: direct %d, want %d", kb_dtype_name(ab),
                   kb_dtype_name(c), kbcl_direct(ab, c), direct);
            kb_problem p = simple(ab, c, 6, 10, 8, 0, 1, 2);
            kbcl_plan pl;
            void *buffer = (void *)(uintptr_t)0x7f0000100000u;
            kbcl_plan_matmul(&p.u.matmul, buffer, &pl);
            EXPECT(pl.via_f32 == !direct, "%s -> %s: via_f32 %d", kb_dtype_name(ab), kb_dtype_name(c), pl.via_f32);
            EXPECT(pl.a.type == kbcl_type_of(ab) && pl.b.type == kbcl_type_of(ab), "%s inputs: A'/B' type",
                   kb_dtype_name(ab));
            if (direct) {
                EXPECT(pl.c.type == kbcl_type_of(c) && pl.c.data == arena[2] && pl.c.ld == 12,
                       "%s -> %s: C' must be C itself", kb_dtype_name(ab), kb_dtype_name(c));
            } else {
                EXPECT(pl.c.type == KBCL_R_32F && pl.c.data == buffer && pl.c.rows == 10 && pl.c.cols == 6 &&
                           pl.c.ld == 10 && pl.c.align == 256,
                       "%s -> %s: C' must be the packed f32 buffer", kb_dtype_name(ab), kb_dtype_name(c));
            }
        }
    EXPECT(kbcl_direct(KB_DTYPE_I8, KB_DTYPE_I32) && !kbcl_direct(KB_DTYPE_I8, KB_DTYPE_F32), "i8 -> i32 only");
    kb_problem p = simple(KB_DTYPE_I8, KB_DTYPE_I32, 16, 8, 16, 0, 1, 0);
    kbcl_plan pl;
    kbcl_plan_matmul(&p.u.matmul, NULL, &pl);
    EXPECT(pl.compute == KBCL_COMPUTE_32I && !pl.via_f32 && pl.a.type == KBCL_R_8I && pl.c.type == KBCL_R_32I,
           "i8: compute 32I, i8 inputs, i32 output, direct");
    EXPECT(pl.transa == 1 && pl.transb == 0, "i8 ta=0 tb=1 is cuBLAS's TN form");
    EXPECT(kbcl_type_of(KB_DTYPE_FP8_E4M3) == KBCL_NONE, "no e4m3 type");
}

static void test_align(void)
{
    EXPECT(kbcl_ptr_align(NULL) == 256, "NULL: 256");
    EXPECT(kbcl_ptr_align((void *)(uintptr_t)0x1000) == 256, "0x1000: 256");
    EXPECT(kbcl_ptr_align((void *)(uintptr_t)0x1040) == 64, "0x1040: 64");
    EXPECT(kbcl_ptr_align((void *)(uintptr_t)0x1010) == 16, "0x1010: 16");
    EXPECT(kbcl_ptr_align((void *)(uintptr_t)0x1006) == 2, "0x1006: 2");
    EXPECT(kbcl_ptr_align((void *)(uintptr_t)0x1003) == 1, "0x1003: 1");
}

/* supports() without a device. */
#define EXPECT_STATUS(prob, want, label)                                                                   \
    do {                                                                                                   \
        kb_problem prob_ = (prob);                                                                         \
        char why_[512] = "";                                                                               \
        kb_status got_ = kbcl_matmul_lt_check(&prob_, why_, sizeof why_);                                  \
        EXPECT(got_ == (want), "%s: status %d, want %d (%s)", (label), (int)got_, (int)(want), why_);      \
        EXPECT(got_ == KB_OK || why_[0], "%s: refused without a reason", (label));                         \
    } while (0)

static void test_supports(void)
{
    const kb_dtype I8 = KB_DTYPE_I8, I32 = KB_DTYPE_I32, F16 = KB_DTYPE_F16, BF16 = KB_DTYPE_BF16,
                   F32 = KB_DTYPE_F32;
    /* Every float combination, every layout. */
    static const kb_dtype fl[3] = {KB_DTYPE_F16, KB_DTYPE_BF16, KB_DTYPE_F32};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            for (int t = 0; t < 4; t++)
                EXPECT_STATUS(simple(fl[i], fl[j], 17, 19, 23, t & 1, t >> 1, 3), KB_OK, "float combination");

    /* The built-in suites (harness/suites), as the harness lays them out. */
    EXPECT_STATUS(simple(F16, F32, 1, 1, 1, 0, 0, 0), KB_OK, "default 1x1x1");
    EXPECT_STATUS(simple(F16, F32, 255, 257, 1000, 1, 0, 7), KB_OK, "default ta pad 7");
    EXPECT_STATUS(simple(F16, F16, 1000, 999, 77, 0, 1, 0), KB_OK, "default f16 tb");
    EXPECT_STATUS(matmul(F16, BF16, 63, 65, 129, 0, 0, 0, 2.0f, 0.5f, arena[0], arena[1], arena[2]), KB_OK,
                  "default f16 -> bf16 alpha beta");
    EXPECT_STATUS(simple(BF16, F16, 33, 1, 4000, 0, 0, 0), KB_OK, "default bf16 -> f16 n=1");
    EXPECT_STATUS(matmul(F32, F32, 777, 555, 333, 0, 0, 1, 1.0f, 1.0f, arena[0], arena[1], arena[2]), KB_OK,
                  "default f32 beta 1 pad 1");
    EXPECT_STATUS(simple(F32, BF16, 1, 1000, 64, 1, 0, 0), KB_OK, "default f32 -> bf16");
    EXPECT_STATUS(simple(I8, I32, 1024, 1024, 1024, 0, 0, 0), KB_ERR_UNSUPPORTED, "default i8 NN");
    EXPECT_STATUS(matmul(I8, I32, 99, 101, 4095, 1, 0, 0, 1.0f, 1.0f, arena[0], arena[1], arena[2]),
                  KB_ERR_UNSUPPORTED, "default i8 ta=1");
    EXPECT_STATUS(simple(I8, I32, 1, 7, 3, 0, 1, 2), KB_ERR_UNSUPPORTED, "default i8 N=7");
    EXPECT_STATUS(simple(I8, I32, 15, 17, 41, 0, 0, 0), KB_ERR_UNSUPPORTED, "smoke i8");
    EXPECT_STATUS(matmul(I8, I32, 6, 9, 130, 1, 1, 5, 1.0f, 1.0f, arena[0], arena[1], arena[2]), KB_ERR_UNSUPPORTED,
                  "smoke i8 ta tb");

    /* int8: the documented TN form and its multiples of 4. */
    EXPECT_STATUS(simple(I8, I32, 16, 8, 16, 0, 1, 0), KB_OK, "i8 TN");
    EXPECT_STATUS(simple(I8, I32, 5, 8, 16, 0, 1, 0), KB_OK, "i8 TN, odd M");
    EXPECT_STATUS(simple(I8, I32, 1, 8, 16, 0, 1, 0), KB_OK, "i8 TN, M=1");
    EXPECT_STATUS(simple(I8, I32, 16, 8, 16, 0, 1, 4), KB_OK, "i8 TN, pad 4");
    EXPECT_STATUS(matmul(I8, I32, 16, 8, 16, 0, 1, 0, 1.0f, 1.0f, arena[0], arena[1], arena[2]), KB_OK,
                  "i8 TN, beta 1");
    EXPECT_STATUS(simple(I8, I32, 16, 8, 16, 0, 0, 0), KB_ERR_UNSUPPORTED, "i8 NN");
    EXPECT_STATUS(simple(I8, I32, 16, 8, 16, 1, 1, 0), KB_ERR_UNSUPPORTED, "i8 TT");
    EXPECT_STATUS(simple(I8, I32, 16, 8, 16, 1, 0, 0), KB_ERR_UNSUPPORTED, "i8 NT");
    EXPECT_STATUS(simple(I8, I32, 16, 6, 16, 0, 1, 0), KB_ERR_UNSUPPORTED, "i8 N=6");
    EXPECT_STATUS(simple(I8, I32, 16, 8, 18, 0, 1, 0), KB_ERR_UNSUPPORTED, "i8 K=18");
    {
        /* N or K off the multiple of 4 with every leading dimension on it. */
        kb_problem p = simple(I8, I32, 16, 6, 16, 0, 1, 0);
        p.u.matmul.c.strides[0] = 8;
        EXPECT_STATUS(p, KB_ERR_UNSUPPORTED, "i8 N=6, ldc 8");
        p = simple(I8, I32, 16, 8, 18, 0, 1, 0);
        p.u.matmul.a.strides[0] = p.u.matmul.b.strides[0] = 20;
        EXPECT_STATUS(p, KB_ERR_UNSUPPORTED, "i8 K=18, lda ldb 20");
        p = simple(I8, I32, 16, 8, 16, 0, 1, 0);
        p.u.matmul.c.strides[0] = 12;
        EXPECT_STATUS(p, KB_OK, "i8 ldc 12");
    }
    EXPECT_STATUS(simple(I8, I32, 16, 8, 16, 0, 1, 1), KB_ERR_UNSUPPORTED, "i8 pad 1 (ld 17)");
    EXPECT_STATUS(simple(I8, I32, 16, 8, 16, 0, 1, 2), KB_ERR_UNSUPPORTED, "i8 pad 2 (ld 18)");
    EXPECT_STATUS(matmul(I8, I32, 16, 8, 16, 0, 1, 0, 1.0f, 0.0f, arena[0] + 4, arena[1], arena[2]), KB_OK,
                  "i8 A 4-byte aligned");
    EXPECT_STATUS(matmul(I8, I32, 16, 8, 16, 0, 1, 0, 1.0f, 0.0f, arena[0] + 2, arena[1], arena[2]),
                  KB_ERR_UNSUPPORTED, "i8 A 2-byte aligned");
    EXPECT_STATUS(matmul(I8, I32, 16, 8, 16, 0, 1, 0, 1.0f, 0.0f, arena[0], arena[1] + 1, arena[2]),
                  KB_ERR_UNSUPPORTED, "i8 B 1-byte aligned");
    EXPECT_STATUS(simple(I8, F32, 16, 8, 16, 0, 1, 0), KB_ERR_UNSUPPORTED, "i8 -> f32");
    EXPECT_STATUS(matmul(I8, I32, 16, 8, 16, 0, 1, 0, 2.0f, 0.0f, arena[0], arena[1], arena[2]), KB_ERR_INVALID,
                  "i8 alpha 2");
    EXPECT_STATUS(matmul(I8, I32, 16, 8, 16, 0, 1, 0, 1.0f, 0.5f, arena[0], arena[1], arena[2]), KB_ERR_INVALID,
                  "i8 beta 0.5");
    {
        kb_problem p = simple(I8, I32, 16, 8, 16, 0, 0, 0);
        char why[512] = "";
        kbcl_matmul_lt_check(&p, why, sizeof why);
        EXPECT(strstr(why, "TN") && strstr(why, "tb=0"), "i8 layout refusal names the form: %s", why);
    }

    /* dtypes. */
    {
        kb_problem p = simple(F16, F32, 8, 8, 8, 0, 0, 0);
        p.u.matmul.b.dtype = BF16;
        EXPECT_STATUS(p, KB_ERR_UNSUPPORTED, "f16 x bf16");
    }
    EXPECT_STATUS(simple(KB_DTYPE_FP8_E4M3, F32, 8, 8, 8, 0, 0, 0), KB_ERR_UNSUPPORTED, "e4m3 inputs");
    EXPECT_STATUS(simple(F16, I32, 8, 8, 8, 0, 0, 0), KB_ERR_UNSUPPORTED, "f16 -> i32");
    EXPECT_STATUS(simple(F32, KB_DTYPE_F64, 8, 8, 8, 0, 0, 0), KB_ERR_UNSUPPORTED, "f32 -> f64");

    /* Malformed problems. */
    {
        kb_problem p = simple(F16, F32, 8, 8, 8, 0, 0, 0);
        p.u.matmul.a.shape[1] = 9;
        EXPECT_STATUS(p, KB_ERR_INVALID, "a shape mismatch");
        p = simple(F16, F32, 8, 8, 8, 0, 0, 0);
        p.u.matmul.c.strides[1] = 2;
        EXPECT_STATUS(p, KB_ERR_INVALID, "c innermost stride 2");
        p = simple(F16, F32, 8, 8, 8, 0, 0, 0);
        p.u.matmul.b.data = NULL;
        EXPECT_STATUS(p, KB_ERR_INVALID, "b without data");
        p = simple(F16, F32, 8, 8, 8, 0, 0, 0);
        p.op = KB_OP_SOFTMAX;
        EXPECT_STATUS(p, KB_ERR_INVALID, "not a matmul");
        p = simple(F16, F32, 8, 8, 8, 0, 0, 0);
        p.u.matmul.m = -1;
        EXPECT_STATUS(p, KB_ERR_INVALID, "negative m");
        p = simple(F16, F32, 8, 8, 8, 0, 0, 0);
        p.u.matmul.a.rank = 3;
        EXPECT_STATUS(p, KB_ERR_INVALID, "rank 3");
    }
    /* Valid, but not for cuBLASLt. */
    EXPECT_STATUS(simple(F16, F32, 8, 8, 0, 0, 0, 0), KB_ERR_UNSUPPORTED, "k = 0");
    EXPECT_STATUS(simple(F16, F32, 0, 8, 8, 0, 0, 0), KB_ERR_UNSUPPORTED, "m = 0");
    {
        kb_problem p = simple(F32, F32, 8, 8, 8, 0, 0, 0);
        p.u.matmul.a.strides[0] = 7;
        EXPECT_STATUS(p, KB_ERR_UNSUPPORTED, "a's rows overlap");
        p = simple(F32, F32, 1, 8, 8, 0, 0, 0);
        p.u.matmul.a.strides[0] = 0;
        EXPECT_STATUS(p, KB_OK, "one row of a: its stride does not matter");
        p = simple(F32, F32, 8, 8, 8, 0, 0, 0);
        p.u.matmul.c.strides[0] = (int64_t)1 << 32;
        EXPECT_STATUS(p, KB_ERR_UNSUPPORTED, "ldc beyond 2^31");
    }
    EXPECT_STATUS(matmul(F16, F32, 8, 8, 8, 0, 0, 0, 1.0f, 0.0f, arena[0] + 1, arena[1], arena[2]),
                  KB_ERR_UNSUPPORTED, "f16 A at an odd address");
    EXPECT_STATUS(matmul(F16, F32, 8, 8, 8, 0, 0, 0, 1.0f, 0.0f, arena[0] + 2, arena[1], arena[2]), KB_OK,
                  "f16 A 2-byte aligned");
    EXPECT_STATUS(matmul(F32, F32, 8, 8, 8, 0, 0, 0, 1.0f, 0.0f, arena[0], arena[1], arena[2] + 2),
                  KB_ERR_UNSUPPORTED, "f32 C 2-byte aligned");
    EXPECT_STATUS(matmul(F32, BF16, 8, 8, 8, 0, 0, 0, 1.0f, 0.0f, arena[0] + 4, arena[1] + 8, arena[2] + 2), KB_OK,
                  "f32 -> bf16, element-aligned pointers");
}

static void test_workspace(void)
{
    const size_t lt = KBCL_LT_WORKSPACE;
    EXPECT(lt == (size_t)32 << 20 && lt % KBCL_MAX_ALIGN == 0, "cuBLASLt workspace: 32 MiB");
    kb_problem p = simple(KB_DTYPE_F16, KB_DTYPE_F32, 1000, 999, 77, 0, 1, 0);
    EXPECT(kbcl_matmul_lt_workspace_bytes(&p.u.matmul) == KBCL_MAX_ALIGN + lt, "direct: alignment slack + 32 MiB");
    void *lt_ws, *buf;
    kbcl_workspace_split((void *)(uintptr_t)0x10040, &p.u.matmul, &lt_ws, &buf);
    EXPECT((uintptr_t)lt_ws == 0x10100 && buf == NULL, "direct split: %p %p", lt_ws, buf);

    p = simple(KB_DTYPE_F16, KB_DTYPE_BF16, 63, 65, 129, 0, 0, 0);
    size_t want_buf = (63 * 65 * 4 + 255) / 256 * 256;
    size_t bytes = kbcl_matmul_lt_workspace_bytes(&p.u.matmul);
    EXPECT(bytes == KBCL_MAX_ALIGN + lt + want_buf, "via f32: %zu bytes", bytes);
    static const uintptr_t bases[] = {0x10000, 0x10040, 0x100c0, 0x100ff};
    for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++) {
        kbcl_workspace_split((void *)bases[i], &p.u.matmul, &lt_ws, &buf);
        uintptr_t l = (uintptr_t)lt_ws, b = (uintptr_t)buf;
        EXPECT(l % 256 == 0 && b % 256 == 0, "split of %#lx: pieces not 256-byte aligned", (unsigned long)bases[i]);
        EXPECT(l >= bases[i] && b == l + lt, "split of %#lx: cuBLASLt's piece and the buffer overlap",
               (unsigned long)bases[i]);
        EXPECT(b + 63 * 65 * 4 <= bases[i] + bytes, "split of %#lx: the buffer ends past the workspace",
               (unsigned long)bases[i]);
    }
    /* Out-of-range sizes do not overflow the count. */
    p = simple(KB_DTYPE_F32, KB_DTYPE_F16, (int64_t)1 << 40, (int64_t)1 << 40, 8, 0, 0, 0);
    EXPECT(kbcl_matmul_lt_workspace_bytes(&p.u.matmul) == KBCL_MAX_ALIGN + lt, "huge problem: no buffer counted");
}

static kbcl_key key_for(int64_t m)
{
    kb_problem p = simple(KB_DTYPE_F16, KB_DTYPE_F32, m, 64, 32, 0, 1, 0);
    kbcl_plan pl;
    kbcl_plan_matmul(&p.u.matmul, NULL, &pl);
    return kbcl_plan_key(&pl);
}

static void algo_for(int64_t v, uint64_t algo[KBCL_ALGO_WORDS])
{
    for (int i = 0; i < KBCL_ALGO_WORDS; i++) algo[i] = (uint64_t)v * 100u + (uint64_t)i;
}

static void test_cache(void)
{
    static kbcl_algo_cache cache; /* zeroed, as calloc'd plugin state is */
    uint64_t a1[KBCL_ALGO_WORDS], a2[KBCL_ALGO_WORDS];
    algo_for(1, a1);
    algo_for(2, a2);
    kbcl_key k1 = key_for(100);
    EXPECT(kbcl_cache_find(&cache, &k1) == NULL, "empty cache finds nothing");
    kbcl_cache_put(&cache, &k1, a1);
    const uint64_t *hit = kbcl_cache_find(&cache, &k1);
    EXPECT(hit && !memcmp(hit, a1, sizeof a1), "the algorithm put is found");

    /* Any field of the signature tells keys apart. */
    kbcl_key v[15];
    for (int i = 0; i < 15; i++) v[i] = k1;
    v[0].compute++, v[1].transa ^= 1, v[2].transb ^= 1, v[3].a_type++, v[4].b_type++, v[5].c_type++;
    v[6].m++, v[7].n++, v[8].k++, v[9].lda++, v[10].ldb++, v[11].ldc++;
    v[12].a_align /= 2, v[13].b_align /= 2, v[14].c_align /= 2;
    for (int i = 0; i < 15; i++)
        EXPECT(!kbcl_key_equal(&v[i], &k1) && kbcl_cache_find(&cache, &v[i]) == NULL, "key variant %d must miss", i);

    /* The plan's key follows pointer alignment. */
    kb_problem p = simple(KB_DTYPE_F16, KB_DTYPE_F32, 100, 64, 32, 0, 1, 0);
    p.u.matmul.a.data = arena[0] + 16;
    kbcl_plan pl;
    kbcl_plan_matmul(&p.u.matmul, NULL, &pl);
    kbcl_key k16 = kbcl_plan_key(&pl);
    EXPECT(!kbcl_key_equal(&k16, &k1) && k16.b_align == 16, "a 16-byte aligned A is another signature");

    /* Same key again: refreshed in place. */
    kbcl_cache_put(&cache, &k1, a2);
    int used = 0;
    for (int i = 0; i < KBCL_CACHE_SLOTS; i++) used += cache.slot[i].used;
    hit = kbcl_cache_find(&cache, &k1);
    EXPECT(used == 1 && hit && !memcmp(hit, a2, sizeof a2), "re-put replaces (%d slots used)", used);

    /* Full: the oldest goes first. */
    for (int64_t i = 1; i < KBCL_CACHE_SLOTS; i++) {
        kbcl_key k = key_for(100 + i);
        uint64_t a[KBCL_ALGO_WORDS];
        algo_for(100 + i, a);
        kbcl_cache_put(&cache, &k, a);
    }
    int all = 1;
    for (int64_t i = 0; i < KBCL_CACHE_SLOTS; i++) {
        kbcl_key k = key_for(100 + i);
        all &= kbcl_cache_find(&cache, &k) != NULL;
    }
    EXPECT(all, "a full cache holds %d signatures", KBCL_CACHE_SLOTS);
    kbcl_key extra = key_for(100 + KBCL_CACHE_SLOTS);
    uint64_t ax[KBCL_ALGO_WORDS];
    algo_for(999, ax);
    kbcl_cache_put(&cache, &extra, ax);
    hit = kbcl_cache_find(&cache, &extra);
    EXPECT(hit && !memcmp(hit, ax, sizeof ax), "the newest is kept");
    EXPECT(kbcl_cache_find(&cache, &k1) == NULL, "the oldest was evicted");
    kbcl_key k2 = key_for(101);
    hit = kbcl_cache_find(&cache, &k2);
    uint64_t a101[KBCL_ALGO_WORDS];
    algo_for(101, a101);
    EXPECT(hit && !memcmp(hit, a101, sizeof a101), "the second oldest stays");
    kbcl_key extra2 = key_for(101 + KBCL_CACHE_SLOTS);
    kbcl_cache_put(&cache, &extra2, ax);
    EXPECT(kbcl_cache_find(&cache, &extra) && kbcl_cache_find(&cache, &extra2), "both newest are kept");
    EXPECT(kbcl_cache_find(&cache, &k2) == NULL, "then the second oldest goes");
}

int main(void)
{
    test_mapping();
    test_types();
    test_align();
    test_supports();
    test_workspace();
    test_cache();
    if (failures) {
        fprintf(stderr, "test_cublas_plan: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_cublas_plan: ok\n");
    return 0;
}
