/*
 * vq_avx2.c - vector quantization (nearest codebook row) with AVX2 + FMA,
 * part of quantize kernel "avx2".
 *
 * As a GEMM: |x - c|^2 = |x|^2 - 2 x.c + |c|^2, and |x|^2 is the same for
 * every code of a row, so the arg-min is that of  D'(c) = |c|^2 - 2 x.c.
 *  1. Pack (once per run, into the workspace): the codebook in blocks of 16
 *     codes, each block stored [dim][16] so that one d step of the
 *     micro-kernel loads two contiguous vectors; |c|^2 per code (f32, the
 *     same FMA sequence for every code, so duplicated rows get identical
 *     values); padding codes get |c|^2 = +inf and are never chosen.
 *  2. Micro-kernel: 6 rows x 16 codes of x.c in 12 ymm accumulators (plus two
 *     code vectors and one broadcast x: 15 of 16 registers), FMA over d,
 *     then D' = |c|^2 - 2 acc stored to the thread's [6][codes] distance rows.
 *     8 loads feed 12 FMAs per d step, within what the load ports sustain.
 *  3. Per row: the f32 minimum m of D', then every code with
 *     D' <= m + tol is a candidate, where tol bounds twice the f32 error of
 *     D' (dot products of `dim` terms: (2 dim + 3) u (|x|^2 + 2 max|c|^2),
 *     u = 2^-24, with margin).  The true nearest codes are always among the
 *     candidates.  One candidate: done.  Several: their squared distances are
 *     recomputed in f64 exactly as the reference does (same order, no fused
 *     multiply-add) and the lowest index of the smallest wins, so the kernel
 *     agrees with the reference even on exact ties and near-ties.
 * A row whose D' is not finite (overflow, NaN) gets the f64 scan over every
 * code.  Rows are split over the pool in chunks of whole 6-row tiles.
 */
#include <math.h>

#include "quantize_avx2.h"
#include "vmath_avx2.h"

/* exact_dist must round every product and sum as the reference does (GCC
 * never contracts in ISO C mode, which the build uses; clang honours this). */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

#define MR 6  /* rows per tile */
#define NR 16 /* codes per tile (two vectors) */

typedef struct vq_layout {
    int64_t blocks, cpad; /* code blocks of NR, codes padded to blocks * NR */
    size_t packed, norms, dist; /* bytes of each part (rounded to KB_CPU_ALIGN) */
} vq_layout;

static vq_layout layout_of(const kb_quantize_params *q)
{
    vq_layout l;
    l.blocks = (q->codes + NR - 1) / NR;
    l.cpad = l.blocks * NR;
    l.packed = kb_cpu_round((size_t)l.cpad * (size_t)q->cols * sizeof(float));
    l.norms = kb_cpu_round((size_t)l.cpad * sizeof(float));
    l.dist = kb_cpu_round((size_t)MR * (size_t)l.cpad * sizeof(float));
    return l;
}

size_t kb_cpu_vq_avx2_workspace(void *ctx, const kb_quantize_params *q)
{
    vq_layout l = layout_of(q);
    return l.packed + l.norms + l.dist * (size_t)kb_cpu_threads(ctx) + KB_CPU_ALIGN;
}

typedef struct vq_job {
    const kb_quantize_params *q;
    vq_layout l;
    float *packed, *norms;
    unsigned char *dist; /* per-thread [MR][cpad] */
    float cmax2;         /* max |c|^2 */
} vq_job;

/* ---- 1. packing ----------------------------------------------------------------- */

static void pack_blocks(void *arg, int64_t b0, int64_t b1, int tid)
{
    (void)tid;
    const vq_job *job = arg;
    const kb_quantize_params *q = job->q;
    int64_t dim = q->cols;
    for (int64_t b = b0; b < b1; b++) {
        float *pb = job->packed + b * dim * NR;
        for (int c = 0; c < NR; c++) {
            int64_t code = b * NR + c;
            const float *row = code < q->codes ? kb_cpu_at(&q->codebook, code * q->codebook.strides[0]) : NULL;
            for (int64_t d = 0; d < dim; d++)
                pb[d * NR + c] = row ? row[d] : 0.0f;
        }
        __m256 n0 = _mm256_setzero_ps(), n1 = n0;
        for (int64_t d = 0; d < dim; d++) {
            __m256 c0 = _mm256_load_ps(pb + d * NR), c1 = _mm256_load_ps(pb + d * NR + 8);
            n0 = _mm256_fmadd_ps(c0, c0, n0);
            n1 = _mm256_fmadd_ps(c1, c1, n1);
        }
        _mm256_store_ps(job->norms + b * NR, n0);
        _mm256_store_ps(job->norms + b * NR + 8, n1);
        for (int64_t c = b * NR; c < (b + 1) * NR; c++)
            if (c >= q->codes)
                job->norms[c] = INFINITY;
    }
}

