/*
 * lt_state.h - the cublas plugin's state and its cuBLASLt entry points, for
 * the files that include CUDA headers (cublas_plugin.c, lt_matmul.c).
 */
#ifndef KBCL_LT_STATE_H
#define KBCL_LT_STATE_H

#include <cublasLt.h>

#include "kbc.h"
#include "lt_plan.h"

/* What init makes.  `base` must stay the first member: the device hooks
 * shared with the cuda plugin (plugins/cuda/device.c) take the plugin
 * context as a kbc_context *. */
typedef struct kbcl_state {
    kbc_context base;
    cublasLtHandle_t lt;
    kbcl_algo_cache cache;
} kbcl_state;

/* "what: CUBLAS_STATUS_...: description" into err, and the status that
 * fits: unsupported configuration, out of memory, a plugin bug (invalid
 * value), or a device failure. */
static inline kb_status kbcl_lt_error(cublasStatus_t s, const char *what, char *err, size_t err_len)
{
    kb_status st;
    switch (s) {
    case CUBLAS_STATUS_NOT_SUPPORTED:
    case CUBLAS_STATUS_ARCH_MISMATCH: st = KB_ERR_UNSUPPORTED; break;
    case CUBLAS_STATUS_ALLOC_FAILED: st = KB_ERR_NOMEM; break;
    case CUBLAS_STATUS_INVALID_VALUE: st = KB_ERR_INTERNAL; break;
    default: st = KB_ERR_DEVICE; break;
    }
    return kb_fail(st, err, err_len, "%s: %s: %s", what, cublasLtGetStatusName(s), cublasLtGetStatusString(s));
}

/* matmul "lt" (lt_matmul.c). */
kb_status kbcl_matmul_lt_supports(void *plugin_ctx, const kb_problem *p, char *why, size_t why_len);
size_t kbcl_matmul_lt_workspace(void *plugin_ctx, const kb_problem *p);
kb_status kbcl_matmul_lt_run(void *plugin_ctx, const kb_problem *p, void *workspace, void *stream, char *err,
                             size_t err_len);

#endif /* KBCL_LT_STATE_H */
