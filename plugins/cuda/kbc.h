/*
 * kbc.h - what the cuda plugin's files share: the plugin context, CUDA error
 * reporting, and helpers the plan files share
 * (the tensor and problem checks are <kbench/checks.h>).  Plain C, included by the .cu files too.
 * Nothing here is exported from kb_cuda.so (hidden visibility).
 *
 * Where each piece lives:
 *   cuda_plugin.c   descriptor, kernel table, init/fini
 *   device.c        the memory hooks, event timer, cache flush, device info, copy
 *   plan_<op>.c     host-side decisions (supports(), launch shapes): plain C,
 *                   no CUDA headers, unit-tested on machines without a GPU
 *   <op>*.cu        the kernels and their launchers (run())
 */
#ifndef KBC_H
#define KBC_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <kbench/checks.h>
#include <kbench/kbench.h>

#ifdef __cplusplus
extern "C" {
#endif

/* State made by init: one device, one stream, two events.  The .cu files see
 * CUDA handles as void * so that this header needs no CUDA include. */
typedef struct kbc_context {
    int device;
    void *stream;          /* cudaStream_t: the plugin's stream, used when run() gets NULL */
    void *timer_begin;     /* cudaEvent_t */
    void *timer_end;       /* cudaEvent_t */
    int sm_count;          /* multiprocessors */
    int cc_major, cc_minor;
    size_t l2_bytes;
    size_t smem_optin;     /* shared memory one block may opt in to (bytes) */
    void *flush_buffer;    /* device buffer larger than L2, for flush_cache */
    size_t flush_bytes;
} kbc_context;

/* kb_fail and the tensor and problem checks (kb_check_tensor, ...) are
 * <kbench/checks.h>'s. */

/* 1 if `t`'s data pointer and every outer stride allow `bytes`-wide vector
 * accesses along the innermost dimension (bytes a power of two). */
int kbc_vector_ok(const kb_tensor *t, size_t bytes);

#ifdef __cplusplus
}
#endif
#endif /* KBC_H */
