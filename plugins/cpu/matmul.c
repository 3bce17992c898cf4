/*
 * matmul.c - C = alpha op(A) op(B) + beta C, the textbook packed GEMM in
 * plain C:
 *   1. op(B) is decoded once into f32 panels of NR columns, each panel
 *      [K x NR] contiguous (the last panel zero-padded);
 *   2. each thread takes blocks of MC rows of C (and, when there are few,
 *      a run of B panels), decodes op(A) for them into MR-row micro-panels
 *      [K x MR], and for every B panel runs an MR x NR register tile over
 *      all of K;
 *   3. the tile is written as alpha acc + beta C in f64, rounded once to C's
 *      dtype (C is not read when beta == 0).
 * The tile loops have constant trip counts, so the compiler keeps the MR x NR
 * accumulators in vector registers.  The i8 path is the same with 32-bit
 * integers: products fit, and the unsigned sum wraps (no UB) to the exact
 * result whenever it fits in i32.
 */

#include "cpu.h"

#define MR 4  /* rows per register tile */
#define NR 8  /* columns per register tile and B panel */
#define MC 64 /* rows of A decoded per block */

kb_status kb_cpu_matmul_supports(void *ctx, const kb_problem *p, char *why, size_t why_len)
{
    (void)ctx;
    return kb_check_matmul(p, why, why_len);
}

/* Workspace: B panels [ceil(N / NR) x K x NR], then per thread an A block
 * [ceil(min(MC, M) / MR) x K x MR]; 4-byte elements on both paths. */
static size_t b_bytes(const kb_matmul_params *m)
{
    return kb_cpu_round((size_t)((m->n + NR - 1) / NR) * (size_t)m->k * NR * 4);
}

static size_t a_slice(const kb_matmul_params *m)
{
    int64_t rows = m->m < MC ? m->m : MC;
    return kb_cpu_round((size_t)((rows + MR - 1) / MR) * MR * (size_t)m->k * 4);
}

size_t kb_cpu_matmul_workspace(void *ctx, const kb_problem *p)
{
    const kb_matmul_params *m = &p->u.matmul;
    return b_bytes(m) + a_slice(m) * (size_t)kb_cpu_threads(ctx) + KB_CPU_ALIGN;
}

typedef struct mm_job {
    const kb_cpu_ctx *ctx;
    const kb_matmul_params *m;
    unsigned char *bp; /* B panels */
    unsigned char *ap; /* A blocks, one slice per thread */
    size_t slice;
    int integer;          /* i8 path: panels hold uint32 */
    int64_t chunks;       /* column chunks per row block */
    int64_t chunk_panels; /* B panels per column chunk */
} mm_job;

/* op(A)[i, k] and op(B)[k, j] as offsets into their tensors. */
static int64_t a_off(const kb_matmul_params *m, int64_t i, int64_t k)
{
    return m->trans_a ? k * m->a.strides[0] + i : i * m->a.strides[0] + k;
}

static int64_t b_off(const kb_matmul_params *m, int64_t k, int64_t j)
{
    return m->trans_b ? j * m->b.strides[0] + k : k * m->b.strides[0] + j;
}

/* Store op(X) element at `off` into word `idx` of a panel: f32 on the float
 * path, the i8 value as uint32 on the integer path (written through the
 * matching pointer type, so the tile reads it without aliasing games). */
static void put(const mm_job *job, const kb_tensor *t, int64_t off, void *panel, int64_t idx)
{
    if (job->integer)
        ((uint32_t *)panel)[idx] = (uint32_t)(int32_t)((const int8_t *)t->data)[off];
    else
        ((float *)panel)[idx] = kb_cpu_load(job->ctx, t->dtype, t->data, off);
}

static void put_zero(const mm_job *job, void *panel, int64_t idx)
{
    if (job->integer)
        ((uint32_t *)panel)[idx] = 0u;
    else
        ((float *)panel)[idx] = 0.0f;
}

/* Step 1: B panels [p0, p1). */
static void pack_b(void *arg, int64_t p0, int64_t p1, int tid)
{
    (void)tid;
    const mm_job *job = arg;
    const kb_matmul_params *m = job->m;
    for (int64_t p = p0; p < p1; p++) {
        void *panel = job->bp + (size_t)(p * m->k * NR) * 4;
        for (int64_t k = 0; k < m->k; k++)
            for (int64_t jj = 0; jj < NR; jj++) {
                int64_t j = p * NR + jj;
                if (j < m->n)
                    put(job, &m->b, b_off(m, k, j), panel, k * NR + jj);
                else
                    put_zero(job, panel, k * NR + jj);
            }
    }
}

/* A rows [i0, i0 + rows) into MR-row micro-panels [K x MR] (zero-padded). */
static void pack_a(const mm_job *job, int64_t i0, int64_t rows, unsigned char *ap)
{
    const kb_matmul_params *m = job->m;
    for (int64_t r0 = 0; r0 < rows; r0 += MR) {
        void *panel = ap + (size_t)(r0 * m->k) * 4;
        for (int64_t k = 0; k < m->k; k++)
            for (int64_t r = 0; r < MR; r++) {
                if (r0 + r < rows)
                    put(job, &m->a, a_off(m, i0 + r0 + r, k), panel, k * MR + r);
                else
                    put_zero(job, panel, k * MR + r);
            }
    }
}

static void tile_f32(int64_t K, const float *restrict a, const float *restrict b,
                     float acc[MR][NR])
{
    float t[MR][NR] = {{0}};
    for (int64_t k = 0; k < K; k++)
        for (int r = 0; r < MR; r++)
            for (int j = 0; j < NR; j++)
                t[r][j] += a[k * MR + r] * b[k * NR + j];
    memcpy(acc, t, sizeof t);
}