/* ---- 2. the micro-kernel ---------------------------------------------------------- */

/* dist[i * cpad + b * NR + k] = |c|^2 - 2 x_i . c for the codes of block b. */
KB_AVX2_INLINE void tile(const float *const x[MR], const float *pb, const float *norms, int64_t dim,
                         float *dist, int64_t cpad)
{
    __m256 a00 = _mm256_setzero_ps(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00;
    __m256 a30 = a00, a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00;
    const float *x0 = x[0], *x1 = x[1], *x2 = x[2], *x3 = x[3], *x4 = x[4], *x5 = x[5];
    for (int64_t d = 0; d < dim; d++) {
        __m256 c0 = _mm256_load_ps(pb + d * NR), c1 = _mm256_load_ps(pb + d * NR + 8);
        __m256 v = _mm256_broadcast_ss(x0 + d);
        a00 = _mm256_fmadd_ps(v, c0, a00);
        a01 = _mm256_fmadd_ps(v, c1, a01);
        v = _mm256_broadcast_ss(x1 + d);
        a10 = _mm256_fmadd_ps(v, c0, a10);
        a11 = _mm256_fmadd_ps(v, c1, a11);
        v = _mm256_broadcast_ss(x2 + d);
        a20 = _mm256_fmadd_ps(v, c0, a20);
        a21 = _mm256_fmadd_ps(v, c1, a21);
        v = _mm256_broadcast_ss(x3 + d);
        a30 = _mm256_fmadd_ps(v, c0, a30);
        a31 = _mm256_fmadd_ps(v, c1, a31);
        v = _mm256_broadcast_ss(x4 + d);
        a40 = _mm256_fmadd_ps(v, c0, a40);
        a41 = _mm256_fmadd_ps(v, c1, a41);
        v = _mm256_broadcast_ss(x5 + d);
        a50 = _mm256_fmadd_ps(v, c0, a50);
        a51 = _mm256_fmadd_ps(v, c1, a51);
    }
    const __m256 m2 = _mm256_set1_ps(-2.0f);
    const __m256 n0 = _mm256_load_ps(norms), n1 = _mm256_load_ps(norms + 8);
#define PUT(i, lo, hi)                                                       \
    _mm256_store_ps(dist + (i) * cpad, _mm256_fmadd_ps(lo, m2, n0));        \
    _mm256_store_ps(dist + (i) * cpad + 8, _mm256_fmadd_ps(hi, m2, n1))
    PUT(0, a00, a01);
    PUT(1, a10, a11);
    PUT(2, a20, a21);
    PUT(3, a30, a31);
    PUT(4, a40, a41);
    PUT(5, a50, a51);
#undef PUT
}

/* ---- 3. the arg-min ------------------------------------------------------------------ */

/* Squared distance in f64, term by term in dimension order: the reference's
 * computation, so equal here means equal there. */
static double exact_dist(const float *x, const float *c, int64_t dim)
{
    double acc = 0.0;
    for (int64_t d = 0; d < dim; d++) {
        double diff = (double)x[d] - (double)c[d];
        double sq = diff * diff; /* a separate statement: never fused into an FMA */
        acc += sq;
    }
    return acc;
}

static const float *code_row(const kb_quantize_params *q, int64_t c)
{
    return kb_cpu_at(&q->codebook, c * q->codebook.strides[0]);
}

/* Lowest index of the smallest f64 distance over every code. */
static int32_t exact_scan(const kb_quantize_params *q, const float *x)
{
    int32_t best = 0;
    double best_d = exact_dist(x, code_row(q, 0), q->cols);
    for (int64_t c = 1; c < q->codes; c++) {
        double d = exact_dist(x, code_row(q, c), q->cols);
        if (d < best_d) {
            best_d = d;
            best = (int32_t)c;
        }
    }
    return best;
}

static int32_t argmin_row(const vq_job *job, const float *x, const float *dist)
{
    const kb_quantize_params *q = job->q;
    int64_t cpad = job->l.cpad, dim = q->cols;
    __m256 m0 = _mm256_load_ps(dist), m1 = _mm256_load_ps(dist + 8);
    for (int64_t c = NR; c < cpad; c += NR) {
        m0 = _mm256_min_ps(m0, _mm256_load_ps(dist + c));
        m1 = _mm256_min_ps(m1, _mm256_load_ps(dist + c + 8));
    }
    float m = kb_hmin_ps(_mm256_min_ps(m0, m1));
    float x2 = 0.0f;
    for (int64_t d = 0; d < dim; d++)
        x2 += x[d] * x[d];
    float tol = (float)(5 * dim + 10) * 0x1p-24f * (x2 + 2.0f * job->cmax2);
    float t = m + tol;
    if (!(t < INFINITY)) /* overflow or NaN somewhere: the slow, exact way */
        return exact_scan(q, x);
    const __m256 vt = _mm256_set1_ps(t);
    int32_t best = -1;
    double best_d = 0.0;
    for (int64_t c = 0; c < cpad; c += 8) {
        unsigned mask = (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(_mm256_load_ps(dist + c), vt, _CMP_LE_OQ));
        while (mask) {
            int64_t code = c + __builtin_ctz(mask);
            mask &= mask - 1;
            if (best < 0) { /* the first candidate; an f64 distance only if another comes */
                best = (int32_t)code;
                best_d = -1.0;
                continue;
            }
            if (best_d < 0.0)
                best_d = exact_dist(x, code_row(q, best), dim);
            double d = exact_dist(x, code_row(q, code), dim);
            if (d < best_d) {
                best_d = d;
                best = (int32_t)code;
            }
        }
    }
    return best >= 0 ? best : exact_scan(q, x);
}

/* ---- rows over the pool ---------------------------------------------------------------- */

static void vq_rows(void *arg, int64_t r0, int64_t r1, int tid)
{
    const vq_job *job = arg;
    const kb_quantize_params *q = job->q;
    int64_t dim = q->cols, cpad = job->l.cpad;
    float *dist = (float *)(job->dist + (size_t)tid * job->l.dist);
    int32_t *out = q->indices.data;
    for (int64_t r = r0; r < r1; r += MR) {
        int64_t rows = r1 - r < MR ? r1 - r : MR;
        const float *x[MR];
        for (int i = 0; i < MR; i++) /* a short tile repeats its last row */
            x[i] = kb_cpu_at(&q->x, (r + (i < rows ? i : rows - 1)) * q->x.strides[0]);
        for (int64_t b = 0; b < job->l.blocks; b++)
            tile(x, job->packed + b * dim * NR, job->norms + b * NR, dim, dist + b * NR, cpad);
        for (int64_t i = 0; i < rows; i++)
            out[(r + i) * q->indices.strides[0]] = argmin_row(job, x[i], dist + i * cpad);
    }
}

void kb_cpu_vq_avx2(kb_cpu_ctx *ctx, const kb_quantize_params *q, void *ws)
{
    vq_job job;
    job.q = q;
    job.l = layout_of(q);
    unsigned char *base = kb_cpu_align_ptr(ws);
    job.packed = (float *)base;
    job.norms = (float *)(base + job.l.packed);
    job.dist = base + job.l.packed + job.l.norms;

    int64_t work = q->rows * q->codes * q->cols;
    int serial = work <= KB_CPU_SERIAL_WORK;
    kb_cpu_parallel_for(ctx->pool, job.l.blocks, serial ? job.l.blocks : 8, pack_blocks, &job);
    float cmax2 = 0.0f;
    for (int64_t c = 0; c < q->codes; c++)
        cmax2 = job.norms[c] > cmax2 ? job.norms[c] : cmax2;
    job.cmax2 = cmax2;

    /* Chunks of whole tiles: ~1M FLOPs each, at least 4 per thread when rows allow. */
    int64_t per_row = q->codes * q->cols;
    int64_t tiles = (1 << 20) / (per_row > 0 ? per_row : 1) / MR;
    int64_t fair = q->rows / (4 * (int64_t)ctx->threads) / MR;
    tiles = tiles > fair ? fair : tiles;
    tiles = tiles < 1 ? 1 : tiles;
    int64_t grain = serial ? q->rows : tiles * MR;
    kb_cpu_parallel_for(ctx->pool, q->rows, grain, vq_rows, &job);
}
