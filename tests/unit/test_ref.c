/*
 * tests/unit/test_ref.c - the reference plugin against hand-computed values
 * and identities.
 *
 * Usage: test_ref path/to/kb_ref.so
 *
 * Loads the plugin like the harness does (dlopen, kbench_plugin(), ABI
 * check), finds kernels by (op, name) and exits 1 with a message on the
 * first failed check.  Outputs are poisoned (NaN or a sentinel) before every
 * run, so an element the oracle forgets to write fails.
 */
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kbench/kbench.h>

#define CHECK(cond, ...)                                                      \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "test_ref: %s:%d: FAILED: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                                     \
            fputc('\n', stderr);                                              \
            exit(1);                                                          \
        }                                                                     \
    } while (0)

static const kb_plugin *plugin;

/* ---- memory: every buffer is freed at the end (LeakSanitizer is on) ---- */

static void *bufs[4096];
static int nbufs;

static void *xalloc(size_t bytes)
{
    CHECK(nbufs < (int)(sizeof bufs / sizeof bufs[0]), "too many test buffers");
    void *p = calloc(1, bytes ? bytes : 1);
    CHECK(p, "out of memory");
    bufs[nbufs++] = p;
    return p;
}

static void free_all(void)
{
    while (nbufs > 0)
        free(bufs[--nbufs]);
}

/* ---- seeded RNG (splitmix64), never all-zero data ---- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rng_u64(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double rng_uniform(void) /* (0, 1) */
{
    return ((double)(rng_u64() >> 11) + 0.5) / 9007199254740992.0;
}

static double rng_normal(void)
{
    return sqrt(-2.0 * log(rng_uniform())) * cos(6.283185307179586 * rng_uniform());
}

/* ---- tensors ---- */

static kb_tensor t1(kb_dtype dt, void *d, int64_t n)
{
    kb_tensor t = {dt, 1, {n}, {1}, d};
    return t;
}

static kb_tensor t2(kb_dtype dt, void *d, int64_t r, int64_t c, int64_t ld)
{
    kb_tensor t = {dt, 2, {r, c}, {ld, 1}, d};
    return t;
}

static kb_tensor t3(kb_dtype dt, void *d, int64_t a, int64_t b, int64_t c)
{
    kb_tensor t = {dt, 3, {a, b, c}, {b * c, c, 1}, d};
    return t;
}

static kb_tensor t4(kb_dtype dt, void *d, int64_t a, int64_t b, int64_t c, int64_t e)
{
    kb_tensor t = {dt, 4, {a, b, c, e}, {b * c * e, c * e, e, 1}, d};
    return t;
}

/* A fresh buffer of n elements of dtype dt, filled with the value v. */
static void *filled(kb_dtype dt, int64_t n, double v)
{
    void *p = xalloc((size_t)n * kb_dtype_size(dt));
    for (int64_t i = 0; i < n; i++)
        kb_store_f64(p, dt, i, v, 0);
    return p;
}

static void fill(void *p, kb_dtype dt, int64_t n, double v)
{
    for (int64_t i = 0; i < n; i++)
        kb_store_f64(p, dt, i, v, 0);
}

/* n random N(0, sd) values, stored (rounded) in dtype dt. */
static void *randn(kb_dtype dt, int64_t n, double sd)
{
    void *p = xalloc((size_t)n * kb_dtype_size(dt));
    for (int64_t i = 0; i < n; i++)
        kb_store_f64(p, dt, i, sd * rng_normal(), 0);
    return p;
}

static double at(const void *p, kb_dtype dt, int64_t i) { return kb_load_f64(p, dt, i); }

/* Same value, NaN equal to NaN, -inf to -inf. */
static int same(double a, double b)
{
    return (isnan(a) && isnan(b)) || a == b;
}

static int near(double got, double want, double tol)
{
    if (isnan(want) || isinf(want))
        return same(got, want);
    return fabs(got - want) <= tol;
}

/* ---- kernels ---- */

static const kb_kernel *kernel(kb_op op, const char *name)
{
    for (uint32_t i = 0; i < plugin->kernel_count; i++)
        if (plugin->kernels[i].op == op && strcmp(plugin->kernels[i].name, name) == 0)
            return &plugin->kernels[i];
    CHECK(0, "ref has no %s kernel \"%s\"", kb_op_name(op), name);
    return NULL;
}

/* supports() and run() must both say `want`; a refusal needs a reason. */
static void expect_status(const char *what, const char *name, const kb_problem *p, kb_status want)
{
    const kb_kernel *k = kernel(p->op, name);
    char why[256] = "";
    kb_status st = k->supports(NULL, p, why, sizeof why);
    CHECK(st == want, "%s: %s supports() gave %d (%s), expected %d", what, name, (int)st, why, (int)want);
    CHECK(st == KB_OK || why[0], "%s: %s supports() refused without a reason", what, name);
    CHECK(k->workspace_bytes(NULL, p) == 0, "%s: ref asks for workspace", what);
    char err[256] = "";
    st = k->run(NULL, p, NULL, NULL, err, sizeof err);
    CHECK(st == want, "%s: %s run() gave %d (%s), expected %d", what, name, (int)st, err, (int)want);
}

static void run_ok(const char *what, const char *name, const kb_problem *p)
{
    expect_status(what, name, p, KB_OK);
}

/* ---- problem builders ---- */

static kb_problem softmax_problem(int64_t rows, int64_t cols, float scale, int log_sm,
                                  kb_tensor x, kb_tensor y)
{
    kb_problem p;
    memset(&p, 0, sizeof p);
    p.op = KB_OP_SOFTMAX;
    p.u.softmax.rows = rows;
    p.u.softmax.cols = cols;
    p.u.softmax.scale = scale;
    p.u.softmax.log_softmax = log_sm;
    p.u.softmax.x = x;
    p.u.softmax.y = y;
    return p;
}

static kb_problem matmul_problem(int64_t m, int64_t n, int64_t k, int ta, int tb, float alpha,
                                 float beta, kb_tensor a, kb_tensor b, kb_tensor c)
{
    kb_problem p;
    memset(&p, 0, sizeof p);
    p.op = KB_OP_MATMUL;
    kb_matmul_params *mm = &p.u.matmul;
    mm->m = m, mm->n = n, mm->k = k;
    mm->trans_a = ta, mm->trans_b = tb;
    mm->alpha = alpha, mm->beta = beta;
    mm->a = a, mm->b = b, mm->c = c;
    return p;
}

/* Attention with packed tensors in dtype dt, outputs o (dtype odt) and lse
 * (f32 or f64) freshly poisoned with NaN. */
typedef struct attn_case {
    int64_t B, Hq, Hkv, Sq, Skv, D;
    kb_dtype dt, odt, ldt;
    void *q, *k, *v, *o, *lse;
} attn_case;

static kb_problem attention_problem(const attn_case *c, int causal)
{
    kb_problem p;
    memset(&p, 0, sizeof p);
    p.op = KB_OP_ATTENTION;
    kb_attention_params *a = &p.u.attention;
    a->batch = c->B, a->heads_q = c->Hq, a->heads_kv = c->Hkv;
    a->seq_q = c->Sq, a->seq_kv = c->Skv, a->head_dim = c->D;
    a->scale = (float)(1.0 / sqrt((double)c->D));
    a->causal = causal;
    a->q = t4(c->dt, c->q, c->B, c->Hq, c->Sq, c->D);
    a->k = t4(c->dt, c->k, c->B, c->Hkv, c->Skv, c->D);
    a->v = t4(c->dt, c->v, c->B, c->Hkv, c->Skv, c->D);
    a->o = t4(c->odt, c->o, c->B, c->Hq, c->Sq, c->D);
    a->lse = t3(c->ldt, c->lse, c->B, c->Hq, c->Sq);
    return p;
}

static attn_case attn_random(int64_t B, int64_t Hq, int64_t Hkv, int64_t Sq, int64_t Skv, int64_t D,
                             kb_dtype dt, kb_dtype odt)
{
    attn_case c = {B, Hq, Hkv, Sq, Skv, D, dt, odt, KB_DTYPE_F32, NULL, NULL, NULL, NULL, NULL};
    c.q = randn(dt, B * Hq * Sq * D, 1.0);
    c.k = randn(dt, B * Hkv * Skv * D, 1.0);
    c.v = randn(dt, B * Hkv * Skv * D, 1.0);
    c.o = filled(odt, B * Hq * Sq * D, NAN);
    c.lse = filled(c.ldt, B * Hq * Sq, NAN);
    return c;
}

static kb_problem quant_problem(kb_quant_kind kind, int64_t rows, int64_t cols)
{
    kb_problem p;
    memset(&p, 0, sizeof p);
    p.op = KB_OP_QUANTIZE;
    p.u.quantize.kind = kind;
    p.u.quantize.rows = rows;
    p.u.quantize.cols = cols;
    return p;
}

/* ======================= softmax ======================= */