static void tile_u32(int64_t K, const uint32_t *restrict a, const uint32_t *restrict b,
                     uint32_t acc[MR][NR])
{
    uint32_t t[MR][NR] = {{0}};
    for (int64_t k = 0; k < K; k++)
        for (int r = 0; r < MR; r++)
            for (int j = 0; j < NR; j++)
                t[r][j] += a[k * MR + r] * b[k * NR + j];
    memcpy(acc, t, sizeof t);
}

/* Write the valid part of one tile at C[i, j]. */
static void store_f32(const kb_matmul_params *m, int64_t i, int64_t j, int rows, int cols,
                      float acc[MR][NR])
{
    kb_dtype tc = m->c.dtype;
    double alpha = m->alpha, beta = m->beta;
    for (int r = 0; r < rows; r++) {
        int64_t off = (i + r) * m->c.strides[0] + j;
        for (int jj = 0; jj < cols; jj++) {
            double v = alpha * (double)acc[r][jj];
            if (beta != 0.0)
                v += beta * kb_load_f64(m->c.data, tc, off + jj);
            kb_store_f64(m->c.data, tc, off + jj, v, 0);
        }
    }
}

static void store_i32(const kb_matmul_params *m, int64_t i, int64_t j, int rows, int cols,
                      uint32_t acc[MR][NR])
{
    for (int r = 0; r < rows; r++) {
        int32_t *c = (int32_t *)m->c.data + (i + r) * m->c.strides[0] + j;
        for (int jj = 0; jj < cols; jj++) {
            uint32_t v = acc[r][jj];
            if (m->beta != 0.0f)
                v += (uint32_t)c[jj];
            c[jj] = (int32_t)v; /* two's complement wrap (GCC and Clang define it) */
        }
    }
}

/* Step 2: work items [it0, it1); item = row block (MC rows) x column chunk
 * (a run of B panels), so that short, wide C still spreads over threads. */
static void gemm_items(void *arg, int64_t it0, int64_t it1, int tid)
{
    const mm_job *job = arg;
    const kb_matmul_params *m = job->m;
    unsigned char *ap = job->ap + (size_t)tid * job->slice;
    int64_t panels = (m->n + NR - 1) / NR;
    for (int64_t it = it0; it < it1; it++) {
        int64_t i0 = it / job->chunks * MC;
        int64_t p0 = it % job->chunks * job->chunk_panels;
        int64_t p1 = p0 + job->chunk_panels < panels ? p0 + job->chunk_panels : panels;
        int64_t rows = m->m - i0 < MC ? m->m - i0 : MC;
        pack_a(job, i0, rows, ap);
        for (int64_t p = p0; p < p1; p++) {
            const unsigned char *panel = job->bp + (size_t)(p * m->k * NR) * 4;
            int cols = m->n - p * NR < NR ? (int)(m->n - p * NR) : NR;
            for (int64_t r0 = 0; r0 < rows; r0 += MR) {
                int nr = rows - r0 < MR ? (int)(rows - r0) : MR;
                const unsigned char *a = ap + (size_t)(r0 * m->k) * 4;
                if (job->integer) {
                    uint32_t acc[MR][NR];
                    tile_u32(m->k, (const uint32_t *)a, (const uint32_t *)panel, acc);
                    store_i32(m, i0 + r0, p * NR, nr, cols, acc);
                } else {
                    float acc[MR][NR];
                    tile_f32(m->k, (const float *)a, (const float *)panel, acc);
                    store_f32(m, i0 + r0, p * NR, nr, cols, acc);
                }
            }
        }
    }
}

kb_status kb_cpu_matmul_simple(void *ctx, const kb_problem *p, void *ws, void *stream,
                               char *err, size_t err_len)
{
    (void)stream;
    kb_status st = kb_cpu_matmul_supports(ctx, p, err, err_len);
    if (st != KB_OK)
        return st;
    if (!ctx)
        return kb_fail(KB_ERR_INVALID, err, err_len, "plugin not initialised");
    if (!ws)
        return kb_fail(KB_ERR_INVALID, err, err_len, "workspace missing");
    const kb_matmul_params *m = &p->u.matmul;
    unsigned char *base = kb_cpu_align_ptr(ws);
    mm_job job = {ctx, m, base, base + b_bytes(m), a_slice(m), m->a.dtype == KB_DTYPE_I8, 1, 0};
    kb_cpu_pool *pool = ((kb_cpu_ctx *)ctx)->pool;
    int64_t panels = (m->n + NR - 1) / NR, blocks = (m->m + MC - 1) / MC;
    int64_t want = 4 * (int64_t)kb_cpu_threads(ctx); /* items for balance */
    if (blocks < want && panels > 1) /* few row blocks: split columns too */
        job.chunks = (want + blocks - 1) / blocks < panels ? (want + blocks - 1) / blocks : panels;
    job.chunk_panels = (panels + job.chunks - 1) / job.chunks;
    if (job.chunk_panels > 0)
        job.chunks = (panels + job.chunk_panels - 1) / job.chunk_panels;
    int serial = 2.0 * (double)m->m * (double)m->n * (double)m->k <= (double)KB_CPU_SERIAL_WORK;
    kb_cpu_parallel_for(pool, panels, serial ? panels : 8, pack_b, &job);
    kb_cpu_parallel_for(pool, blocks * job.chunks, serial ? blocks * job.chunks : 1, gemm_items, &job);
    return KB_OK;
}
