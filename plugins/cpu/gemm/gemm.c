/*
 * gemm.c - the "gemm" matmul kernel: C = alpha op(A) op(B) + beta C as a
 * packed, cache-blocked GEMM (Goto & van de Geijn; BLIS's five loops):
 *
 *   for jc over N in steps of NC            B panel KC x NC: shared, in L3
 *     for pc over K in steps of KC
 *       pack B[pc, jc]                      parallel_for over NR panels
 *       for ic over M in steps of MC        parallel_for: one A block per item
 *         pack A[ic, pc]                    into the thread's own slice (L2)
 *         for jr, for ir: micro-kernel      macro.c, micro_*.c
 *
 * Threads split the ic loop, so both cores read the one packed B panel; the
 * A blocks are sized so that their count is a multiple of the threads (no
 * straggler block).  When M gives fewer blocks than threads, items also split
 * the NR panels (the jr loop), and a thread re-packs an A block only when
 * the item's block changes.  Two parallel_for per (jc, pc) step: packing B
 * must finish before any thread reads it, and the pool's only barrier is the
 * end of a parallel_for.
 *
 * K blocks and C: with f32 C every step after the first adds into C (BLAS
 * style: first step C = alpha AB + beta C, later C += alpha AB).  With f16 /
 * bf16 C that would round the partial sums to 16 bits, so when K spans more
 * than one block the partial sums go to an f32 buffer in the workspace and
 * the last step writes C = alpha (partial + AB) + beta C, rounded once.
 * The i8 path accumulates exactly in C's int32 (wrapping like the ref).
 *
 * Three panel formats (gemm_path): f32 for the float inputs; for i8, K in
 * quads for vpdpbusd when the CPU has AVX-VNNI (pack_u8s8.c), else K in
 * 16-bit pairs for AVX2's vpmaddwd (pack_i8.c).  The environment variable
 * KB_CPU_GEMM_NO_VNNI=1 forces the AVX2 path, so that it can be tested on a
 * CPU with AVX-VNNI too.
 */
#include <stdlib.h>

#include "gemm.h"

#define MR KB_GEMM_MR
#define NR KB_GEMM_NR

static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

typedef enum gemm_path {
    PATH_F32 = 1,   /* f32 units (f16 / bf16 decoded while packing) */
    PATH_I8_PAIRS,  /* i8 as 16-bit pairs, vpmaddwd (AVX2) */
    PATH_I8_QUADS   /* i8 as byte quads, vpdpbusd (AVX-VNNI) */
} gemm_path;

static gemm_path path_of(const kb_matmul_params *m)
{
    if (m->a.dtype != KB_DTYPE_I8)
        return PATH_F32;
    /* Decided once per process: path_of runs in every timed call, and CPUID
     * traps to the hypervisor in a VM. */
    static int quads = -1;
    if (quads < 0) {
        const char *force = getenv("KB_CPU_GEMM_NO_VNNI");
        quads = kb_gemm_has_avxvnni() && !(force && force[0] == '1');
    }
    return quads ? PATH_I8_QUADS : PATH_I8_PAIRS;
}

/* Block sizes and workspace layout of one problem (workspace and run agree). */
typedef struct gemm_plan {
    gemm_path path;
    int kpu;        /* K values per packed 4-byte unit: 1, 2 or 4 */
    int threads;    /* participants the blocks are split for (1 if serial) */
    int64_t kc;     /* K per block: a multiple of kpu, or all of K if less */
    int64_t units;  /* packed units per K block: ceil(kc / kpu) */
    int64_t mc, mblocks;
    int64_t nc;     /* N per B panel (multiple of NR) */
    size_t b_bytes, colsum_bytes, a_slice, sums_bytes, tags_bytes;
} gemm_plan;

static gemm_plan make_plan(const kb_matmul_params *m, int threads)
{
    gemm_plan pl;
    memset(&pl, 0, sizeof pl);
    pl.path = path_of(m);
    pl.kpu = pl.path == PATH_F32 ? 1 : pl.path == PATH_I8_PAIRS ? 2 : 4;
    kb_gemm_blocks bl = kb_gemm_block_sizes(pl.kpu);
    int serial = 2.0 * (double)m->m * (double)m->n * (double)m->k <= (double)KB_CPU_SERIAL_WORK;
    pl.threads = serial ? 1 : threads;
    pl.kc = m->k < bl.kc ? m->k : bl.kc;
    pl.units = ceil_div(pl.kc, pl.kpu);
    /* Row blocks: at most bl.mc rows, a multiple of the threads in number
     * when there are enough rows, and of even size. */
    pl.mblocks = ceil_div(m->m, bl.mc);
    if (pl.mblocks >= pl.threads)
        pl.mblocks = ceil_div(pl.mblocks, pl.threads) * pl.threads;
    pl.mc = ceil_div(ceil_div(m->m, pl.mblocks), MR) * MR;
    pl.mblocks = ceil_div(m->m, pl.mc);
    int64_t n_padded = ceil_div(m->n, NR) * NR;
    pl.nc = n_padded < bl.nc ? n_padded : bl.nc;
    pl.b_bytes = kb_cpu_round((size_t)(pl.units * pl.nc) * 4);
    if (pl.path == PATH_I8_QUADS)
        pl.colsum_bytes = kb_cpu_round((size_t)pl.nc * sizeof(int32_t));
    pl.a_slice = kb_cpu_round((size_t)(pl.units * pl.mc) * 4);
    if (pl.path == PATH_F32 && m->c.dtype != KB_DTYPE_F32 && m->k > pl.kc)
        pl.sums_bytes = kb_cpu_round((size_t)(m->m * m->n) * sizeof(float));
    pl.tags_bytes = kb_cpu_round((size_t)threads * sizeof(int64_t));
    return pl;
}

