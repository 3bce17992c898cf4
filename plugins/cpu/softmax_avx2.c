/*
 * softmax_avx2.c - row softmax / log-softmax with AVX2 + FMA (+ F16C for f16),
 * kernel "avx2".  Rows are independent and split over the pool.
 *
 * Softmax is memory bound: the goal is DRAM seeing x once and y once, and
 * the exp costing no more than one evaluation per element, so that the
 * arithmetic hides under the memory traffic on two cores.
 *
 * Rows of up to CACHED_COLS elements (the common case; a 4096-f32 row is
 * 16 KiB) are read from DRAM once and then stay in L1/L2:
 *   1. max pass: per-lane maxima in 4 registers;
 *   2. exp pass: e = exp(scale (x - max)) = 2^((x - max) scale log2(e))
 *      (vmath_avx2.h) into a per-thread f32 row of the workspace, and its
 *      sum (log-softmax: only the sum);
 *   3. write pass: y = e * (1 / sum)   (log: scale (x - max) - log(sum)).
 * That is one exp per element; the online form (running max and rescaled
 * sum in one pass, Milakov & Gimelshein 2018) evaluates exp again when
 * writing, twice the arithmetic for the same memory traffic, since the max
 * pass over an L1-resident row costs next to nothing.  Longer rows cannot
 * stay in cache, and there reading x twice from memory is unavoidable, so
 * they use the online form:
 *   1. online pass: per-lane running max and rescaled sum, updated once per
 *      32 elements (rescaling only when some lane's max grew), merged across
 *      lanes at the end;
 *   2. write pass: y = exp(scale (x - max)) / sum.
 *
 * Edge rules (docs/ops.md): -inf entries give exp = 0 (the exp's clamp);
 * an all -inf row gives 0 (log: -inf); a row with NaN or +inf gives NaN
 * (+inf is the max; a NaN makes the cached path's sum of exps NaN, and the
 * online path flags it).  f16 loads through F16C, bf16 by shifts;
 * outputs round to nearest even.  Large DRAM-resident outputs are written
 * with non-temporal stores (vmath_avx2.h says when).
 */
#include <math.h>

#include "cpu.h"
#include "vmath_avx2.h"

/* Rows up to this length take the cached path: x (64 KiB in f32) and its
 * exps (64 KiB) fit L2 with room to spare, and at 4096 both fit L1 (48 KiB).
 * (-DKB_SOFTMAX_CACHED_COLS=0 builds the online form for every row, to
 * compare the two.) */
#ifndef KB_SOFTMAX_CACHED_COLS
#define KB_SOFTMAX_CACHED_COLS 16384
#endif
#define CACHED_COLS KB_SOFTMAX_CACHED_COLS

static int cached(const kb_softmax_params *s) { return s->cols <= CACHED_COLS; }

kb_status kb_cpu_softmax_avx2_supports(void *ctx, const kb_problem *p, char *why,
                                       size_t why_len)
{
    if (!kb_cpu_has_avx2_fma_f16c())
        return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "needs AVX2, FMA and F16C");
    return kb_cpu_softmax_supports(ctx, p, why, why_len);
}

/* Cached path: one f32 row of exps per thread (padded to whole vectors),
 * plus a page of room to place it (exp_row). */
static size_t exp_slice(const kb_softmax_params *s)
{
    return kb_cpu_round((size_t)((s->cols + 7) / 8 * 8) * sizeof(float)) + 4096;
}

/* Where in its slice a row's exps go.  A load whose address matches an
 * earlier, still pending store in the low 12 bits waits for it (4K
 * aliasing), so the exp pass (loads x, stores e) wants e - x, and the write
 * pass (loads e, stores y) wants y - e, not to be a small positive amount
 * modulo 4096.  The first offset at least 1 KiB clear of both is taken. */
static float *exp_row(unsigned char *slice, const void *x, const void *y)
{
    static const unsigned offsets[] = {2048, 3072, 1024, 2560, 3584, 1536};
    uintptr_t xa = (uintptr_t)x, d = ((uintptr_t)y - xa) & 4095;
    uintptr_t e_off = offsets[0];
    for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++)
        if (((d - offsets[i]) & 4095) >= 1024) {
            e_off = offsets[i];
            break;
        }
    uintptr_t at = (xa + e_off - (uintptr_t)slice) & 4095 & ~(uintptr_t)63;
    return (float *)(slice + at);
}

size_t kb_cpu_softmax_avx2_workspace(void *ctx, const kb_problem *p)
{
    const kb_softmax_params *s = &p->u.softmax;
    if (!cached(s) || s->cols == 0)
        return 0;
    return exp_slice(s) * (size_t)kb_cpu_threads(ctx) + KB_CPU_ALIGN;
}