static void test_softmax_hand(void)
{
    /* 2x3 with scale 0.5, stored with leading dimension 5; the padding
     * holds a sentinel that must survive. */
    const double inf = INFINITY;
    float x[10] = {1, 2, 3, 99, 99, -2, (float)-inf, 4, 99, 99};
    static const double want[2][3] = {
        {0.18632372322584759, 0.30719588571849837, 0.50648039105565401},
        {0.047425873177566788, 0, 0.95257412682243336}};
    static const double want_log[2][3] = {
        {-1.6802696706417346, -1.1802696706417346, -0.6802696706417346},
        {-3.0485873515737421, -INFINITY, -0.048587351573741958}};
    for (int lg = 0; lg < 2; lg++) {
        double y[10];
        fill(y, KB_DTYPE_F64, 10, NAN);
        y[3] = y[4] = y[8] = y[9] = 777.0;
        kb_problem p = softmax_problem(2, 3, 0.5f, lg, t2(KB_DTYPE_F32, x, 2, 3, 5),
                                       t2(KB_DTYPE_F64, y, 2, 3, 5));
        run_ok("softmax 2x3 f64", "exact", &p);
        for (int r = 0; r < 2; r++) {
            for (int j = 0; j < 3; j++) {
                double w = lg ? want_log[r][j] : want[r][j];
                CHECK(near(y[r * 5 + j], w, 1e-15), "softmax%s 2x3 [%d,%d] = %.17g, expected %.17g",
                      lg ? " (log)" : "", r, j, y[r * 5 + j], w);
            }
            CHECK(y[r * 5 + 3] == 777.0 && y[r * 5 + 4] == 777.0, "softmax wrote into the row padding");
        }
        /* f32 and f16 outputs: the f64 truth rounded once. */
        float yf[10];
        fill(yf, KB_DTYPE_F32, 10, NAN);
        uint16_t yh[6];
        fill(yh, KB_DTYPE_F16, 6, NAN);
        p.u.softmax.y = t2(KB_DTYPE_F32, yf, 2, 3, 5);
        run_ok("softmax 2x3 f32", "exact", &p);
        uint16_t xh[6];
        for (int i = 0; i < 6; i++)
            kb_store_f64(xh, KB_DTYPE_F16, i, x[(i / 3) * 5 + i % 3], 0);
        kb_problem ph = softmax_problem(2, 3, 0.5f, lg, t2(KB_DTYPE_F16, xh, 2, 3, 3),
                                        t2(KB_DTYPE_F16, yh, 2, 3, 3));
        run_ok("softmax 2x3 f16", "exact", &ph);
        for (int r = 0; r < 2; r++)
            for (int j = 0; j < 3; j++) {
                double w = lg ? want_log[r][j] : want[r][j];
                CHECK(same(yf[r * 5 + j], (float)w), "softmax f32 [%d,%d] = %.9g, expected %.9g",
                      r, j, yf[r * 5 + j], (float)w);
                uint16_t wh = (uint16_t)kb_encode_float(&KB_FMT_F16, w, 0);
                CHECK(yh[r * 3 + j] == wh, "softmax f16 [%d,%d] = 0x%04x, expected 0x%04x",
                      r, j, yh[r * 3 + j], wh);
            }
    }
}

static void test_softmax_edges(void)
{
    /* rows: all -inf; a NaN; a +inf; a normal row next to -inf entries. */
    const float ni = -INFINITY;
    float x[16] = {ni, ni, ni, ni, 1, NAN, 2, 3, 1, INFINITY, 2, ni, ni, 5, ni, 5};
    for (int lg = 0; lg < 2; lg++) {
        for (int mode = 0; mode < 2; mode++) {
            const char *name = mode ? "storage" : "exact";
            float y[16];
            fill(y, KB_DTYPE_F32, 16, 777.0); /* not NaN: NaN rows must be written */
            kb_problem p = softmax_problem(4, 4, 1.0f, lg, t2(KB_DTYPE_F32, x, 4, 4, 4),
                                           t2(KB_DTYPE_F32, y, 4, 4, 4));
            run_ok("softmax edges", name, &p);
            for (int j = 0; j < 4; j++) {
                CHECK(same(y[j], lg ? -INFINITY : 0.0), "%s softmax%s: all -inf row gave %g",
                      name, lg ? " (log)" : "", y[j]);
                CHECK(isnan(y[4 + j]), "%s softmax: NaN row gave %g at %d", name, y[4 + j], j);
                CHECK(isnan(y[8 + j]), "%s softmax: +inf row gave %g at %d", name, y[8 + j], j);
            }
            /* row 3: two equal maxima, -inf elsewhere */
            double w0 = lg ? -INFINITY : 0.0, w1 = lg ? log(0.5) : 0.5;
            CHECK(same(y[12], w0) && same(y[14], w0), "%s softmax: -inf entries gave %g %g", name, y[12], y[14]);
            CHECK(near(y[13], w1, 1e-7) && near(y[15], w1, 1e-7), "%s softmax: half/half gave %g %g",
                  name, y[13], y[15]);
        }
    }
}

static void test_softmax_sums(void)
{
    const int64_t R = 7, C = 33, LD = 40;
    float *x = randn(KB_DTYPE_F32, R * LD, 3.0);
    double *y = filled(KB_DTYPE_F64, R * LD, NAN);
    for (int lg = 0; lg < 2; lg++) {
        fill(y, KB_DTYPE_F64, R * LD, NAN);
        kb_problem p = softmax_problem(R, C, 0.7f, lg, t2(KB_DTYPE_F32, x, R, C, LD), t2(KB_DTYPE_F64, y, R, C, LD));
        run_ok("softmax sums", "exact", &p);
        for (int64_t r = 0; r < R; r++) {
            double s = 0.0;
            for (int64_t j = 0; j < C; j++)
                s += lg ? exp(y[r * LD + j]) : y[r * LD + j];
            CHECK(fabs(s - 1.0) < 1e-13, "softmax%s row %lld sums to %.17g", lg ? " (log)" : "", (long long)r, s);
        }
    }
}

/* ======================= matmul ======================= */

static void test_matmul_hand(void)
{
    /* A [2,3], B [3,2]; AB = [[58,64],[139,154]]; alpha 2, beta 0.5,
     * C0 = [[1,2],[3,4]] -> [[116.5,129],[279.5,310]]. */
    static const double A[2][3] = {{1, 2, 3}, {4, 5, 6}}, Bm[3][2] = {{7, 8}, {9, 10}, {11, 12}};
    static const double want[2][2] = {{116.5, 129}, {279.5, 310}}, want0[2][2] = {{116, 128}, {278, 308}};
    static const kb_dtype ins[3] = {KB_DTYPE_F32, KB_DTYPE_F16, KB_DTYPE_BF16};
    static const kb_dtype outs[4] = {KB_DTYPE_F32, KB_DTYPE_F64, KB_DTYPE_F16, KB_DTYPE_BF16};
    for (int di = 0; di < 3; di++)
        for (int ci = 0; ci < 4; ci++)
            for (int ta = 0; ta < 2; ta++)
                for (int tb = 0; tb < 2; tb++)
                    for (int zb = 0; zb < 2; zb++) {
                        const kb_dtype dt = ins[di], ct = outs[ci];
                        /* A stored [M,K] with lda 4 > K, or [K,M] with lda 5 > M. */
                        const int64_t lda = ta ? 5 : 4, ldb = tb ? 4 : 3, ldc = 3;
                        void *a = filled(dt, 3 * 5, 555.0), *b = filled(dt, 3 * 4, 555.0);
                        for (int i = 0; i < 2; i++)
                            for (int k = 0; k < 3; k++)
                                kb_store_f64(a, dt, ta ? k * lda + i : i * lda + k, A[i][k], 0);
                        for (int k = 0; k < 3; k++)
                            for (int j = 0; j < 2; j++)
                                kb_store_f64(b, dt, tb ? j * ldb + k : k * ldb + j, Bm[k][j], 0);
                        void *c = filled(ct, 2 * ldc, NAN);
                        for (int i = 0; i < 2; i++)
                            for (int j = 0; j < 2; j++)
                                kb_store_f64(c, ct, i * ldc + j, zb ? NAN : 1 + 2 * i + j, 0);
                        kb_store_f64(c, ct, 2, 768.0, 0); /* exact in every C dtype */
                        kb_store_f64(c, ct, 5, 768.0, 0);
                        kb_problem p = matmul_problem(
                            2, 2, 3, ta, tb, 2.0f, zb ? 0.0f : 0.5f,
                            ta ? t2(dt, a, 3, 2, lda) : t2(dt, a, 2, 3, lda),
                            tb ? t2(dt, b, 2, 3, ldb) : t2(dt, b, 3, 2, ldb), t2(ct, c, 2, 2, ldc));
                        run_ok("matmul 2x3x2", "exact", &p);
                        for (int i = 0; i < 2; i++) {
                            for (int j = 0; j < 2; j++) {
                                double w = zb ? want0[i][j] : want[i][j];
                                double got = at(c, ct, i * ldc + j);
                                /* 279.5 is not a bf16 value: compare with the once-rounded truth */
                                double wround = w;
                                if (kb_dtype_format(ct))
                                    wround = kb_decode_float(kb_dtype_format(ct),
                                                             kb_encode_float(kb_dtype_format(ct), w, 0));
                                CHECK(got == wround, "matmul %s->%s ta=%d tb=%d beta=%s C[%d,%d] = %.9g, expected %.9g",
                                      kb_dtype_name(dt), kb_dtype_name(ct), ta, tb, zb ? "0 (C NaN)" : "0.5",
                                      i, j, got, wround);
                            }
                            CHECK(at(c, ct, i * ldc + 2) == 768.0, "matmul wrote past N into C's padding");
                        }
                    }
}

