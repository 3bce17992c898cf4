/*
 * quantize_avx2.h - what quantize_avx2.c (the kernel's entry points, int8,
 * dequantize, casts) needs from vq_avx2.c (vector quantization).
 */
#ifndef KB_CPU_QUANTIZE_AVX2_H
#define KB_CPU_QUANTIZE_AVX2_H

#include "cpu.h"

/* Workspace bytes of a VQ problem (KB_CPU_ALIGN slack included). */
size_t kb_cpu_vq_avx2_workspace(void *ctx, const kb_quantize_params *q);

/* Nearest codebook row of every row of x; `ws` is the workspace as the
 * harness passed it.  The problem has been checked. */
void kb_cpu_vq_avx2(kb_cpu_ctx *ctx, const kb_quantize_params *q, void *ws);

#endif /* KB_CPU_QUANTIZE_AVX2_H */