typedef struct sm_row {
    kb_dtype t;
    const void *x;
    void *y;
    int64_t n;
    float scale;
    int log_softmax;
    int stream;
    const char *next; /* the next row's x, prefetched during the exp pass (NULL: none) */
} sm_row;

/* y = v everywhere (NaN rows, all -inf rows). */
KB_AVX2_INLINE void fill_row(const sm_row *r, float v)
{
    __m256 vv = _mm256_set1_ps(v);
    int64_t j = 0;
    for (; j + 8 <= r->n; j += 8)
        kb_store8(r->t, r->y, j, vv, 0);
    kb_store_part(r->t, r->y, j, r->n - j, vv);
}

/* Handles the edge rows; returns 1 when the row is done. */
KB_AVX2_INLINE int edge_row(const sm_row *r, float m, int bad)
{
    if (bad || m == INFINITY) {
        fill_row(r, NAN);
        return 1;
    }
    if (m == -INFINITY) { /* every entry -inf */
        fill_row(r, r->log_softmax ? -INFINITY : 0.0f);
        return 1;
    }
    return 0;
}

/* Max over the row.  NaN is not looked for here: a NaN in the row makes the
 * exp pass's sum NaN (expd_nan), which costs nothing; the max may then be
 * anything, even NaN, and the row is filled with NaN all the same. */
KB_AVX2_INLINE float row_max(kb_dtype t, const void *x, int64_t n)
{
    const __m256 ninf = _mm256_set1_ps(-INFINITY);
    __m256 m0 = ninf, m1 = ninf, m2 = ninf, m3 = ninf;
    int64_t j = 0;
    for (; j + 32 <= n; j += 32) { /* four chains: max has a latency of several cycles */
        m0 = _mm256_max_ps(m0, kb_load8(t, x, j));
        m1 = _mm256_max_ps(m1, kb_load8(t, x, j + 8));
        m2 = _mm256_max_ps(m2, kb_load8(t, x, j + 16));
        m3 = _mm256_max_ps(m3, kb_load8(t, x, j + 24));
    }
    for (; j + 8 <= n; j += 8)
        m0 = _mm256_max_ps(m0, kb_load8(t, x, j));
    if (j < n)
        m0 = _mm256_max_ps(m0, kb_load_part(t, x, j, n - j, -INFINITY));
    return kb_hmax_ps(_mm256_max_ps(_mm256_max_ps(m0, m1), _mm256_max_ps(m2, m3)));
}

/* exp(scale (v - m)) = 2^((v - m) k) with k = scale log2(e); lo = -127 / k
 * is where kb_exp2_prod_ps clamps v - m. */
typedef struct exp_k {
    __m256 k, lo;
} exp_k;

static exp_k exp_consts(float scale)
{
    float k = (float)((double)scale * 1.4426950408889634);
    exp_k c = {_mm256_set1_ps(k), _mm256_set1_ps(-127.0f / k)};
    return c;
}

/* expd maps NaN differences to 0 (the online path relies on it: -inf - -inf);
 * expd_nan lets a NaN through (the cached path finds NaN rows by their sum). */
KB_AVX2_INLINE __m256 expd(__m256 v, __m256 m, exp_k c)
{
    return kb_exp2_prod_ps(_mm256_sub_ps(v, m), c.k, c.lo, 1);
}

KB_AVX2_INLINE __m256 expd_nan(__m256 v, __m256 m, exp_k c)
{
    return kb_exp2_prod_ps(_mm256_sub_ps(v, m), c.k, c.lo, 0);
}

/* Write pass of log-softmax: y = scale (x - m) - lse. */
KB_AVX2_INLINE void write_log(const sm_row *r, float m, float lse)
{
    const __m256 vm = _mm256_set1_ps(m), vs = _mm256_set1_ps(r->scale);
    const __m256 vl = _mm256_set1_ps(lse);
    int64_t j = 0;
    for (; j + 8 <= r->n; j += 8) {
        __m256 v = kb_load8(r->t, r->x, j);
        kb_store8(r->t, r->y, j, _mm256_fmsub_ps(_mm256_sub_ps(v, vm), vs, vl), r->stream);
    }
    if (j < r->n) {
        __m256 v = kb_load_part(r->t, r->x, j, r->n - j, 0.0f);
        kb_store_part(r->t, r->y, j, r->n - j, _mm256_fmsub_ps(_mm256_sub_ps(v, vm), vs, vl));
    }
}

