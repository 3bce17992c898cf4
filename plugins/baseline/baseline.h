/*
 * baseline.h - what the baseline plugins (plugins/openblas, plugins/onednn)
 * share beyond <kbench/checks.h> (messages and problem checks): a matmul's
 * largest extent and row conversions between f32 and the 16-bit floats.
 * Compiled into each of them (hidden visibility: nothing here is exported).
 */
#ifndef KB_BASELINE_H
#define KB_BASELINE_H

#include <stddef.h>
#include <stdint.h>

#include <kbench/checks.h>
#include <kbench/kbench.h>

/* kb_fail and the problem checks (kb_check_matmul, kb_check_attention) are
 * <kbench/checks.h>'s. */

/* The largest dimension or leading dimension of a matmul (for libraries
 * whose interface takes 32-bit ints). */
int64_t kb_bl_matmul_extent(const kb_matmul_params *m);

/* Decode n f32/f16/bf16 values to f32 (exact). */
void kb_bl_to_f32(kb_dtype t, const void *src, int64_t n, float *dst);

/* Encode n f32 values to f32/f16/bf16: round to nearest even, overflow to
 * +-inf, NaN to the canonical quiet NaN with its sign (convert.h's rules). */
void kb_bl_from_f32(kb_dtype t, const float *src, int64_t n, void *dst);

#endif /* KB_BASELINE_H */