static void test_matmul_int8(void)
{
    /* With -128 everywhere it matters: AB = [[128,-255],[32768,0]]. */
    int8_t a[4] = {-128, 127, -128, -128}, b[4] = {-128, 1, -128, -1};
    for (int beta = 0; beta < 2; beta++) {
        int32_t c[4] = {1, 2, 3, 4};
        if (!beta)
            c[0] = c[1] = c[2] = c[3] = 0x5A5A5A5A;
        kb_problem p = matmul_problem(2, 2, 2, 0, 0, 1.0f, (float)beta, t2(KB_DTYPE_I8, a, 2, 2, 2),
                                      t2(KB_DTYPE_I8, b, 2, 2, 2), t2(KB_DTYPE_I32, c, 2, 2, 2));
        run_ok("matmul int8", "exact", &p);
        const int32_t want[4] = {128 + beta * 1, -255 + beta * 2, 32768 + beta * 3, 0 + beta * 4};
        for (int i = 0; i < 4; i++)
            CHECK(c[i] == want[i], "int8 matmul beta=%d C[%d] = %d, expected %d", beta, i, c[i], want[i]);
    }
    /* Near the bound: K = 131071, every product (-128)(-128). */
    const int64_t K = 131071;
    int8_t *aa = filled(KB_DTYPE_I8, K, -128), *bb = filled(KB_DTYPE_I8, K, -128);
    int32_t cc = 0;
    kb_problem p = matmul_problem(1, 1, K, 0, 1, 1.0f, 0.0f, t2(KB_DTYPE_I8, aa, 1, K, K),
                                  t2(KB_DTYPE_I8, bb, 1, K, K), t2(KB_DTYPE_I32, &cc, 1, 1, 1));
    run_ok("matmul int8 K=131071", "exact", &p);
    CHECK(cc == 16384 * 131071, "int8 matmul K=131071 gave %d, expected %d", cc, 16384 * 131071);
}

static void test_matmul_identity(void)
{
    const int64_t M = 9, K = 13, LDA = 16;
    float *a = randn(KB_DTYPE_F32, M * LDA, 1.0);
    float *b = filled(KB_DTYPE_F32, K * K, 0.0);
    for (int64_t i = 0; i < K; i++)
        b[i * K + i] = 1.0f;
    for (int tb = 0; tb < 2; tb++) {
        float *c = filled(KB_DTYPE_F32, M * K, NAN);
        kb_problem p = matmul_problem(M, K, K, 0, tb, 1.5f, 0.0f, t2(KB_DTYPE_F32, a, M, K, LDA),
                                      t2(KB_DTYPE_F32, b, K, K, K), t2(KB_DTYPE_F32, c, M, K, K));
        run_ok("matmul identity", "exact", &p);
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < K; j++)
                CHECK(c[i * K + j] == (float)(1.5 * a[i * LDA + j]), "matmul A*I*1.5 [%lld,%lld] = %.9g, expected %.9g",
                      (long long)i, (long long)j, c[i * K + j], (float)(1.5 * a[i * LDA + j]));
    }
}

/* ======================= quantize ======================= */

static void check_i8(const char *what, const int8_t *got, const int8_t *want, int n)
{
    for (int i = 0; i < n; i++)
        CHECK(got[i] == want[i], "%s: q[%d] = %d, expected %d", what, i, got[i], want[i]);
}

static void test_quant_int8_hand(void)
{
    /* Per tensor: absmax 127 -> scale 1, so x / scale is x: .5 ties go to even. */
    {
        float x[8] = {127, 2.5f, 3.5f, -2.5f, -0.5f, 0.5f, 1.5f, -126.5f};
        int8_t q[8];
        float s[1] = {NAN};
        memset(q, 99, sizeof q);
        kb_problem p = quant_problem(KB_QUANT_INT8, 2, 4);
        p.u.quantize.granularity = KB_SCALE_PER_TENSOR;
        p.u.quantize.x = t2(KB_DTYPE_F32, x, 2, 4, 4);
        p.u.quantize.q = t2(KB_DTYPE_I8, q, 2, 4, 4);
        p.u.quantize.scales = t1(KB_DTYPE_F32, s, 1);
        run_ok("quantize per tensor", "exact", &p);
        const int8_t want[8] = {127, 2, 4, -2, 0, 0, 2, -126};
        CHECK(s[0] == 1.0f, "quantize per tensor: scale %.9g, expected 1", s[0]);
        check_i8("quantize per tensor", q, want, 8);
    }
    /* Per row: row 1 has absmax 63.5 -> scale 0.5: 0.25/0.5 = 0.5 -> 0,
     * 0.75/0.5 = 1.5 -> 2, 1.25/0.5 = 2.5 -> 2. */
    {
        float x[10] = {127, 2.5f, 3.5f, -2.5f, 0, 0.25f, 0.75f, 1.25f, -63.5f, 0};
        int8_t q[10];
        float s[2] = {NAN, NAN};
        memset(q, 99, sizeof q);
        kb_problem p = quant_problem(KB_QUANT_INT8, 2, 4);
        p.u.quantize.granularity = KB_SCALE_PER_ROW;
        p.u.quantize.x = t2(KB_DTYPE_F32, x, 2, 4, 5);
        p.u.quantize.q = t2(KB_DTYPE_I8, q, 2, 4, 5);
        p.u.quantize.scales = t1(KB_DTYPE_F32, s, 2);
        run_ok("quantize per row", "exact", &p);
        CHECK(s[0] == 1.0f && s[1] == 0.5f, "quantize per row: scales %.9g %.9g, expected 1 0.5", s[0], s[1]);
        const int8_t want[10] = {127, 2, 4, -2, 99, 0, 2, 2, -127, 99};
        check_i8("quantize per row (99 = padding)", q, want, 10);
    }
    /* Per group of 3 over 7 columns: groups 3, 3 and a partial 1; an all-zero
     * group (scale 0, q 0), a -0 group, values that hit the clamp. */
    {
        float x[14] = {127, 2.5f, 3.5f, 0, 0, 0, -5.5f,
                       0.25f, 0.75f, -63.5f, 1.25f, 0.5f, 0, -0.0f};
        int8_t q[14];
        float s[6];
        memset(q, 99, sizeof q);
        fill(s, KB_DTYPE_F32, 6, NAN);
        kb_problem p = quant_problem(KB_QUANT_INT8, 2, 7);
        p.u.quantize.granularity = KB_SCALE_PER_GROUP;
        p.u.quantize.group_size = 3;
        p.u.quantize.x = t2(KB_DTYPE_F32, x, 2, 7, 7);
        p.u.quantize.q = t2(KB_DTYPE_I8, q, 2, 7, 7);
        p.u.quantize.scales = t2(KB_DTYPE_F32, s, 2, 3, 3);
        run_ok("quantize per group", "exact", &p);
        const float ws[6] = {1.0f, 0.0f, 5.5f / 127.0f, 0.5f, 1.25f / 127.0f, 0.0f};
        for (int i = 0; i < 6; i++)
            CHECK(s[i] == ws[i], "quantize per group: scale[%d] = %.9g, expected %.9g", i, s[i], ws[i]);
        /* 0.5 / (1.25/127) = 50.8 -> 51 */
        const int8_t want[14] = {127, 2, 4, 0, 0, 0, -127, 0, 2, -127, 127, 51, 0, 0};
        check_i8("quantize per group", q, want, 14);
    }
}

/* Random int8 quantization against an independent rounding (rint, the FPU's
 * default round-to-nearest-even). */