/* The cached path: max pass, exp pass into e[], write pass from e[]. */
KB_AVX2_INLINE void row_cached(const sm_row *r, float *e)
{
    float m = row_max(r->t, r->x, r->n);
    if (edge_row(r, m, 0))
        return;
    const __m256 vm = _mm256_set1_ps(m);
    const exp_k vk = exp_consts(r->scale);
    __m256 s0 = _mm256_setzero_ps();
    int keep = !r->log_softmax;
    int64_t j = 0;
    /* Two vectors in flight and one accumulator: everything stays in the 16
     * ymm registers (a spilled accumulator would chain through memory). */
    for (; j + 16 <= r->n; j += 16) {
        /* Bring in the next row while this one computes: the max pass then
         * finds it in cache and DRAM never idles (at most one line a step,
         * so the next row is in by the end of this pass). */
        if (r->next)
            _mm_prefetch(r->next + j * (int64_t)kb_dtype_size(r->t), _MM_HINT_T0);
        __m256 e0 = expd_nan(kb_load8(r->t, r->x, j), vm, vk);
        __m256 e1 = expd_nan(kb_load8(r->t, r->x, j + 8), vm, vk);
        s0 = _mm256_add_ps(s0, _mm256_add_ps(e0, e1));
        if (keep) {
            _mm256_store_ps(e + j, e0);
            _mm256_store_ps(e + j + 8, e1);
        }
    }
    for (; j < r->n; j += 8) {
        __m256 v = j + 8 <= r->n ? kb_load8(r->t, r->x, j)
                                 : kb_load_part(r->t, r->x, j, r->n - j, -INFINITY);
        __m256 ev = expd_nan(v, vm, vk); /* -inf lanes give 0 */
        s0 = _mm256_add_ps(s0, ev);
        if (keep)
            _mm256_store_ps(e + j, ev);
    }
    float sum = kb_hsum_ps(s0);
    if (sum != sum) { /* a NaN in the row */
        fill_row(r, NAN);
        return;
    }
    if (r->log_softmax) {
        write_log(r, m, logf(sum));
        return;
    }
    const __m256 inv = _mm256_set1_ps(1.0f / sum);
    for (j = 0; j + 8 <= r->n; j += 8)
        kb_store8(r->t, r->y, j, _mm256_mul_ps(_mm256_load_ps(e + j), inv), r->stream);
    if (j < r->n)
        kb_store_part(r->t, r->y, j, r->n - j, _mm256_mul_ps(_mm256_load_ps(e + j), inv));
}

/* Online update of the per-lane (max, sum) with a block whose lane maxima are bm. */
KB_AVX2_INLINE void online_rescale(__m256 *vm, __m256 *vsum, __m256 bm, exp_k vk)
{
    __m256 nm = _mm256_max_ps(*vm, bm);
    if (_mm256_movemask_ps(_mm256_cmp_ps(nm, *vm, _CMP_GT_OQ))) {
        /* Lanes that stay -inf give NaN here, which expd maps to 0: their sum is 0. */
        *vsum = _mm256_mul_ps(*vsum, expd(*vm, nm, vk));
        *vm = nm;
    }
}

