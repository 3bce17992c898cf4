/*
 * cuda_check.h - turning a failed CUDA runtime call into a kb_status and a
 * one-line message.  Every CUDA call and every launch in the plugin goes
 * through one of these: an unchecked error surfaces later, in the wrong place.
 */
#ifndef KBC_CUDA_CHECK_H
#define KBC_CUDA_CHECK_H

#include <cuda_runtime_api.h>

#include "kbc.h"

/* "what: cudaErrorName: description" into err; KB_ERR_NOMEM for an
 * allocation failure, KB_ERR_DEVICE otherwise. */
static inline kb_status kbc_cuda_error(cudaError_t e, const char *what, char *err, size_t err_len)
{
    return kb_fail(e == cudaErrorMemoryAllocation ? KB_ERR_NOMEM : KB_ERR_DEVICE, err, err_len,
                    "%s: %s: %s", what, cudaGetErrorName(e), cudaGetErrorString(e));
}

/* Return from the calling function if `call` fails. */
#define KBC_TRY(call, what, err, err_len)                                                   \
    do {                                                                                    \
        cudaError_t kbc_e_ = (call);                                                        \
        if (kbc_e_ != cudaSuccess)                                                          \
            return kbc_cuda_error(kbc_e_, (what), (err), (err_len));                         \
    } while (0)

/* After a launch: a bad configuration shows up in cudaGetLastError. */
#define KBC_CHECK_LAUNCH(kernel_name, err, err_len) KBC_TRY(cudaGetLastError(), "launch " kernel_name, err, err_len)

/* The stream run() should enqueue on. */
static inline cudaStream_t kbc_stream(const kbc_context *c, void *stream)
{
    return stream ? (cudaStream_t)stream : (cudaStream_t)c->stream;
}

#endif /* KBC_CUDA_CHECK_H */