static void test_quant_int8_random(void)
{
    const int64_t R = 5, C = 70, G = 32, NG = 3;
    float *x = randn(KB_DTYPE_F32, R * C, 2.0);
    static const kb_scale_granularity gs[3] = {KB_SCALE_PER_TENSOR, KB_SCALE_PER_ROW, KB_SCALE_PER_GROUP};
    for (int gi = 0; gi < 3; gi++) {
        int8_t *q = xalloc((size_t)(R * C));
        memset(q, 99, (size_t)(R * C));
        float *s = filled(KB_DTYPE_F32, R * NG, NAN);
        kb_problem p = quant_problem(KB_QUANT_INT8, R, C);
        p.u.quantize.granularity = gs[gi];
        p.u.quantize.group_size = G;
        p.u.quantize.x = t2(KB_DTYPE_F32, x, R, C, C);
        p.u.quantize.q = t2(KB_DTYPE_I8, q, R, C, C);
        p.u.quantize.scales = gi == 0 ? t1(KB_DTYPE_F32, s, 1) : gi == 1 ? t1(KB_DTYPE_F32, s, R)
                                                                         : t2(KB_DTYPE_F32, s, R, NG, NG);
        run_ok("quantize random", "exact", &p);
        for (int64_t r = 0; r < R; r++)
            for (int64_t j = 0; j < C; j++) {
                /* the block of (r, j) */
                int64_t r0 = gi == 0 ? 0 : r, r1 = gi == 0 ? R : r + 1;
                int64_t j0 = gi == 2 ? j / G * G : 0, j1 = gi == 2 ? (j0 + G < C ? j0 + G : C) : C;
                float amax = 0;
                for (int64_t rr = r0; rr < r1; rr++)
                    for (int64_t jj = j0; jj < j1; jj++)
                        amax = fmaxf(amax, fabsf(x[rr * C + jj]));
                float scale = amax / 127.0f;
                float sg = s[gi == 0 ? 0 : gi == 1 ? r : r * NG + j / G];
                CHECK(sg == scale, "quantize random g%d: scale %.9g, expected %.9g", gi, sg, scale);
                double v = rint((double)x[r * C + j] / (double)scale);
                v = fmin(127, fmax(-127, v));
                CHECK(q[r * C + j] == (int8_t)v, "quantize random g%d: q[%lld,%lld] = %d, expected %d",
                      gi, (long long)r, (long long)j, q[r * C + j], (int)v);
                /* dequantize(quantize(x)) is within scale/2 of x */
                CHECK(fabs(q[r * C + j] * (double)scale - x[r * C + j]) <= scale * 0.5 * (1 + 1e-12),
                      "quantize random g%d: |q*scale - x| > scale/2 at [%lld,%lld]", gi, (long long)r, (long long)j);
            }
        /* The ref's own dequantize closes the loop. */
        float *y = filled(KB_DTYPE_F32, R * C, NAN);
        kb_problem d = quant_problem(KB_QUANT_DEQUANT_INT8, R, C);
        d.u.quantize.granularity = gs[gi];
        d.u.quantize.group_size = G;
        d.u.quantize.q = p.u.quantize.q;
        d.u.quantize.scales = p.u.quantize.scales;
        d.u.quantize.y = t2(KB_DTYPE_F32, y, R, C, C);
        run_ok("dequantize random", "exact", &d);
        for (int64_t r = 0; r < R; r++)
            for (int64_t j = 0; j < C; j++) {
                float sg = s[gi == 0 ? 0 : gi == 1 ? r : r * NG + j / G];
                /* plus the rounding of y to f32 */
                CHECK(fabs((double)y[r * C + j] - x[r * C + j]) <= sg * 0.5 + fabs(x[r * C + j]) * 0x1p-23,
                      "dequantize(quantize(x)) g%d [%lld,%lld]: %.9g vs %.9g, scale %.9g",
                      gi, (long long)r, (long long)j, y[r * C + j], x[r * C + j], sg);
            }
    }
}

static void test_dequant_hand(void)
{
    /* per group of 2 over 3 columns (partial last group), f32 and f64 out */
    int8_t q[6] = {-127, 3, 100, 1, -1, 127};
    float s[4] = {0.5f, 0.1f, 3.0f, 0.0f};
    const double want[6] = {-63.5, 1.5, 100 * (double)0.1f, 3, -3, 0};
    for (int f64 = 0; f64 < 2; f64++) {
        kb_dtype yt = f64 ? KB_DTYPE_F64 : KB_DTYPE_F32;
        void *y = filled(yt, 6, NAN);
        kb_problem p = quant_problem(KB_QUANT_DEQUANT_INT8, 2, 3);
        p.u.quantize.granularity = KB_SCALE_PER_GROUP;
        p.u.quantize.group_size = 2;
        p.u.quantize.q = t2(KB_DTYPE_I8, q, 2, 3, 3);
        p.u.quantize.scales = t2(KB_DTYPE_F32, s, 2, 2, 2);
        p.u.quantize.y = t2(yt, y, 2, 3, 3);
        run_ok("dequantize per group", "exact", &p);
        for (int i = 0; i < 6; i++) {
            double w = f64 ? want[i] : (double)(float)want[i];
            CHECK(at(y, yt, i) == w, "dequantize %s y[%d] = %.17g, expected %.17g", kb_dtype_name(yt), i,
                  at(y, yt, i), w);
        }
    }
}

static void test_cast_hand(void)
{
    typedef struct { kb_dtype t; float x; uint32_t nonsat, sat; } cast_case;
    const float inf = INFINITY;
    static cast_case cases[] = {
        {KB_DTYPE_F16, 65504.0f, 0x7BFF, 0x7BFF},      /* the f16 max */
        {KB_DTYPE_F16, 65519.0f, 0x7BFF, 0x7BFF},      /* below the halfway point */
        {KB_DTYPE_F16, 65520.0f, 0x7C00, 0x7BFF},      /* tie rounds up to 2^16: overflow */
        {KB_DTYPE_F16, -1e6f, 0xFC00, 0xFBFF},
        {KB_DTYPE_F16, 1.0f, 0x3C00, 0x3C00},
        {KB_DTYPE_BF16, 3.4028234663852886e38f, 0x7F80, 0x7F7F},
        {KB_DTYPE_BF16, -2.5f, 0xC020, 0xC020},
        {KB_DTYPE_FP8_E4M3, 448.0f, 0x7E, 0x7E},       /* the e4m3 max */
        {KB_DTYPE_FP8_E4M3, 464.0f, 0x7E, 0x7E},       /* tie between 448 and 480: even mantissa, 448 */
        {KB_DTYPE_FP8_E4M3, 470.0f, 0x7F, 0x7E},       /* rounds to 480, which e4m3 lacks: NaN */
        {KB_DTYPE_FP8_E4M3, -1000.0f, 0xFF, 0xFE},
        {KB_DTYPE_FP8_E4M3, 0.0f, 0x00, 0x00},
        {KB_DTYPE_FP8_E5M2, 57344.0f, 0x7B, 0x7B},     /* the e5m2 max */
        {KB_DTYPE_FP8_E5M2, 1e5f, 0x7C, 0x7B},
        {KB_DTYPE_FP8_E5M2, -1e5f, 0xFC, 0xFB},
        {KB_DTYPE_FP8_E5M2, 1.5f, 0x3E, 0x3E},
    };
    /* infinities and NaN, for every format */
    static const kb_dtype fmts[4] = {KB_DTYPE_F16, KB_DTYPE_BF16, KB_DTYPE_FP8_E4M3, KB_DTYPE_FP8_E5M2};
    for (int sat = 0; sat < 2; sat++) {
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            float x[1] = {cases[i].x};
            uint16_t y[1] = {0xABCD};
            kb_problem p = quant_problem(KB_QUANT_CAST, 1, 1);
            p.u.quantize.out_dtype = cases[i].t;
            p.u.quantize.saturate = sat;
            p.u.quantize.x = t2(KB_DTYPE_F32, x, 1, 1, 1);
            p.u.quantize.y = t2(cases[i].t, y, 1, 1, 1);
            run_ok("cast", "exact", &p);
            uint32_t got = kb_dtype_size(cases[i].t) == 1 ? *(uint8_t *)y : y[0];
            uint32_t want = sat ? cases[i].sat : cases[i].nonsat;
            CHECK(got == want, "cast %.9g to %s%s gave 0x%x, expected 0x%x", (double)cases[i].x,
                  kb_dtype_name(cases[i].t), sat ? " (saturating)" : "", got, want);
        }
        for (int f = 0; f < 4; f++) {
            const kb_float_format *fm = kb_dtype_format(fmts[f]);
            float x[3] = {inf, -inf, NAN};
            void *y = filled(fmts[f], 3, 1.0);
            kb_problem p = quant_problem(KB_QUANT_CAST, 1, 3);
            p.u.quantize.out_dtype = fmts[f];
            p.u.quantize.saturate = sat;
            p.u.quantize.x = t2(KB_DTYPE_F32, x, 1, 3, 3);
            p.u.quantize.y = t2(fmts[f], y, 1, 3, 3);
            run_ok("cast inf/nan", "exact", &p);
            double d[3];
            for (int i = 0; i < 3; i++)
                d[i] = at(y, fmts[f], i);
            double big = kb_decode_float(fm, fm->max_code);
            double wpos = sat ? big : (fm->has_inf ? inf : NAN), wneg = sat ? -big : (fm->has_inf ? -inf : NAN);
            CHECK(same(d[0], wpos) && same(d[1], wneg) && isnan(d[2]),
                  "cast inf/-inf/NaN to %s%s gave %g %g %g", kb_dtype_name(fmts[f]), sat ? " (sat)" : "",
                  d[0], d[1], d[2]);
        }
    }
    /* e5m2 keeps infinity (non-saturating) */
    CHECK(isinf(kb_decode_float(&KB_FMT_E5M2, 0x7C)), "e5m2 0x7C is not inf");
}

