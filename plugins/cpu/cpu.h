/*
 * cpu.h - what the cpu plugin's files share: the plugin context, tensor
 * checks, workspace carving, row conversions and the per-op entry points.
 * Internal: nothing here is exported from kb_cpu.so (hidden visibility).
 */
#ifndef KB_CPU_H
#define KB_CPU_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <kbench/checks.h>
#include <kbench/kbench.h>

#include "threads.h"

/* State made by init for one placement. */
typedef struct kb_cpu_ctx {
    int threads;       /* participants in every parallel_for */
    int cpu_count;     /* entries in cpus; 0 = not pinned */
    int32_t *cpus;     /* copy of the harness's CPU set */
    kb_cpu_pool *pool;
    float *f16_to_f32; /* 65536 entries filled with kb_f16_to_f32: a fast, exact decode */
} kb_cpu_ctx;

/* Participants to size per-thread workspace for (1 if init never ran). */
static inline int kb_cpu_threads(const void *plugin_ctx)
{
    return plugin_ctx ? ((const kb_cpu_ctx *)plugin_ctx)->threads : 1;
}

/* --- messages and checks (cpu_plugin.c) --------------------------------- */

/* 1 if this CPU runs the *_avx2.c kernels (AVX2, FMA and F16C), else 0. */
int kb_cpu_has_avx2_fma_f16c(void);

/* kb_fail and the tensor and problem checks (kb_check_tensor, ...) are
 * <kbench/checks.h>'s. */

/* Below this much work (elements touched, or FLOPs) a kernel runs on one
 * thread: handing work to the pool costs tens of microseconds in a VM and
 * varies between runs, which would swamp both the result and its noise. */
#define KB_CPU_SERIAL_WORK ((int64_t)1 << 16)

/* --- workspace ------------------------------------------------------------ */

#define KB_CPU_ALIGN 64 /* cache line: per-thread slices never share one */

static inline size_t kb_cpu_round(size_t n)
{
    return (n + KB_CPU_ALIGN - 1) & ~(size_t)(KB_CPU_ALIGN - 1);
}

/* Workspace pointers are aligned up by at most KB_CPU_ALIGN - 1 bytes, so every
 * workspace_bytes() adds KB_CPU_ALIGN to its total. */
static inline unsigned char *kb_cpu_align_ptr(void *p)
{
    uintptr_t u = (uintptr_t)p;
    return (unsigned char *)p + ((KB_CPU_ALIGN - u % KB_CPU_ALIGN) % KB_CPU_ALIGN);
}

/* --- conversions ----------------------------------------------------------- */

/* Decode n elements of f32/f16/bf16 to f32.  f16 goes through the table made
 * with convert.h's helper; bf16 is the top half of an f32, so a shift is exact. */
static inline void kb_cpu_to_f32(const kb_cpu_ctx *ctx, kb_dtype t, const void *src,
                                 int64_t n, float *dst)
{
    if (n <= 0)
        return; /* src may be NULL for an empty tensor */
    if (t == KB_DTYPE_F32) {
        memcpy(dst, src, (size_t)n * sizeof(float));
    } else if (t == KB_DTYPE_F16) {
        const uint16_t *s = src;
        const float *tab = ctx->f16_to_f32;
        for (int64_t i = 0; i < n; i++)
            dst[i] = tab[s[i]];
    } else { /* bf16 */
        const uint16_t *s = src;
        for (int64_t i = 0; i < n; i++) {
            uint32_t bits = (uint32_t)s[i] << 16;
            memcpy(&dst[i], &bits, sizeof bits);
        }
    }
}

/* One element of f32/f16/bf16 at `offset`, as f32. */
static inline float kb_cpu_load(const kb_cpu_ctx *ctx, kb_dtype t, const void *base,
                                int64_t offset)
{
    float v;
    kb_cpu_to_f32(ctx, t, (const unsigned char *)base + offset * (int64_t)kb_dtype_size(t),
                  1, &v);
    return v;
}

/* Encode n f32 values to f32/f16/bf16, round to nearest even, non-saturating. */
static inline void kb_cpu_from_f32(kb_dtype t, const float *src, int64_t n, void *dst)
{
    if (n <= 0)
        return;
    if (t == KB_DTYPE_F32) {
        memcpy(dst, src, (size_t)n * sizeof(float));
    } else if (t == KB_DTYPE_F16) {
        uint16_t *d = dst;
        for (int64_t i = 0; i < n; i++)
            d[i] = kb_f32_to_f16(src[i]);
    } else { /* bf16 */
        uint16_t *d = dst;
        for (int64_t i = 0; i < n; i++)
            d[i] = kb_f32_to_bf16(src[i]);
    }
}

/* Byte address of element `offset` of tensor t (NULL for an empty tensor
 * without data: offsetting a null pointer is undefined). */
static inline void *kb_cpu_at(const kb_tensor *t, int64_t offset)
{
    if (!t->data)
        return NULL;
    return (unsigned char *)t->data + offset * (int64_t)kb_dtype_size(t->dtype);
}

/* --- the ops (one file each) ----------------------------------------------- */

#define KB_CPU_OP_FUNCS(op)                                                           \
    kb_status kb_cpu_##op##_supports(void *ctx, const kb_problem *p, char *why,       \
                                     size_t why_len);                                 \
    size_t kb_cpu_##op##_workspace(void *ctx, const kb_problem *p)

KB_CPU_OP_FUNCS(softmax);
kb_status kb_cpu_softmax_twopass(void *ctx, const kb_problem *p, void *ws, void *stream,
                                 char *err, size_t err_len);
kb_status kb_cpu_softmax_online(void *ctx, const kb_problem *p, void *ws, void *stream,
                                char *err, size_t err_len);
KB_CPU_OP_FUNCS(softmax_avx2); /* softmax_avx2.c */
kb_status kb_cpu_softmax_avx2(void *ctx, const kb_problem *p, void *ws, void *stream,
                              char *err, size_t err_len);

KB_CPU_OP_FUNCS(attention_rowwise);
KB_CPU_OP_FUNCS(attention_online);
kb_status kb_cpu_attention_rowwise(void *ctx, const kb_problem *p, void *ws, void *stream,
                                   char *err, size_t err_len);
kb_status kb_cpu_attention_online(void *ctx, const kb_problem *p, void *ws, void *stream,
                                  char *err, size_t err_len);
KB_CPU_OP_FUNCS(attention_flash); /* attention_flash.c (AVX2 driver: attention_avx2.c) */
kb_status kb_cpu_attention_flash(void *ctx, const kb_problem *p, void *ws, void *stream,
                                 char *err, size_t err_len);

KB_CPU_OP_FUNCS(quantize);
kb_status kb_cpu_quantize_basic(void *ctx, const kb_problem *p, void *ws, void *stream,
                                char *err, size_t err_len);
KB_CPU_OP_FUNCS(quantize_avx2); /* quantize_avx2.c, vq_avx2.c */
kb_status kb_cpu_quantize_avx2(void *ctx, const kb_problem *p, void *ws, void *stream,
                               char *err, size_t err_len);

KB_CPU_OP_FUNCS(matmul);
kb_status kb_cpu_matmul_simple(void *ctx, const kb_problem *p, void *ws, void *stream,
                               char *err, size_t err_len);
KB_CPU_OP_FUNCS(matmul_gemm); /* gemm/gemm.c */
kb_status kb_cpu_matmul_gemm(void *ctx, const kb_problem *p, void *ws, void *stream, char *err,
                             size_t err_len);

#endif /* KB_CPU_H */
