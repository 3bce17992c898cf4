/*
 * openblas.h - what the openblas plugin's files share: the plugin context,
 * the row-parallel helpers and the kernels' entry points.
 */
#ifndef KB_OPENBLAS_H
#define KB_OPENBLAS_H

#include <stddef.h>
#include <stdint.h>

#include <kbench/kbench.h>

#include "../baseline/baseline.h"
#include "../cpu/threads.h" /* the cpu plugin's persistent pool: conversions and the softmax */

/* State made by init for one placement. */
typedef struct kb_ob_ctx {
    int threads;
    kb_cpu_pool *pool; /* our own work (conversions, softmax); OpenBLAS has its own pool */
} kb_ob_ctx;

/* Below this many elements a conversion or softmax runs as one chunk on the
 * calling thread: waking pool workers costs tens of microseconds here. */
#define KB_OB_SERIAL_ELEMS ((int64_t)1 << 16)

#define KB_OB_ALIGN 64

static inline size_t kb_ob_round(size_t n)
{
    return (n + KB_OB_ALIGN - 1) & ~(size_t)(KB_OB_ALIGN - 1);
}

/* Decode a matrix of `rows` x `cols` (dtype t, row stride ld elements) into
 * packed f32 [rows x cols], rows spread over the pool. */
void kb_ob_matrix_to_f32(kb_ob_ctx *ctx, kb_dtype t, const void *src, int64_t ld, int64_t rows,
                         int64_t cols, float *dst);

/* Encode packed f32 [rows x cols] into a matrix of dtype t with row stride ld. */
void kb_ob_matrix_from_f32(kb_ob_ctx *ctx, kb_dtype t, const float *src, int64_t rows,
                           int64_t cols, void *dst, int64_t ld);

/* matmul (sgemm.c) */
kb_status kb_ob_sgemm_supports(void *ctx, const kb_problem *p, char *why, size_t why_len);
kb_status kb_ob_sgemm_f32_supports(void *ctx, const kb_problem *p, char *why, size_t why_len);
size_t kb_ob_sgemm_workspace(void *ctx, const kb_problem *p);
kb_status kb_ob_sgemm_run(void *ctx, const kb_problem *p, void *ws, void *stream, char *err,
                          size_t err_len);

/* attention (attention.c) */
kb_status kb_ob_attention_supports(void *ctx, const kb_problem *p, char *why, size_t why_len);
size_t kb_ob_attention_workspace(void *ctx, const kb_problem *p);
kb_status kb_ob_attention_run(void *ctx, const kb_problem *p, void *ws, void *stream, char *err,
                              size_t err_len);

#endif /* KB_OPENBLAS_H */