static void test_vq_hand(void)
{
    /* codebook rows 1 and 2 are equal: a point on them must pick 1. */
    float cb[8] = {0, 0, 1, 1, 1, 1, -1, 0};
    float x[8] = {1, 1, 0.5f, 0.5f, -1, 0.1f, 0.9f, 1.2f};
    int32_t idx[4] = {-5, -5, -5, -5};
    kb_problem p = quant_problem(KB_QUANT_VQ, 4, 2);
    p.u.quantize.codes = 4;
    p.u.quantize.x = t2(KB_DTYPE_F32, x, 4, 2, 2);
    p.u.quantize.codebook = t2(KB_DTYPE_F32, cb, 4, 2, 2);
    p.u.quantize.indices = t1(KB_DTYPE_I32, idx, 4);
    run_ok("vq", "exact", &p);
    /* row 1: (0.5,0.5) is 0.5 from code 0 and from codes 1, 2: tie -> 0 */
    const int32_t want[4] = {1, 0, 3, 1};
    for (int i = 0; i < 4; i++)
        CHECK(idx[i] == want[i], "vq row %d -> %d, expected %d", i, idx[i], want[i]);
}

/* ======================= attention ======================= */

static void test_attention_single_key(void)
{
    /* Skv = 1: softmax over one key is 1, so O = V, LSE = scale * q.k. */
    for (int causal = 0; causal < 2; causal++) {
        attn_case c = attn_random(2, 2, 1, 3, 1, 5, KB_DTYPE_F32, KB_DTYPE_F32);
        kb_problem p = attention_problem(&c, causal);
        run_ok("attention Skv=1", "exact", &p);
        const float *o = c.o, *v = c.v, *lse = c.lse, *q = c.q, *k = c.k;
        for (int64_t b = 0; b < 2; b++)
            for (int64_t h = 0; h < 2; h++)
                for (int64_t i = 0; i < 3; i++) {
                    int64_t row = (b * 2 + h) * 3 + i;
                    /* causal, bottom-right: only the last query row sees the key */
                    int masked = causal && i < 2;
                    double dot = 0;
                    for (int64_t d = 0; d < 5; d++) {
                        double w = masked ? 0.0 : v[b * 5 + d];
                        CHECK(o[row * 5 + d] == (float)w, "attention Skv=1%s: O[row %lld, %lld] = %.9g, expected %.9g",
                              causal ? " causal" : "", (long long)row, (long long)d, o[row * 5 + d], w);
                        dot += (double)q[row * 5 + d] * k[b * 5 + d];
                    }
                    double wl = masked ? -INFINITY : (double)p.u.attention.scale * dot;
                    CHECK(near(lse[row], wl, 1e-6 * (1 + fabs(wl))), "attention Skv=1: LSE[%lld] = %.9g, expected %.9g",
                          (long long)row, lse[row], wl);
                }
    }
}

static int64_t visible_keys(int64_t i, int64_t Sq, int64_t Skv)
{
    int64_t last = i + Skv - Sq;
    return last < 0 ? 0 : (last + 1 < Skv ? last + 1 : Skv);
}

/* Causal rows equal a non-causal run over the keys they may see (a view of
 * the first `visible` keys); Sq > Skv leaves rows with no key. */
static void test_attention_causal(void)
{
    static const int64_t shapes[3][2] = {{5, 3}, {2, 5}, {4, 4}};
    for (int s = 0; s < 3; s++) {
        const int64_t Sq = shapes[s][0], Skv = shapes[s][1], D = 4;
        attn_case c = attn_random(1, 1, 1, Sq, Skv, D, KB_DTYPE_F32, KB_DTYPE_F64);
        c.ldt = KB_DTYPE_F64;
        c.lse = filled(KB_DTYPE_F64, Sq, NAN);
        kb_problem p = attention_problem(&c, 1);
        run_ok("attention causal", "exact", &p);
        const double *o = c.o, *lse = c.lse;
        for (int64_t i = 0; i < Sq; i++) {
            const int64_t nv = visible_keys(i, Sq, Skv);
            if (nv == 0) {
                for (int64_t d = 0; d < D; d++)
                    CHECK(o[i * D + d] == 0.0, "causal Sq=%lld Skv=%lld: masked row %lld O = %g", (long long)Sq,
                          (long long)Skv, (long long)i, o[i * D + d]);
                CHECK(lse[i] == -INFINITY, "causal: masked row %lld LSE = %g", (long long)i, lse[i]);
                continue;
            }
            /* one query row against the first nv keys, non-causal */
            attn_case r = c;
            r.Sq = 1, r.Skv = nv;
            r.q = (float *)c.q + i * D;
            r.o = filled(KB_DTYPE_F64, D, NAN);
            r.lse = filled(KB_DTYPE_F64, 1, NAN);
            kb_problem pr = attention_problem(&r, 0);
            pr.u.attention.k.strides[0] = pr.u.attention.v.strides[0] = Skv * D; /* views of the full K, V */
            run_ok("attention causal row", "exact", &pr);
            for (int64_t d = 0; d < D; d++)
                CHECK(near(o[i * D + d], ((double *)r.o)[d], 1e-14), "causal Sq=%lld Skv=%lld row %lld: O %.17g vs %.17g",
                      (long long)Sq, (long long)Skv, (long long)i, o[i * D + d], ((double *)r.o)[d]);
            CHECK(near(lse[i], *(double *)r.lse, 1e-14), "causal row %lld: LSE %.17g vs %.17g", (long long)i,
                  lse[i], *(double *)r.lse);
            if (nv == 1) /* a single visible key: O is that key's V */
                for (int64_t d = 0; d < D; d++)
                    CHECK(o[i * D + d] == ((float *)c.v)[d], "causal row %lld with one key: O != V", (long long)i);
        }
    }
}

/* GQA: Hq = 4, Hkv = 2 equals four runs with each query head's own KV head. */
static void test_attention_gqa(void)
{
    const int64_t B = 2, Hq = 4, Hkv = 2, Sq = 3, Skv = 6, D = 8;
    for (int causal = 0; causal < 2; causal++) {
        attn_case c = attn_random(B, Hq, Hkv, Sq, Skv, D, KB_DTYPE_F32, KB_DTYPE_F32);
        kb_problem p = attention_problem(&c, causal);
        run_ok("attention gqa", "exact", &p);
        for (int64_t h = 0; h < Hq; h++) {
            const int64_t g = h / (Hq / Hkv);
            attn_case r = c;
            r.Hq = r.Hkv = 1;
            r.o = filled(KB_DTYPE_F32, B * Sq * D, NAN);
            r.lse = filled(KB_DTYPE_F32, B * Sq, NAN);
            kb_problem ph = attention_problem(&r, causal);
            kb_attention_params *a = &ph.u.attention;
            /* views: head h of Q, head g of K and V, with the full tensors' strides */
            a->q = p.u.attention.q, a->k = p.u.attention.k, a->v = p.u.attention.v;
            a->q.shape[1] = a->k.shape[1] = a->v.shape[1] = 1;
            a->q.data = (float *)c.q + h * Sq * D;
            a->k.data = (float *)c.k + g * Skv * D;
            a->v.data = (float *)c.v + g * Skv * D;
            run_ok("attention one head", "exact", &ph);
            for (int64_t b = 0; b < B; b++)
                for (int64_t i = 0; i < Sq; i++) {
                    for (int64_t d = 0; d < D; d++) {
                        float got = ((float *)c.o)[((b * Hq + h) * Sq + i) * D + d];
                        float want = ((float *)r.o)[(b * Sq + i) * D + d];
                        CHECK(got == want, "gqa%s b=%lld h=%lld i=%lld d=%lld: %.9g vs per-head %.9g",
                              causal ? " causal" : "", (long long)b, (long long)h, (long long)i, (long long)d, got, want);
                    }
                    float gl = ((float *)c.lse)[(b * Hq + h) * Sq + i], wl = ((float *)r.lse)[b * Sq + i];
                    CHECK(same(gl, wl), "gqa LSE b=%lld h=%lld i=%lld: %.9g vs %.9g", (long long)b, (long long)h,
                          (long long)i, gl, wl);
                }
        }
    }
}

/* ======================= sampling ======================= */

/* Rows of a [rows, cols] output with row stride ld: sampled rows must equal
 * `full`, the others must still hold `sentinel`. */
