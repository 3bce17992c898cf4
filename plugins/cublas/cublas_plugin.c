/*
 * cublas_plugin.c - the cublas baseline plugin: what users would call
 * instead of hand-written CUDA kernels.  Descriptor, kernel table,
 * init/fini.  The memory hooks are the cuda plugin's (plugins/cuda/device.c),
 * the matmul is lt_matmul.c.
 */
#include <stdlib.h>

#include <cuda_runtime_api.h>

#include "device.h"
#include "lt_state.h"

static void cublas_fini(void *plugin_ctx)
{
    kbcl_state *s = plugin_ctx;
    if (!s)
        return;
    if (s->lt) {
        /* Work still queued on any stream may use the handle's resources. */
        cudaDeviceSynchronize();
        cublasLtDestroy(s->lt);
        s->lt = NULL;
    }
    kbc_context_fini(&s->base);
    free(s);
}

static kb_status cublas_init(const kb_host_context *host, void **plugin_ctx, char *err, size_t err_len)
{
    *plugin_ctx = NULL;
    if (!host || host->abi_version != KB_ABI_VERSION)
        return kb_fail(KB_ERR_INVALID, err, err_len, "host context missing or ABI mismatch");
    kbcl_state *s = calloc(1, sizeof *s);
    if (!s)
        return kb_fail(KB_ERR_NOMEM, err, err_len, "out of host memory");
    /* The device first: without a driver or GPU its message is the reason
     * `kbench list` shows. */
    kb_status st = kbc_context_init(&s->base, err, err_len);
    if (st == KB_OK) {
        cublasStatus_t cs = cublasLtCreate(&s->lt);
        if (cs != CUBLAS_STATUS_SUCCESS) {
            s->lt = NULL;
            st = kbcl_lt_error(cs, "cublasLtCreate", err, err_len);
        }
    }
    if (st != KB_OK) {
        cublas_fini(s);
        return st;
    }
    *plugin_ctx = s;
    return KB_OK;
}

static const kb_kernel kernels[] = {
    {"lt", KB_OP_MATMUL,
     "cuBLASLt matmul, f32 compute (no TF32); i8 needs tb=1 (cuBLAS's TN form); missing C dtypes via f32 + a cast",
     kbcl_matmul_lt_supports, kbcl_matmul_lt_workspace, kbcl_matmul_lt_run},
};

static const kb_plugin plugin = {
    .abi_version = KB_ABI_VERSION,
    .struct_size = sizeof(kb_plugin),
    .name = "cublas",
    .version = "0.1.0",
    .backend = KB_BACKEND_CUDA,
    .description = "NVIDIA cuBLASLt baseline (matmul)",
    .init = cublas_init,
    .fini = cublas_fini,
    .device = KBC_DEVICE_HOOKS,
    .kernel_count = sizeof kernels / sizeof kernels[0],
    .kernels = kernels,
};

KB_PLUGIN_ENTRY
{
    return &plugin;
}