kb_status kb_cpu_matmul_gemm_supports(void *ctx, const kb_problem *p, char *why, size_t why_len)
{
    if (!kb_cpu_has_avx2_fma_f16c())
        return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "needs AVX2, FMA and F16C");
    return kb_cpu_matmul_supports(ctx, p, why, why_len);
}

size_t kb_cpu_matmul_gemm_workspace(void *ctx, const kb_problem *p)
{
    const kb_matmul_params *m = &p->u.matmul;
    int threads = kb_cpu_threads(ctx);
    gemm_plan pl = make_plan(m, threads);
    return pl.b_bytes + pl.colsum_bytes + pl.a_slice * (size_t)threads + pl.sums_bytes +
           pl.tags_bytes + KB_CPU_ALIGN;
}

/* Shared state of one run; the step fields change between parallel_fors. */
typedef struct gemm_job {
    const gemm_plan *pl;
    const kb_matmul_params *m;
    kb_gemm_view a, b;
    unsigned char *bpack, *apack;
    int32_t *colsum; /* quad path: B's column sums per K block */
    int64_t *tags;   /* per thread: the row block its A slice holds, -1 none */
    /* the current (jc, pc) step */
    int64_t jc, ncur, pc, kcur, units;
    int64_t panels;       /* NR panels in ncur */
    int64_t chunks;       /* column chunks per row block */
    int64_t chunk_panels; /* NR panels per chunk */
    kb_gemm_out out;      /* float path */
    int accumulate;       /* i8 paths: add to C */
} gemm_job;

static void pack_b_task(void *arg, int64_t q0, int64_t q1, int tid)
{
    (void)tid;
    const gemm_job *job = arg;
    int64_t j0 = job->jc + q0 * NR, cols = kb_gemm_min(job->ncur - q0 * NR, (q1 - q0) * NR);
    unsigned char *dst = job->bpack + (size_t)(q0 * NR * job->units) * 4;
    if (job->pl->path == PATH_F32)
        kb_gemm_pack_b_f32(&job->b, job->pc, job->kcur, j0, cols, (float *)dst);
    else if (job->pl->path == PATH_I8_PAIRS)
        kb_gemm_pack_b_i8(&job->b, job->pc, job->kcur, j0, cols, (int32_t *)dst);
    else
        kb_gemm_pack_b_s8q(&job->b, job->pc, job->kcur, j0, cols, (int32_t *)dst,
                           job->colsum + q0 * NR);
}

static void compute_task(void *arg, int64_t it0, int64_t it1, int tid)
{
    gemm_job *job = arg;
    const gemm_plan *pl = job->pl;
    const kb_matmul_params *m = job->m;
    unsigned char *apack = job->apack + (size_t)tid * pl->a_slice;
    for (int64_t it = it0; it < it1; it++) {
        int64_t block = it / job->chunks, chunk = it % job->chunks;
        int64_t i0 = block * pl->mc, rows = kb_gemm_min(pl->mc, m->m - i0);
        if (job->tags[tid] != block) {
            if (pl->path == PATH_F32)
                kb_gemm_pack_a_f32(&job->a, i0, rows, job->pc, job->kcur, (float *)apack);
            else if (pl->path == PATH_I8_PAIRS)
                kb_gemm_pack_a_i8(&job->a, i0, rows, job->pc, job->kcur, (int32_t *)apack);
            else
                kb_gemm_pack_a_u8q(&job->a, i0, rows, job->pc, job->kcur, (int32_t *)apack);
            job->tags[tid] = block;
        }
        int64_t q0 = chunk * job->chunk_panels;
        int64_t cols = kb_gemm_min(job->ncur - q0 * NR, job->chunk_panels * NR);
        const unsigned char *b = job->bpack + (size_t)(q0 * NR * job->units) * 4;
        if (pl->path == PATH_F32) {
            kb_gemm_macro_f32(job->units, (const float *)apack, rows, (const float *)b, cols,
                              &job->out, i0, job->jc + q0 * NR);
        } else {
            int quads = pl->path == PATH_I8_QUADS;
            kb_gemm_macro_i8(quads ? kb_gemm_micro_u8s8 : kb_gemm_micro_i8, job->units,
                             (const int32_t *)apack, rows, (const int32_t *)b,
                             quads ? job->colsum + q0 * NR : NULL, cols, (int32_t *)m->c.data,
                             m->c.strides[0], job->accumulate, i0, job->jc + q0 * NR);
        }
    }
}