static void check_sampled(const char *what, const void *got, const void *full, kb_dtype t, int64_t rows,
                          int64_t cols, int64_t ld, const int64_t *sample, int64_t ns, double sentinel)
{
    int64_t s = 0;
    for (int64_t r = 0; r < rows; r++) {
        int in = s < ns && sample[s] == r;
        s += in;
        for (int64_t j = 0; j < cols; j++) {
            double g = at(got, t, r * ld + j), w = in ? at(full, t, r * ld + j) : sentinel;
            CHECK(same(g, w), "%s: row %lld (%s) col %lld = %.17g, expected %.17g", what, (long long)r,
                  in ? "sampled" : "not sampled", (long long)j, g, w);
        }
    }
}

static void test_sampling(void)
{
    const double SENT = 12345.0;
    /* matmul, float and int8 */
    {
        const int64_t M = 37, N = 29, K = 23;
        const int64_t rows[3] = {0, 5, 36};
        for (int i8 = 0; i8 < 2; i8++) {
            kb_dtype at_ = i8 ? KB_DTYPE_I8 : KB_DTYPE_F32, ct = i8 ? KB_DTYPE_I32 : KB_DTYPE_F32;
            void *a = xalloc((size_t)(M * K) * kb_dtype_size(at_)), *b = xalloc((size_t)(K * N) * kb_dtype_size(at_));
            for (int64_t i = 0; i < M * K; i++)
                kb_store_f64(a, at_, i, i8 ? (double)(int)(rng_u64() % 255) - 127 : rng_normal(), 0);
            for (int64_t i = 0; i < K * N; i++)
                kb_store_f64(b, at_, i, i8 ? (double)(int)(rng_u64() % 255) - 127 : rng_normal(), 0);
            void *full = filled(ct, M * N, i8 ? 0 : NAN), *smp = filled(ct, M * N, SENT);
            kb_problem p = matmul_problem(M, N, K, 0, 0, 1.0f, 0.0f, t2(at_, a, M, K, K), t2(at_, b, K, N, N),
                                          t2(ct, full, M, N, N));
            run_ok("matmul full", "exact", &p);
            p.u.matmul.c.data = smp;
            p.sample_rows = rows;
            p.sample_row_count = 3;
            run_ok("matmul sampled", "exact", &p);
            check_sampled(i8 ? "matmul int8 sampled" : "matmul sampled", smp, full, ct, M, N, N, rows, 3, SENT);
            /* storage honours the sample too */
            if (!i8) {
                fill(full, ct, M * N, NAN);
                fill(smp, ct, M * N, SENT);
                p.sample_rows = NULL;
                p.u.matmul.c.data = full;
                run_ok("matmul storage full", "storage", &p);
                p.sample_rows = rows;
                p.u.matmul.c.data = smp;
                run_ok("matmul storage sampled", "storage", &p);
                check_sampled("matmul storage sampled", smp, full, ct, M, N, N, rows, 3, SENT);
            }
        }
    }
    /* softmax, both modes */
    for (int mode = 0; mode < 2; mode++) {
        const int64_t R = 6, C = 10;
        const int64_t rows[2] = {1, 4};
        float *x = randn(KB_DTYPE_F32, R * C, 2.0), *full = filled(KB_DTYPE_F32, R * C, NAN),
              *smp = filled(KB_DTYPE_F32, R * C, SENT);
        kb_problem p = softmax_problem(R, C, 1.0f, 0, t2(KB_DTYPE_F32, x, R, C, C), t2(KB_DTYPE_F32, full, R, C, C));
        run_ok("softmax full", mode ? "storage" : "exact", &p);
        p.u.softmax.y.data = smp;
        p.sample_rows = rows;
        p.sample_row_count = 2;
        run_ok("softmax sampled", mode ? "storage" : "exact", &p);
        check_sampled("softmax sampled", smp, full, KB_DTYPE_F32, R, C, C, rows, 2, SENT);
    }
    /* attention: rows are (b*Hq + h)*Sq + i */
    for (int mode = 0; mode < 2; mode++) {
        const int64_t rows[4] = {0, 4, 7, 11};
        attn_case c = attn_random(2, 2, 1, 3, 4, 5, KB_DTYPE_F16, KB_DTYPE_F16);
        kb_problem p = attention_problem(&c, 1);
        run_ok("attention full", mode ? "storage" : "exact", &p);
        attn_case s = c;
        s.o = filled(KB_DTYPE_F16, 2 * 2 * 3 * 5, SENT);
        s.lse = filled(KB_DTYPE_F32, 2 * 2 * 3, SENT);
        kb_problem ps = attention_problem(&s, 1);
        ps.sample_rows = rows;
        ps.sample_row_count = 4;
        run_ok("attention sampled", mode ? "storage" : "exact", &ps);
        check_sampled("attention O sampled", s.o, c.o, KB_DTYPE_F16, 12, 5, 5, rows, 4,
                      kb_decode_float(&KB_FMT_F16, kb_encode_float(&KB_FMT_F16, SENT, 0)));
        check_sampled("attention LSE sampled", s.lse, c.lse, KB_DTYPE_F32, 12, 1, 1, rows, 4, SENT);
    }
    /* quantize int8: per tensor takes the whole tensor's absmax; per row skips
     * other rows' scales */
    {
        const int64_t R = 6, C = 9;
        const int64_t rows[2] = {2, 3};
        float *x = randn(KB_DTYPE_F32, R * C, 1.0);
        x[5 * C + 4] = 50.0f; /* the absmax, in an unsampled row */
        for (int gi = 0; gi < 2; gi++) {
            int8_t *qf = filled(KB_DTYPE_I8, R * C, 99), *qs = filled(KB_DTYPE_I8, R * C, 99);
            float *sf = filled(KB_DTYPE_F32, R, NAN), *ss = filled(KB_DTYPE_F32, R, SENT);
            kb_problem p = quant_problem(KB_QUANT_INT8, R, C);
            p.u.quantize.granularity = gi ? KB_SCALE_PER_ROW : KB_SCALE_PER_TENSOR;
            p.u.quantize.x = t2(KB_DTYPE_F32, x, R, C, C);
            p.u.quantize.q = t2(KB_DTYPE_I8, qf, R, C, C);
            p.u.quantize.scales = t1(KB_DTYPE_F32, sf, gi ? R : 1);
            run_ok("quantize full", "exact", &p);
            p.u.quantize.q.data = qs;
            p.u.quantize.scales.data = ss;
            p.sample_rows = rows;
            p.sample_row_count = 2;
            run_ok("quantize sampled", "exact", &p);
            check_sampled("quantize q sampled", qs, qf, KB_DTYPE_I8, R, C, C, rows, 2, 99);
            if (gi)
                check_sampled("quantize per-row scales sampled", ss, sf, KB_DTYPE_F32, R, 1, 1, rows, 2, SENT);
            else
                CHECK(ss[0] == sf[0] && ss[0] == 50.0f / 127.0f, "sampled per-tensor scale %.9g, expected %.9g",
                      ss[0], 50.0f / 127.0f);
        }
        /* VQ */
        float *cb = randn(KB_DTYPE_F32, 7 * C, 1.0);
        int32_t *ifull = filled(KB_DTYPE_I32, R, -1), *ismp = filled(KB_DTYPE_I32, R, SENT);
        kb_problem p = quant_problem(KB_QUANT_VQ, R, C);
        p.u.quantize.codes = 7;
        p.u.quantize.x = t2(KB_DTYPE_F32, x, R, C, C);
        p.u.quantize.codebook = t2(KB_DTYPE_F32, cb, 7, C, C);
        p.u.quantize.indices = t1(KB_DTYPE_I32, ifull, R);
        run_ok("vq full", "exact", &p);
        p.u.quantize.indices.data = ismp;
        p.sample_rows = rows;
        p.sample_row_count = 2;
        run_ok("vq sampled", "exact", &p);
        check_sampled("vq sampled", ismp, ifull, KB_DTYPE_I32, R, 1, 1, rows, 2, SENT);
    }
    /* a malformed sample is refused */
    {
        float x[4] = {1, 2, 3, 4}, y[4];
        const int64_t bad1[2] = {0, 2}, bad2[2] = {1, 1};
        kb_problem p = softmax_problem(2, 2, 1.0f, 0, t2(KB_DTYPE_F32, x, 2, 2, 2), t2(KB_DTYPE_F32, y, 2, 2, 2));
        p.sample_rows = bad1;
        p.sample_row_count = 2;
        expect_status("sample row out of range", "exact", &p, KB_ERR_INVALID);
        p.sample_rows = bad2;
        expect_status("duplicate sample row", "exact", &p, KB_ERR_INVALID);
    }
}

/* ======================= storage vs exact ======================= */

