/*
 * cast.h - the two element-wise kernels of the via_f32 path (lt_plan.h):
 * widen C (f16/bf16) into the f32 buffer before a beta != 0 matmul, and
 * round the buffer into C afterwards (round to nearest even, once).
 * Both enqueue on `stream` (a cudaStream_t), check the launch and return.
 */
#ifndef KBCL_CAST_H
#define KBCL_CAST_H

#include "kbc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* dst[r * dst_ld + c] = src[r * src_ld + c] for r < rows, c < cols. */
kb_status kbcl_cast_to_f32(const void *src, kb_dtype src_dtype, int64_t src_ld, float *dst, int64_t dst_ld,
                           int64_t rows, int64_t cols, void *stream, char *err, size_t err_len);
kb_status kbcl_cast_from_f32(const float *src, int64_t src_ld, void *dst, kb_dtype dst_dtype, int64_t dst_ld,
                             int64_t rows, int64_t cols, void *stream, char *err, size_t err_len);

#ifdef __cplusplus
}
#endif
#endif /* KBCL_CAST_H */
