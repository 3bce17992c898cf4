/*
 * cpu_plugin.c - the cpu plugin's descriptor, init/fini and the checks the
 * op files share.  First version: portable C loops the compiler vectorises,
 * threads from a persistent pool; intrinsics come later.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cpu.h"

int kb_cpu_has_avx2_fma_f16c(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
           __builtin_cpu_supports("f16c");
}

static void cpu_fini(void *plugin_ctx)
{
    kb_cpu_ctx *ctx = plugin_ctx;
    if (!ctx)
        return;
    kb_cpu_pool_destroy(ctx->pool);
    free(ctx->f16_to_f32);
    free(ctx->cpus);
    free(ctx);
}

static kb_status cpu_init(const kb_host_context *host, void **plugin_ctx, char *err,
                          size_t err_len)
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

    kb_cpu_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return kb_fail(KB_ERR_NOMEM, err, err_len, "out of memory for the plugin context");
    ctx->threads = host->threads;
    ctx->cpu_count = host->cpu_count;
    if (ctx->cpu_count > 0) {
        ctx->cpus = malloc((size_t)ctx->cpu_count * sizeof *ctx->cpus);
        if (!ctx->cpus) {
            cpu_fini(ctx);
            return kb_fail(KB_ERR_NOMEM, err, err_len, "out of memory for the cpu set");
        }
        memcpy(ctx->cpus, host->cpus, (size_t)ctx->cpu_count * sizeof *ctx->cpus);
    }
    ctx->f16_to_f32 = malloc(65536 * sizeof(float));
    if (!ctx->f16_to_f32) {
        cpu_fini(ctx);
        return kb_fail(KB_ERR_NOMEM, err, err_len, "out of memory for the f16 table");
    }
    for (uint32_t h = 0; h < 65536; h++)
        ctx->f16_to_f32[h] = kb_f16_to_f32((uint16_t)h);
    ctx->pool = kb_cpu_pool_create(ctx->threads, ctx->cpus, ctx->cpu_count, err, err_len);
    if (!ctx->pool) {
        cpu_fini(ctx);
        return KB_ERR_INTERNAL;
    }
    *plugin_ctx = ctx;
    return KB_OK;
}

static const kb_kernel kernels[] = {
    {"twopass", KB_OP_SOFTMAX, "max pass, exp-sum pass, normalise pass; f32 math",
     kb_cpu_softmax_supports, kb_cpu_softmax_workspace, kb_cpu_softmax_twopass},
    {"online", KB_OP_SOFTMAX, "online softmax (Milakov & Gimelshein 2018); f32 math",
     kb_cpu_softmax_supports, kb_cpu_softmax_workspace, kb_cpu_softmax_online},
    {"avx2", KB_OP_SOFTMAX, "AVX2/FMA: max, exp and write passes over an L1-resident row, one exp per element; online for long rows",
     kb_cpu_softmax_avx2_supports, kb_cpu_softmax_avx2_workspace, kb_cpu_softmax_avx2},
    {"rowwise", KB_OP_ATTENTION, "one query row at a time, f32 score row of length Skv",
     kb_cpu_attention_rowwise_supports, kb_cpu_attention_rowwise_workspace,
     kb_cpu_attention_rowwise},
    {"online", KB_OP_ATTENTION, "FlashAttention-style key blocks with online softmax",
     kb_cpu_attention_online_supports, kb_cpu_attention_online_workspace,
     kb_cpu_attention_online},
    {"flash", KB_OP_ATTENTION, "AVX2/FMA FlashAttention: 64x64 tiles, register-tiled Q K^T and P V, online softmax",
     kb_cpu_attention_flash_supports, kb_cpu_attention_flash_workspace,
     kb_cpu_attention_flash},
    {"basic", KB_OP_QUANTIZE, "int8 absmax (tensor/row/group), dequant, casts, VQ",
     kb_cpu_quantize_supports, kb_cpu_quantize_workspace, kb_cpu_quantize_basic},
    {"avx2", KB_OP_QUANTIZE, "AVX2/FMA/F16C: exact int8 (vdivps + tie fix-up), dequant, bit-exact casts; VQ as 6x16 FMA tiles",
     kb_cpu_quantize_avx2_supports, kb_cpu_quantize_avx2_workspace, kb_cpu_quantize_avx2},
    {"simple", KB_OP_MATMUL, "packed f32 panels, 4x8 register tiles; i8 exact",
     kb_cpu_matmul_supports, kb_cpu_matmul_workspace, kb_cpu_matmul_simple},
    {"gemm", KB_OP_MATMUL, "AVX2/FMA BLIS-style packed GEMM: 6x16 tiles, cache-sized blocks; i8 exact via vpmaddwd, or vpdpbusd with AVX-VNNI",
     kb_cpu_matmul_gemm_supports, kb_cpu_matmul_gemm_workspace, kb_cpu_matmul_gemm},
};

static const kb_plugin plugin = {
    .abi_version = KB_ABI_VERSION,
    .struct_size = sizeof(kb_plugin),
    .name = "cpu",
    .version = "0.1.0",
    .backend = KB_BACKEND_HOST,
    .description = "threaded CPU kernels: plain C, and AVX2/FMA/F16C ones chosen at run time",
    .init = cpu_init,
    .fini = cpu_fini,
    .kernel_count = sizeof kernels / sizeof kernels[0],
    .kernels = kernels,
};

KB_PLUGIN_ENTRY
{
    return &plugin;
}