static double max_abs_diff(const void *a, kb_dtype ta, const void *b, kb_dtype tb, int64_t n, double *max_ref)
{
    double e = 0.0, m = 0.0;
    for (int64_t i = 0; i < n; i++) {
        double x = at(a, ta, i), y = at(b, tb, i);
        CHECK(!isnan(x) && !isnan(y), "NaN in an output compared for error (element %lld)", (long long)i);
        e = fmax(e, fabs(x - y));
        m = fmax(m, fabs(y));
    }
    if (max_ref)
        *max_ref = m;
    return e;
}

static void test_storage_yardstick(void)
{
    /* attention f16 on N(0,1) data */
    for (int causal = 0; causal < 2; causal++) {
        const int64_t B = 1, H = 2, S = 64, D = 64, n = B * H * S * D;
        attn_case c = attn_random(B, H, H, S, S, D, KB_DTYPE_F16, KB_DTYPE_F16);
        attn_case e = c;
        e.odt = e.ldt = KB_DTYPE_F64;
        e.o = filled(KB_DTYPE_F64, n, NAN);
        e.lse = filled(KB_DTYPE_F64, B * H * S, NAN);
        kb_problem pe = attention_problem(&e, causal), ps = attention_problem(&c, causal);
        run_ok("attention exact f64", "exact", &pe);
        run_ok("attention storage f16", "storage", &ps);
        double err = max_abs_diff(c.o, KB_DTYPE_F16, e.o, KB_DTYPE_F64, n, NULL);
        double lerr = max_abs_diff(c.lse, KB_DTYPE_F32, e.lse, KB_DTYPE_F64, B * H * S, NULL);
        CHECK(err > 0 && err < 1e-2, "attention f16 storage error %.3g is not in (0, 1e-2)", err);
        CHECK(lerr > 0 && lerr < 2e-2, "attention f16 storage LSE error %.3g is not in (0, 2e-2)", lerr);
        /* and the exact kernel rounded to f16 is closer than storage */
        void *eo16 = filled(KB_DTYPE_F16, n, NAN);
        e.o = eo16;
        e.odt = KB_DTYPE_F16;
        kb_problem pe16 = attention_problem(&e, causal);
        run_ok("attention exact f16", "exact", &pe16);
        for (int64_t i = 0; i < n; i++) { /* f16 output: the f64 truth rounded once */
            uint16_t want = (uint16_t)kb_encode_float(&KB_FMT_F16, ((double *)pe.u.attention.o.data)[i], 0);
            CHECK(((uint16_t *)eo16)[i] == want, "exact attention f16 O[%lld] = 0x%04x, expected 0x%04x",
                  (long long)i, ((uint16_t *)eo16)[i], want);
        }
    }
    /* softmax f16 and bf16 */
    static const kb_dtype dts[2] = {KB_DTYPE_F16, KB_DTYPE_BF16};
    for (int i = 0; i < 2; i++) {
        const int64_t R = 8, C = 300;
        void *x = randn(dts[i], R * C, 2.0), *ys = filled(dts[i], R * C, NAN);
        double *ye = filled(KB_DTYPE_F64, R * C, NAN);
        kb_problem pe = softmax_problem(R, C, 0.9f, 0, t2(dts[i], x, R, C, C), t2(KB_DTYPE_F64, ye, R, C, C));
        kb_problem ps = pe;
        ps.u.softmax.y = t2(dts[i], ys, R, C, C);
        run_ok("softmax exact f64", "exact", &pe);
        run_ok("softmax storage", "storage", &ps);
        double err = max_abs_diff(ys, dts[i], ye, KB_DTYPE_F64, R * C, NULL);
        CHECK(err > 0 && err < (i ? 1e-2 : 1e-3), "softmax %s storage error %.3g out of range",
              kb_dtype_name(dts[i]), err);
    }
    /* matmul f16 -> f16 and bf16 -> f32 */
    for (int i = 0; i < 2; i++) {
        const int64_t M = 32, N = 48, K = 256;
        kb_dtype dt = dts[i], ct = i ? KB_DTYPE_F32 : KB_DTYPE_F16;
        void *a = randn(dt, M * K, 1.0), *b = randn(dt, K * N, 1.0), *c0 = randn(ct, M * N, 1.0);
        void *cs = xalloc((size_t)(M * N) * kb_dtype_size(ct));
        double *ce = filled(KB_DTYPE_F64, M * N, NAN);
        for (int64_t j = 0; j < M * N; j++) {
            ce[j] = at(c0, ct, j);
            kb_store_f64(cs, ct, j, at(c0, ct, j), 0);
        }
        kb_problem pe = matmul_problem(M, N, K, 0, 1, 0.5f, 1.0f, t2(dt, a, M, K, K), t2(dt, b, N, K, K),
                                       t2(KB_DTYPE_F64, ce, M, N, N));
        kb_problem ps = pe;
        ps.u.matmul.c = t2(ct, cs, M, N, N);
        run_ok("matmul exact f64", "exact", &pe);
        run_ok("matmul storage", "storage", &ps);
        double mref;
        double err = max_abs_diff(cs, ct, ce, KB_DTYPE_F64, M * N, &mref);
        CHECK(err > 0 && err < 1e-2 * mref, "matmul %s storage error %.3g (max |C| %.3g) out of range",
              kb_dtype_name(dt), err, mref);
    }
}

/* The storage kernels' intermediate roundings, by hand. */
static void test_storage_hand(void)
{
    /* matmul: f32 accumulation in k order.  1 + 2^-24 + 2^-24 stays 1 in f32
     * (each add is a tie, to even), while 2^-24 + 2^-24 + 1 = 1 + 2^-23. */
    const float e = 0x1p-24f;
    float a[3] = {1, 1, 1}, b1[3] = {1, e, e}, b2[3] = {e, e, 1};
    for (int order = 0; order < 2; order++) {
        float cs = NAN;
        double ce = NAN;
        kb_problem p = matmul_problem(1, 1, 3, 0, 0, 1.0f, 0.0f, t2(KB_DTYPE_F32, a, 1, 3, 3),
                                      t2(KB_DTYPE_F32, order ? b2 : b1, 3, 1, 1), t2(KB_DTYPE_F32, &cs, 1, 1, 1));
        run_ok("matmul storage order", "storage", &p);
        p.u.matmul.c = t2(KB_DTYPE_F64, &ce, 1, 1, 1);
        run_ok("matmul exact order", "exact", &p);
        CHECK(cs == (order ? 1.0f + 0x1p-23f : 1.0f), "matmul storage, k order %d: %.9g", order, cs);
        CHECK(ce == 1.0 + 0x1p-23, "matmul exact: %.17g, expected 1 + 2^-23", ce);
    }
    /* attention f16, scale 1: q = (1, 1); k0 = (1, 2^-11) gives S0 = 1 + 2^-11,
     * which rounds (a tie, to even) to 1 in f16; k1 = 0 gives S1 = 0.
     * P = (e/(e+1), 1/(e+1)) rounded to f16 = (1497/2048, 1102/4096);
     * v0 = (1, 1), v1 = (1, -1): O = (P0 + P1, P0 - P1) = (1, 1892/4096)
     * (unrounded P would give 1893/4096); LSE = 1 + log(1 + 1/e) in f32. */
    attn_case c = {1, 1, 1, 1, 2, 2, KB_DTYPE_F16, KB_DTYPE_F16, KB_DTYPE_F32, NULL, NULL, NULL, NULL, NULL};
    static const double qv[2] = {1, 1}, kv[4] = {1, 0x1p-11, 0, 0}, vv[4] = {1, 1, 1, -1};
    c.q = filled(KB_DTYPE_F16, 2, 0);
    c.k = filled(KB_DTYPE_F16, 4, 0);
    c.v = filled(KB_DTYPE_F16, 4, 0);
    for (int i = 0; i < 4; i++) {
        if (i < 2)
            kb_store_f64(c.q, KB_DTYPE_F16, i, qv[i], 0);
        kb_store_f64(c.k, KB_DTYPE_F16, i, kv[i], 0);
        kb_store_f64(c.v, KB_DTYPE_F16, i, vv[i], 0);
    }
    c.o = filled(KB_DTYPE_F16, 2, NAN);
    c.lse = filled(KB_DTYPE_F32, 1, NAN);
    kb_problem p = attention_problem(&c, 0);
    p.u.attention.scale = 1.0f;
    run_ok("attention storage hand", "storage", &p);
    double o0 = at(c.o, KB_DTYPE_F16, 0), o1 = at(c.o, KB_DTYPE_F16, 1), l = *(float *)c.lse;
    CHECK(o0 == 1.0 && o1 == 1892.0 / 4096.0, "attention storage O = (%.9g, %.9g), expected (1, %.9g)", o0, o1,
          1892.0 / 4096.0);
    const double lw = 1.0 + log1p(exp(-1.0));
    CHECK(fabs(l - lw) < 3e-7, "attention storage LSE = %.9g, expected %.9g (from the f16-rounded score)", l, lw);
    /* exact: S0 = 1 + 2^-11 unrounded */
    double oe[2] = {NAN, NAN}, le = NAN;
    p.u.attention.o = t4(KB_DTYPE_F64, oe, 1, 1, 1, 2);
    p.u.attention.lse = t3(KB_DTYPE_F64, &le, 1, 1, 1);
    run_ok("attention exact hand", "exact", &p);
    const double s0 = 1.0 + 0x1p-11;
    CHECK(fabs(oe[1] - tanh(s0 / 2)) < 1e-15 && fabs(oe[0] - 1.0) < 1e-15,
          "attention exact O = (%.17g, %.17g), expected (1, %.17g)", oe[0], oe[1], tanh(s0 / 2));
    CHECK(fabs(le - (s0 + log1p(exp(-s0)))) < 1e-15, "attention exact LSE = %.17g", le);
}

