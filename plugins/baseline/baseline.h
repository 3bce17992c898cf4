/*
 * baseline.h - what the baseline plugins (plugins/openblas, plugins/onednn)
 * share: error messages, the problem checks of the ops they implement, and
 * row conversions between f32 and the 16-bit floats.  Compiled into each of
 * them (hidden visibility: nothing here is exported).
 */
#ifndef KB_BASELINE_H
#define KB_BASELINE_H

#include <stddef.h>
#include <stdint.h>

#include <kbench/kbench.h>

/* printf into err (if any) and return `status`. */
kb_status kb_bl_fail(kb_status status, char *err, size_t err_len, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* KB_OK if `t` has `dtype`, `rank` and `shape`, a data pointer (when not
 * empty), innermost stride 1 and non-negative strides, and (rank 2) rows that
 * do not overlap; otherwise KB_ERR_INVALID naming `name`. */
kb_status kb_bl_check_tensor(const kb_tensor *t, const char *name, kb_dtype dtype, int32_t rank,
                             const int64_t *shape, char *why, size_t why_len);

/* A well-formed matmul: dtypes of the float path (A and B both f16, bf16 or
 * f32; C f32, f16 or bf16) or the integer path (i8 x i8 -> i32 with alpha 1,
 * beta 0 or 1), and tensors of the shapes the transpose flags say. */
kb_status kb_bl_check_matmul(const kb_problem *p, char *why, size_t why_len);

/* A well-formed attention problem with Q, K, V and O all f32, f16 or bf16. */
kb_status kb_bl_check_attention(const kb_problem *p, char *why, size_t why_len);

/* The largest dimension or leading dimension of a matmul (for libraries
 * whose interface takes 32-bit ints). */
int64_t kb_bl_matmul_extent(const kb_matmul_params *m);

/* Decode n f32/f16/bf16 values to f32 (exact). */
void kb_bl_to_f32(kb_dtype t, const void *src, int64_t n, float *dst);

/* Encode n f32 values to f32/f16/bf16: round to nearest even, overflow to
 * +-inf, NaN to the canonical quiet NaN with its sign (convert.h's rules). */
void kb_bl_from_f32(kb_dtype t, const float *src, int64_t n, void *dst);

#endif /* KB_BASELINE_H */
