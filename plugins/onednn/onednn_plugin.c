/*
 * onednn_plugin.c - the onednn baseline plugin: what a user gets from
 * oneDNN's matmul primitive (f32, bf16/f16 where oneDNN has them, and the
 * s8 x s8 -> s32 int8 GEMM) instead of kbench's cpu kernels.
 * docs/baselines.md says what it computes and refuses.
 *
 * ISA: kbench's cpu kernels target AVX2, so by default oneDNN is capped at
 * AVX2 + VNNI (dnnl_set_max_cpu_isa(avx2_vnni)): no AVX-512, so the
 * comparison is one of code rather than of vector width.  VNNI is allowed
 * because without it oneDNN's int8 GEMM is not exact (matmul.c); on a CPU
 * without AVX-VNNI oneDNN falls back to plain AVX2 and int8 is refused.  Set
 * ONEDNN_MAX_CPU_ISA (e.g. AVX2, ALL, AVX512_CORE_BF16) to move the cap:
 * oneDNN reads it itself and the plugin then leaves the cap alone.  The cap
 * can be set once per process.
 *
 * Threads: Debian's oneDNN uses OpenMP (libgomp).  Its thread count is the
 * calling thread's OpenMP setting, so init and every run set it to the
 * harness's count (omp_set_num_threads).  When the placement names CPUs,
 * init binds the OpenMP workers (every team member but the caller, which is
 * the harness's thread and already bound) to those CPUs; workers that
 * libgomp starts later inherit the caller's binding.
 */
#define _GNU_SOURCE /* sched_setaffinity, cpu_set_t */
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dnnl_debug.h>
#include <omp.h>

#include "onednn.h"

void kb_dnnl_use_threads(const kb_dnnl_ctx *ctx)
{
    omp_set_num_threads(ctx->threads);
}

const char *kb_dnnl_isa_name(dnnl_cpu_isa_t isa)
{
    switch (isa) {
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    default: return "other";
    }
}

int kb_dnnl_isa_has_vnni(dnnl_cpu_isa_t isa)
{
    return isa == dnnl_cpu_isa_avx2_vnni || isa == dnnl_cpu_isa_avx512_core_vnni ||
           isa == dnnl_cpu_isa_avx512_core_bf16 || isa == dnnl_cpu_isa_avx512_core_amx;
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

/* Cap the ISA at AVX2 + VNNI unless the user chose one; oneDNN accepts this
 * only before its first dispatch, so later inits get "cannot change"
 * (ignored: the cap is already in force). */
static void cap_isa(void)
{
    if (getenv("ONEDNN_MAX_CPU_ISA") || getenv("DNNL_MAX_CPU_ISA"))
        return;
    (void)dnnl_set_max_cpu_isa(dnnl_cpu_isa_avx2_vnni);
}

/* Bind every OpenMP worker of a team of `threads` to the placement's CPUs. */
static int bind_omp_workers(const kb_host_context *host)
{
    if (host->cpu_count <= 0)
        return 0;
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int i = 0; i < host->cpu_count; i++)
        if (host->cpus[i] >= 0 && host->cpus[i] < CPU_SETSIZE)
            CPU_SET((size_t)host->cpus[i], &set);
    int failed = 0;
#pragma omp parallel num_threads(host->threads) reduction(+ : failed)
    if (omp_get_thread_num() != 0)
        failed += sched_setaffinity(0, sizeof set, &set) != 0;
    return failed;
}

static void dn_fini(void *plugin_ctx)
{
    kb_dnnl_ctx *ctx = plugin_ctx;
    if (!ctx)
        return;
    kb_dnnl_cache_clear(ctx);
    if (ctx->stream)
        dnnl_stream_destroy(ctx->stream);
    if (ctx->engine)
        dnnl_engine_destroy(ctx->engine);
    pthread_mutex_destroy(&ctx->lock);
    free(ctx);
    /* Join the idle OpenMP workers (the next init's first parallel region
     * starts new ones, bound to the new placement).  Workers left alive at
     * exit carry oneDNN's thread-local blocks, and LeakSanitizer's exit scan
     * crashes reading them ("Tracer caught signal 11"). */
    omp_pause_resource_all(omp_pause_hard);
}

static kb_status dn_init(const kb_host_context *host, void **plugin_ctx, char *err, size_t err_len)
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
    cap_isa();
    kb_dnnl_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return kb_fail(KB_ERR_NOMEM, err, err_len, "out of memory for the plugin context");
    pthread_mutex_init(&ctx->lock, NULL);
    ctx->threads = host->threads;
    ctx->isa = dnnl_get_effective_cpu_isa();
    dnnl_status_t s = dnnl_engine_create(&ctx->engine, dnnl_cpu, 0);
    if (s == dnnl_success)
        s = dnnl_stream_create(&ctx->stream, ctx->engine, dnnl_stream_default_flags);
    if (s != dnnl_success) {
        dn_fini(ctx);
        return kb_fail(KB_ERR_DEVICE, err, err_len, "oneDNN CPU engine: %s",
                          dnnl_status2str(s));
    }
    kb_dnnl_use_threads(ctx);
    if (bind_omp_workers(host))
        say(host, KB_LOG_WARN, "cannot bind the OpenMP workers to the placement's CPUs");
    const dnnl_version_t *v = dnnl_version();
    say(host, KB_LOG_INFO, "oneDNN %d.%d.%d, ISA %s, %d OpenMP threads", v->major,
        v->minor, v->patch, kb_dnnl_isa_name(ctx->isa), ctx->threads);
    *plugin_ctx = ctx;
    return KB_OK;
}

static const kb_kernel kernels[] = {
    {"matmul", KB_OP_MATMUL,
     "oneDNN matmul primitive (cached per shape): f32, bf16/f16 where implemented, s8 x s8 -> s32",
     kb_dnnl_matmul_supports, kb_dnnl_matmul_workspace, kb_dnnl_matmul_run},
};

static const kb_plugin plugin = {
    .abi_version = KB_ABI_VERSION,
    .struct_size = sizeof(kb_plugin),
    .name = "onednn",
    .version = "0.1.0",
    .backend = KB_BACKEND_HOST,
    .description = "baseline: oneDNN matmul primitive (ISA capped at AVX2+VNNI unless ONEDNN_MAX_CPU_ISA)",
    .init = dn_init,
    .fini = dn_fini,
    .kernel_count = sizeof kernels / sizeof kernels[0],
    .kernels = kernels,
};

KB_PLUGIN_ENTRY
{
    return &plugin;
}