/* ======================= refusals ======================= */

static void test_refusals(void)
{
    float x[4] = {1, 2, 3, 4}, y[4];
    double d[4];
    uint16_t h[4] = {0}, hb[4] = {0};
    int8_t i8[4] = {0};
    int32_t i32[4];
    kb_problem p;

    p = softmax_problem(2, 2, 1.0f, 0, t2(KB_DTYPE_FP8_E4M3, i8, 2, 2, 2), t2(KB_DTYPE_FP8_E4M3, i8, 2, 2, 2));
    expect_status("e4m3 softmax", "exact", &p, KB_ERR_UNSUPPORTED);
    p = softmax_problem(2, 2, 1.0f, 0, t2(KB_DTYPE_F32, x, 2, 2, 2), t2(KB_DTYPE_F16, h, 2, 2, 2));
    expect_status("softmax f32 -> f16", "exact", &p, KB_ERR_UNSUPPORTED);
    p = softmax_problem(2, 2, 1.0f, 0, t2(KB_DTYPE_F32, x, 2, 2, 2), t2(KB_DTYPE_F64, d, 2, 2, 2));
    expect_status("softmax f64 y in storage", "storage", &p, KB_ERR_UNSUPPORTED);
    p = softmax_problem(2, 2, 0.0f, 0, t2(KB_DTYPE_F32, x, 2, 2, 2), t2(KB_DTYPE_F32, y, 2, 2, 2));
    expect_status("softmax scale 0", "exact", &p, KB_ERR_INVALID);
    p = softmax_problem(2, 2, 1.0f, 0, t2(KB_DTYPE_F32, x, 2, 2, 2), t2(KB_DTYPE_F32, y, 2, 2, 2));
    p.u.softmax.x.strides[1] = 2;
    expect_status("softmax innermost stride 2", "exact", &p, KB_ERR_INVALID);
    p.u.softmax.x.strides[1] = 1;
    p.u.softmax.x.strides[0] = 1;
    expect_status("softmax overlapping rows", "exact", &p, KB_ERR_INVALID);
    p.u.softmax.x.strides[0] = 2;
    p.u.softmax.y.data = NULL;
    expect_status("softmax NULL y", "exact", &p, KB_ERR_INVALID);
    p.u.softmax.y.data = y;
    p.u.softmax.y.rank = 1;
    expect_status("softmax rank-1 y", "exact", &p, KB_ERR_INVALID);
    p.u.softmax.y.rank = 2;
    p.u.softmax.cols = 3;
    expect_status("softmax cols != shape", "exact", &p, KB_ERR_INVALID);

    p = matmul_problem(2, 2, 2, 0, 0, 1, 0, t2(KB_DTYPE_F16, h, 2, 2, 2), t2(KB_DTYPE_BF16, hb, 2, 2, 2),
                       t2(KB_DTYPE_F32, y, 2, 2, 2));
    expect_status("matmul f16 x bf16", "exact", &p, KB_ERR_UNSUPPORTED);
    p = matmul_problem(2, 2, 2, 0, 0, 2, 0, t2(KB_DTYPE_I8, i8, 2, 2, 2), t2(KB_DTYPE_I8, i8, 2, 2, 2),
                       t2(KB_DTYPE_I32, i32, 2, 2, 2));
    expect_status("int8 matmul alpha 2", "exact", &p, KB_ERR_UNSUPPORTED);
    p.u.matmul.alpha = 1, p.u.matmul.beta = 0.5f;
    expect_status("int8 matmul beta 0.5", "exact", &p, KB_ERR_UNSUPPORTED);
    p.u.matmul.beta = 1;
    expect_status("int8 matmul in storage", "storage", &p, KB_ERR_UNSUPPORTED);
    p.u.matmul.c.dtype = KB_DTYPE_F32;
    expect_status("int8 matmul f32 C", "exact", &p, KB_ERR_UNSUPPORTED);
    p = matmul_problem(2, 2, 2, 1, 0, 1, 0, t2(KB_DTYPE_F32, x, 2, 2, 2), t2(KB_DTYPE_F32, x, 2, 2, 2),
                       t2(KB_DTYPE_F32, y, 2, 2, 2));
    p.u.matmul.k = 1; /* A is [K, M] = [2, 2] but K is now 1 */
    expect_status("matmul shape mismatch", "exact", &p, KB_ERR_INVALID);

    p = quant_problem(KB_QUANT_CAST, 2, 2);
    p.u.quantize.out_dtype = KB_DTYPE_I8;
    p.u.quantize.x = t2(KB_DTYPE_F32, x, 2, 2, 2);
    p.u.quantize.y = t2(KB_DTYPE_I8, i8, 2, 2, 2);
    expect_status("cast to i8", "exact", &p, KB_ERR_UNSUPPORTED);
    p.u.quantize.out_dtype = KB_DTYPE_F16;
    p.u.quantize.y.dtype = KB_DTYPE_F16;
    p.u.quantize.y.data = h;
    expect_status("cast in storage", "storage", &p, KB_ERR_UNSUPPORTED);
    p = quant_problem(KB_QUANT_INT8, 2, 2);
    p.u.quantize.granularity = KB_SCALE_PER_GROUP;
    p.u.quantize.group_size = 0;
    p.u.quantize.x = t2(KB_DTYPE_F32, x, 2, 2, 2);
    p.u.quantize.q = t2(KB_DTYPE_I8, i8, 2, 2, 2);
    p.u.quantize.scales = t2(KB_DTYPE_F32, y, 2, 1, 1);
    expect_status("group_size 0", "exact", &p, KB_ERR_INVALID);

    attn_case c = attn_random(1, 3, 2, 2, 2, 2, KB_DTYPE_F32, KB_DTYPE_F32);
    p = attention_problem(&c, 0);
    expect_status("attention Hq % Hkv != 0", "exact", &p, KB_ERR_INVALID);
    c = attn_random(1, 2, 1, 2, 2, 2, KB_DTYPE_F32, KB_DTYPE_F32);
    p = attention_problem(&c, 0);
    p.u.attention.k.dtype = KB_DTYPE_F16;
    expect_status("attention f16 K with f32 Q", "exact", &p, KB_ERR_UNSUPPORTED);
}

static void test_descriptor(void)
{
    CHECK(plugin->abi_version == KB_ABI_VERSION, "abi_version %u", plugin->abi_version);
    CHECK(plugin->struct_size == sizeof(kb_plugin), "struct_size %u", plugin->struct_size);
    CHECK(strcmp(plugin->name, "ref") == 0, "plugin name \"%s\"", plugin->name);
    CHECK(strcmp(plugin->backend, KB_BACKEND_HOST) == 0, "backend \"%s\"", plugin->backend);
    CHECK(plugin->kernel_count == 8, "%u kernels, expected 8", plugin->kernel_count);
    for (int op = 1; op <= KB_OP_COUNT; op++) {
        kernel((kb_op)op, "exact");
        kernel((kb_op)op, "storage");
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_ref path/to/kb_ref.so\n");
        return 2;
    }
    void *so = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!so) {
        fprintf(stderr, "test_ref: cannot load %s: %s\n", argv[1], dlerror());
        return 2;
    }
    kb_entry_fn entry;
    void *sym = dlsym(so, KB_ENTRY_SYMBOL);
    CHECK(sym, "%s does not export %s", argv[1], KB_ENTRY_SYMBOL);
    memcpy(&entry, &sym, sizeof entry); /* object pointer to function pointer, as POSIX allows */
    plugin = entry();
    CHECK(plugin, "kbench_plugin() returned NULL");

    test_descriptor();
    test_softmax_hand();
    test_softmax_edges();
    test_softmax_sums();
    test_matmul_hand();
    test_matmul_int8();
    test_matmul_identity();
    test_quant_int8_hand();
    test_quant_int8_random();
    test_dequant_hand();
    test_cast_hand();
    test_vq_hand();
    test_attention_single_key();
    test_attention_causal();
    test_attention_gqa();
    test_sampling();
    test_storage_yardstick();
    test_storage_hand();
    test_refusals();

    free_all();
    dlclose(so);
    printf("test_ref: all checks passed\n");
    return 0;
}