/* How the step [pc, pc + kcur) writes its tiles (see the top of the file). */
static void set_output(gemm_job *job, float *sums)
{
    const kb_matmul_params *m = job->m;
    int first = job->pc == 0, last = job->pc + job->kcur >= m->k;
    job->accumulate = first ? m->beta != 0.0f : 1;
    kb_gemm_out o = {m->c.data, m->c.dtype, m->c.strides[0], NULL, 0, m->alpha, m->beta};
    if (m->c.dtype == KB_DTYPE_F32) {
        if (!first)
            o.beta = 1.0f;
    } else if (sums) {
        if (last) {
            o.add = sums;
            o.add_ld = m->n;
        } else {
            o = (kb_gemm_out){sums, KB_DTYPE_F32, m->n, NULL, 0, 1.0f, first ? 0.0f : 1.0f};
        }
    }
    job->out = o;
}

kb_status kb_cpu_matmul_gemm(void *ctx, const kb_problem *p, void *ws, void *stream, char *err,
                             size_t err_len)
{
    (void)stream;
    kb_status st = kb_cpu_matmul_gemm_supports(ctx, p, err, err_len);
    if (st != KB_OK)
        return st;
    if (!ctx)
        return kb_fail(KB_ERR_INVALID, err, err_len, "plugin not initialised");
    if (!ws)
        return kb_fail(KB_ERR_INVALID, err, err_len, "workspace missing");
    const kb_matmul_params *m = &p->u.matmul;
    if (m->m == 0 || m->n == 0)
        return KB_OK;
    const kb_cpu_ctx *cc = ctx;
    gemm_plan pl = make_plan(m, cc->threads);

    gemm_job job;
    memset(&job, 0, sizeof job);
    job.pl = &pl;
    job.m = m;
    /* op(A) is M x K, op(B) is K x N; a transposed operand swaps the strides. */
    int64_t lda = m->a.strides[0], ldb = m->b.strides[0];
    job.a = (kb_gemm_view){m->a.data, m->a.dtype, m->m, m->k, m->trans_a ? 1 : lda,
                           m->trans_a ? lda : 1};
    job.b = (kb_gemm_view){m->b.data, m->b.dtype, m->k, m->n, m->trans_b ? 1 : ldb,
                           m->trans_b ? ldb : 1};
    unsigned char *base = kb_cpu_align_ptr(ws);
    job.bpack = base;
    base += pl.b_bytes;
    job.colsum = (int32_t *)base;
    base += pl.colsum_bytes;
    job.apack = base;
    base += pl.a_slice * (size_t)cc->threads;
    float *sums = pl.sums_bytes ? (float *)base : NULL;
    base += pl.sums_bytes;
    job.tags = (int64_t *)base;

    for (job.jc = 0; job.jc < m->n; job.jc += pl.nc) {
        job.ncur = kb_gemm_min(pl.nc, m->n - job.jc);
        job.panels = ceil_div(job.ncur, NR);
        /* Few row blocks: split the panels too, so every thread has work. */
        job.chunks = 1;
        if (pl.mblocks < pl.threads)
            job.chunks = kb_gemm_min(job.panels, ceil_div(pl.threads, pl.mblocks) * 2);
        job.chunk_panels = ceil_div(job.panels, job.chunks);
        job.chunks = ceil_div(job.panels, job.chunk_panels);
        int64_t items = pl.mblocks * job.chunks;
        for (job.pc = 0; job.pc == 0 || job.pc < m->k; job.pc += pl.kc) {
            job.kcur = kb_gemm_min(pl.kc, m->k - job.pc);
            job.units = ceil_div(job.kcur, pl.kpu);
            set_output(&job, sums);
            for (int t = 0; t < cc->threads; t++)
                job.tags[t] = -1;
            int64_t pack_grain = ceil_div(job.panels, pl.threads);
            kb_cpu_parallel_for(cc->pool, job.panels, pack_grain, pack_b_task, &job);
            kb_cpu_parallel_for(cc->pool, items, pl.threads == 1 ? items : 1, compute_task, &job);
            if (m->k == 0)
                break;
        }
    }
    return KB_OK;
}
