/*
 * attention_flash.c - the "flash" attention kernel's entry points, compiled
 * without -mavx2 so that supports() runs on any x86-64 and turns the kernel
 * down on a CPU without AVX2, FMA or F16C; run() then hands over to the
 * AVX2 driver (attention_avx2.c).
 */
#include "attention_avx2.h"
#include "cpu.h"

kb_status kb_cpu_attention_flash_supports(void *ctx, const kb_problem *p, char *why,
                                          size_t why_len)
{
    kb_status st = kb_cpu_attention_rowwise_supports(ctx, p, why, why_len);
    if (st != KB_OK)
        return st;
    if (!kb_cpu_has_avx2_fma_f16c())
        return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "needs AVX2, FMA and F16C");
    return KB_OK;
}

size_t kb_cpu_attention_flash_workspace(void *ctx, const kb_problem *p)
{
    return kb_flash_slice_bytes(p->u.attention.head_dim) * (size_t)kb_cpu_threads(ctx) +
           KB_CPU_ALIGN;
}

kb_status kb_cpu_attention_flash(void *ctx, const kb_problem *p, void *ws, void *stream,
                                 char *err, size_t err_len)
{
    (void)stream;
    kb_status st = kb_cpu_attention_flash_supports(ctx, p, err, err_len);
    if (st != KB_OK)
        return st;
    if (!ctx)
        return kb_fail(KB_ERR_INVALID, err, err_len, "plugin not initialised");
    if (!ws)
        return kb_fail(KB_ERR_INVALID, err, err_len, "workspace missing");
    kb_flash_run(ctx, &p->u.attention, ws);
    return KB_OK;
}
