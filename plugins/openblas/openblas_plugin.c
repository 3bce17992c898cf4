/*
 * openblas_plugin.c - the openblas baseline plugin: what a user gets by
 * calling OpenBLAS's cblas_sgemm instead of kbench's cpu kernels (matmul,
 * f16/bf16 converted to f32 first), and attention composed the naive way from
 * two sgemms and a softmax.  docs/baselines.md says what each kernel computes.
 *
 * Threads: OpenBLAS runs its own pthreads pool (Debian's libopenblas0-pthread).
 * init sizes it to the harness's thread count with openblas_set_num_threads
 * and binds its workers to the placement's CPUs with openblas_setaffinity
 * (Debian builds OpenBLAS with NO_AFFINITY, so it never pins anything
 * itself).  The calling thread, which OpenBLAS also computes
 * on, is the harness's thread, already bound to the placement.  Our own work
 * (f16/bf16 conversions, the softmax) runs on the cpu plugin's pool, pinned
 * one worker per CPU of the placement.
 */
#define _GNU_SOURCE /* cpu_set_t for cblas.h's openblas_setaffinity */
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "openblas.h"

typedef struct conv_job {
    kb_dtype t;
    const unsigned char *src; /* matrix of dtype t */
    int64_t ld;
    int64_t cols;
    float *f32; /* packed f32 rows */
    unsigned char *dst;
} conv_job;

static void to_f32_rows(void *arg, int64_t r0, int64_t r1, int tid)
{
    (void)tid;
    const conv_job *j = arg;
    size_t es = kb_dtype_size(j->t);
    for (int64_t r = r0; r < r1; r++)
        kb_bl_to_f32(j->t, j->src + (size_t)(r * j->ld) * es, j->cols, j->f32 + r * j->cols);
}

static void from_f32_rows(void *arg, int64_t r0, int64_t r1, int tid)
{
    (void)tid;
    const conv_job *j = arg;
    size_t es = kb_dtype_size(j->t);
    for (int64_t r = r0; r < r1; r++)
        kb_bl_from_f32(j->t, j->f32 + r * j->cols, j->cols, j->dst + (size_t)(r * j->ld) * es);
}

/* Rows per chunk: all of them for a small matrix, else enough for ~16K elements. */
static int64_t row_grain(int64_t rows, int64_t cols)
{
    if (rows * cols <= KB_OB_SERIAL_ELEMS)
        return rows > 0 ? rows : 1;
    int64_t g = ((int64_t)1 << 14) / (cols > 0 ? cols : 1);
    return g > 0 ? g : 1;
}

void kb_ob_matrix_to_f32(kb_ob_ctx *ctx, kb_dtype t, const void *src, int64_t ld, int64_t rows,
                         int64_t cols, float *dst)
{
    conv_job j = {t, src, ld, cols, dst, NULL};
    kb_cpu_parallel_for(ctx->pool, rows, row_grain(rows, cols), to_f32_rows, &j);
}

void kb_ob_matrix_from_f32(kb_ob_ctx *ctx, kb_dtype t, const float *src, int64_t rows,
                           int64_t cols, void *dst, int64_t ld)
{
    conv_job j = {t, NULL, ld, cols, (float *)src, dst};
    kb_cpu_parallel_for(ctx->pool, rows, row_grain(rows, cols), from_f32_rows, &j);
}

static void say(const kb_host_context *host, kb_log_level level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void say(const kb_host_context *host, kb_log_level level, const char *fmt, ...)
{
    if (!host->log)
        return;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    host->log(host->log_user, level, msg);
}

/* Bind OpenBLAS's worker threads (indices 0 .. n-2; n-1 is the caller) to the
 * placement's CPUs, or, for an unbound placement, to wherever the caller may
 * run (undoing an earlier placement's binding: OpenBLAS's threads live as
 * long as the process).  Each may run on any CPU of the set: OpenBLAS hands
 * out its own work, so one-to-one pinning would buy nothing and could stack
 * a worker on the caller's CPU. */
static void bind_openblas_workers(const kb_host_context *host)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    if (host->cpu_count > 0) {
        for (int i = 0; i < host->cpu_count; i++)
            if (host->cpus[i] >= 0 && host->cpus[i] < CPU_SETSIZE)
                CPU_SET((size_t)host->cpus[i], &set);
    } else if (sched_getaffinity(0, sizeof set, &set) != 0) {
        return;
    }
    int n = openblas_get_num_threads();
    for (int i = 0; i + 1 < n; i++)
        if (openblas_setaffinity(i, sizeof set, &set) != 0)
            say(host, KB_LOG_WARN, "cannot bind OpenBLAS worker %d to the placement's CPUs", i);
}

static void ob_fini(void *plugin_ctx)
{
    kb_ob_ctx *ctx = plugin_ctx;
    if (!ctx)
        return;
    kb_cpu_pool_destroy(ctx->pool);
    free(ctx);
}

static kb_status ob_init(const kb_host_context *host, void **plugin_ctx, char *err, size_t err_len)
{
    *plugin_ctx = NULL;
    if (!host || host->abi_version != KB_ABI_VERSION)
        return kb_fail(KB_ERR_INVALID, err, err_len, "host context missing or ABI mismatch");
    if (host->threads < 1 || host->threads > 4096)
        return kb_fail(KB_ERR_INVALID, err, err_len, "threads = %d, expected 1..4096",
                          (int)host->threads);
    if (host->cpu_count < 0 || (host->cpu_count > 0 && !host->cpus))
        return kb_fail(KB_ERR_INVALID, err, err_len, "bad cpu set (count %d)",
                          (int)host->cpu_count);
    kb_ob_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return kb_fail(KB_ERR_NOMEM, err, err_len, "out of memory for the plugin context");
    ctx->threads = host->threads;
    ctx->pool = kb_cpu_pool_create(ctx->threads, host->cpus, host->cpu_count, err, err_len);
    if (!ctx->pool) {
        free(ctx);
        return KB_ERR_INTERNAL;
    }
    openblas_set_num_threads(ctx->threads);
    bind_openblas_workers(host);
    say(host, KB_LOG_INFO, "%s; %d threads", openblas_get_config(),
        openblas_get_num_threads());
    *plugin_ctx = ctx;
    return KB_OK;
}

static const kb_kernel kernels[] = {
    {"sgemm", KB_OP_MATMUL, "cblas_sgemm after converting f16/bf16 A and B to f32 (conversion timed)",
     kb_ob_sgemm_supports, kb_ob_sgemm_workspace, kb_ob_sgemm_run},
    {"sgemm_f32", KB_OP_MATMUL, "cblas_sgemm on f32 A and B as given (no conversion)",
     kb_ob_sgemm_f32_supports, kb_ob_sgemm_workspace, kb_ob_sgemm_run},
    {"composed", KB_OP_ATTENTION,
     "per head: sgemm S = Q K^T (Sq x Skv f32), softmax, sgemm O = P V",
     kb_ob_attention_supports, kb_ob_attention_workspace, kb_ob_attention_run},
};

static const kb_plugin plugin = {
    .abi_version = KB_ABI_VERSION,
    .struct_size = sizeof(kb_plugin),
    .name = "openblas",
    .version = "0.1.0",
    .backend = KB_BACKEND_HOST,
    .description = "baseline: OpenBLAS sgemm and attention composed from sgemm + softmax",
    .init = ob_init,
    .fini = ob_fini,
    .kernel_count = sizeof kernels / sizeof kernels[0],
    .kernels = kernels,
};

KB_PLUGIN_ENTRY
{
    return &plugin;
}