/* The streaming path for long rows: online (max, sum) pass, then write pass. */
KB_AVX2_INLINE void row_online(const sm_row *r)
{
    const exp_k vk = exp_consts(r->scale);
    __m256 vm = _mm256_set1_ps(-INFINITY), vsum = _mm256_setzero_ps();
    __m256 nan = _mm256_setzero_ps();
    int64_t j = 0;
    for (; j + 32 <= r->n; j += 32) {
        __m256 v0 = kb_load8(r->t, r->x, j), v1 = kb_load8(r->t, r->x, j + 8);
        __m256 v2 = kb_load8(r->t, r->x, j + 16), v3 = kb_load8(r->t, r->x, j + 24);
        nan = _mm256_or_ps(nan, _mm256_or_ps(_mm256_cmp_ps(v0, v1, _CMP_UNORD_Q),
                                             _mm256_cmp_ps(v2, v3, _CMP_UNORD_Q)));
        online_rescale(&vm, &vsum,
                       _mm256_max_ps(_mm256_max_ps(v0, v1), _mm256_max_ps(v2, v3)), vk);
        __m256 a = _mm256_add_ps(expd(v0, vm, vk), expd(v1, vm, vk));
        __m256 b = _mm256_add_ps(expd(v2, vm, vk), expd(v3, vm, vk));
        vsum = _mm256_add_ps(vsum, _mm256_add_ps(a, b));
    }
    for (; j < r->n; j += 8) {
        __m256 v = j + 8 <= r->n ? kb_load8(r->t, r->x, j)
                                 : kb_load_part(r->t, r->x, j, r->n - j, -INFINITY);
        nan = _mm256_or_ps(nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
        online_rescale(&vm, &vsum, v, vk);
        vsum = _mm256_add_ps(vsum, expd(v, vm, vk));
    }
    float m = kb_hmax_ps(vm);
    if (edge_row(r, m, _mm256_movemask_ps(nan) != 0))
        return;
    const __m256 mm = _mm256_set1_ps(m);
    float sum = kb_hsum_ps(_mm256_mul_ps(vsum, expd(vm, mm, vk)));
    if (r->log_softmax) {
        write_log(r, m, logf(sum));
        return;
    }
    const __m256 inv = _mm256_set1_ps(1.0f / sum);
    for (j = 0; j + 8 <= r->n; j += 8)
        kb_store8(r->t, r->y, j, _mm256_mul_ps(expd(kb_load8(r->t, r->x, j), mm, vk), inv),
                  r->stream);
    if (j < r->n) {
        __m256 v = kb_load_part(r->t, r->x, j, r->n - j, -INFINITY);
        kb_store_part(r->t, r->y, j, r->n - j, _mm256_mul_ps(expd(v, mm, vk), inv));
    }
}

typedef struct sm_job {
    const kb_softmax_params *s;
    unsigned char *ws;
    size_t slice;
    int stream;
} sm_job;

/* One instance per dtype, so that the loads and stores are specialised. */
KB_AVX2_INLINE void rows_of(kb_dtype t, const sm_job *job, int64_t r0, int64_t r1, int tid)
{
    const kb_softmax_params *s = job->s;
    unsigned char *slice = job->ws ? job->ws + (size_t)tid * job->slice : NULL;
    for (int64_t i = r0; i < r1; i++) {
        sm_row r = {t, kb_cpu_at(&s->x, i * s->x.strides[0]), kb_cpu_at(&s->y, i * s->y.strides[0]),
                    s->cols, s->scale, s->log_softmax != 0, job->stream,
                    i + 1 < r1 ? kb_cpu_at(&s->x, (i + 1) * s->x.strides[0]) : NULL};
        if (slice)
            row_cached(&r, exp_row(slice, r.x, r.y));
        else
            row_online(&r);
    }
    if (job->stream)
        _mm_sfence(); /* streaming stores are weakly ordered: drain them before the pool's join */
}

static void rows_f32(void *arg, int64_t r0, int64_t r1, int tid) { rows_of(KB_DTYPE_F32, arg, r0, r1, tid); }
static void rows_f16(void *arg, int64_t r0, int64_t r1, int tid) { rows_of(KB_DTYPE_F16, arg, r0, r1, tid); }
static void rows_bf16(void *arg, int64_t r0, int64_t r1, int tid) { rows_of(KB_DTYPE_BF16, arg, r0, r1, tid); }

kb_status kb_cpu_softmax_avx2(void *ctx, const kb_problem *p, void *ws, void *stream, char *err,
                              size_t err_len)
{
    (void)stream;
    kb_status st = kb_cpu_softmax_avx2_supports(ctx, p, err, err_len);
    if (st != KB_OK)
        return st;
    if (!ctx)
        return kb_fail(KB_ERR_INVALID, err, err_len, "plugin not initialised");
    const kb_softmax_params *s = &p->u.softmax;
    if (s->rows == 0 || s->cols == 0)
        return KB_OK;
    sm_job job = {s, NULL, 0, 0};
    if (cached(s)) {
        if (!ws)
            return kb_fail(KB_ERR_INVALID, err, err_len, "workspace missing");
        job.ws = kb_cpu_align_ptr(ws);
        job.slice = exp_slice(s);
    }
    size_t es = kb_dtype_size(s->x.dtype);
    job.stream = kb_avx2_should_stream(2.0 * (double)(s->rows * s->cols) * (double)es, s->y.data,
                                       s->rows > 1 ? s->y.strides[0] * (int64_t)es : 0);
    /* Chunks of ~32k elements, at least 4 per thread when rows allow. */
    int threads = kb_cpu_threads(ctx);
    int64_t grain = 32768 / s->cols;
    int64_t fair = s->rows / (4 * (int64_t)threads);
    grain = grain > fair ? fair : grain;
    grain = grain < 1 ? 1 : grain;
    if (s->rows * s->cols <= KB_CPU_SERIAL_WORK)
        grain = s->rows; /* one chunk: the caller alone */
    kb_cpu_task fn = s->x.dtype == KB_DTYPE_F32 ? rows_f32
                     : s->x.dtype == KB_DTYPE_F16 ? rows_f16 : rows_bf16;
    kb_cpu_parallel_for(((kb_cpu_ctx *)ctx)->pool, s->rows, grain, fn, &job);
    return KB_OK;
}
