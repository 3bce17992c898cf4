/*
 * cuda_plugin.c - the cuda plugin's descriptor, kernel table and init/fini.
 * The kernels are in the .cu files, their host-side checks in plan_<op>.c,
 * the memory hooks in device.c.
 */
#include <stdlib.h>

#include "device.h"
#include "kernels.h"

static kb_status cuda_init(const kb_host_context *host, void **plugin_ctx, char *err, size_t err_len)
{
    *plugin_ctx = NULL;
    if (!host || host->abi_version != KB_ABI_VERSION)
        return kb_fail(KB_ERR_INVALID, err, err_len, "host context missing or ABI mismatch");
    kbc_context *c = calloc(1, sizeof *c);
    if (!c)
        return kb_fail(KB_ERR_NOMEM, err, err_len, "out of host memory");
    kb_status st = kbc_context_init(c, err, err_len);
    if (st != KB_OK) {
        kbc_context_fini(c);
        free(c);
        return st;
    }
    *plugin_ctx = c;
    return KB_OK;
}

static void cuda_fini(void *plugin_ctx)
{
    kbc_context_fini(plugin_ctx);
    free(plugin_ctx);
}

#define KERNEL(name, op, description, prefix) \
    { name, op, description, prefix##_supports, prefix##_workspace, prefix##_run }

static const kb_kernel kernels[] = {
    KERNEL("online", KB_OP_SOFTMAX, "row per warp or per block, online max/sum, 16-byte loads",
           kbc_softmax_online),
    KERNEL("flash2", KB_OP_ATTENTION, "FlashAttention-2 forward on tensor cores (mma.sync), f16/bf16",
           kbc_attention_flash2),
    KERNEL("simt", KB_OP_ATTENTION, "one warp per query row, online softmax, f32 FMA; every dtype",
           kbc_attention_simt),
    KERNEL("tc", KB_OP_MATMUL, "tensor-core GEMM (mma.sync), multi-stage cp.async pipeline; f16/bf16, i8",
           kbc_matmul_tc),
    KERNEL("simt", KB_OP_MATMUL, "shared-memory tiled f32 FMA GEMM; every float path",
           kbc_matmul_simt),
    KERNEL("vec", KB_OP_QUANTIZE, "every mode, vectorised; VQ as a tiled distance GEMM",
           kbc_quantize_vec),
};

static const kb_plugin plugin = {
    .abi_version = KB_ABI_VERSION,
    .struct_size = sizeof(kb_plugin),
    .name = "cuda",
    .version = "0.1.0",
    .backend = KB_BACKEND_CUDA,
    .description = "NVIDIA GPU kernels (tensor cores), sm_80 and sm_90",
    .init = cuda_init,
    .fini = cuda_fini,
    .device = KBC_DEVICE_HOOKS,
    .kernel_count = sizeof kernels / sizeof kernels[0],
    .kernels = kernels,
};

KB_PLUGIN_ENTRY
{
    return &plugin;
}
