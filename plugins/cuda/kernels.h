/*
 * kernels.h - the cuda plugin's kernel entry points, as the descriptor in
 * cuda_plugin.c lists them.  Each has the signature of the matching kb_kernel
 * member; `plugin_ctx` is the kbc_context init made (NULL in unit tests of
 * supports()).
 *
 * supports() and workspace functions live in plan_<op>.c (no CUDA needed),
 * run() functions in the .cu files: a run() enqueues on `stream` (NULL: the
 * plugin's own), checks every launch, and does not synchronize.
 */
#ifndef KBC_KERNELS_H
#define KBC_KERNELS_H

#include "kbc.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KBC_KERNEL_FNS(prefix)                                                                   \
    kb_status prefix##_supports(void *plugin_ctx, const kb_problem *p, char *why, size_t why_len); \
    size_t prefix##_workspace(void *plugin_ctx, const kb_problem *p);                            \
    kb_status prefix##_run(void *plugin_ctx, const kb_problem *p, void *workspace, void *stream,   \
                           char *err, size_t err_len)

/* softmax "online": row per warp (short rows) or per block (long rows),
 * online max/sum, 16-byte vector loads; f32, f16, bf16. */
KBC_KERNEL_FNS(kbc_softmax_online);

/* attention "flash2": FlashAttention-2 forward on tensor cores (mma.sync),
 * f16 and bf16, f32 accumulation, causal tiles skipped, GQA, LSE. */
KBC_KERNEL_FNS(kbc_attention_flash2);
/* attention "simt": plain f32-arithmetic variant for every dtype and head
 * dimension (no tensor cores); the yardstick for flash2's gain. */
KBC_KERNEL_FNS(kbc_attention_simt);

/* matmul "tc": tensor-core GEMM (f16/bf16 -> f32/f16/bf16, i8 -> i32),
 * shared-memory tiles filled by a multi-stage cp.async pipeline. */
KBC_KERNEL_FNS(kbc_matmul_tc);
/* matmul "simt": shared-memory tiled FMA GEMM for every float path (f32
 * included); no tensor cores. */
KBC_KERNEL_FNS(kbc_matmul_simt);

/* quantize "vec": every mode; vectorised, memory-bound; VQ as a tiled
 * distance GEMM with the lowest-index tie rule. */
KBC_KERNEL_FNS(kbc_quantize_vec);

#ifdef __cplusplus
}
#endif
#endif /* KBC_KERNELS_H */
