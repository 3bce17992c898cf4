/*
 * plugins/ref/ref.h - internal interface of the reference plugin.
 *
 * Each op lives in its own file and exposes two functions: a validator
 * (shared by supports() and run(), so both reject the same problems) and a
 * runner.  Both take the mode: the "exact" kernel (f64 truth) or the
 * "storage" kernel (the computation done in the storage dtype, which the
 * verifier uses as its error yardstick).
 */
#ifndef KBENCH_REF_H
#define KBENCH_REF_H

#include <kbench/kbench.h>

typedef enum ref_mode {
    REF_EXACT = 0,
    REF_STORAGE = 1
} ref_mode;

/* check.c: shared validation helpers. */

/* Write a one-line message (printf style) into msg if there is room, and
 * return st, so that a check can say `return ref_fail(...)`. */
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
kb_status ref_fail(char *msg, size_t len, kb_status st, const char *fmt, ...);

/* A tensor named `name` must have this rank and shape, innermost stride 1,
 * non-overlapping outer strides and data unless it is empty.  The caller
 * checks the dtype. */
kb_status ref_check_tensor(const kb_tensor *t, const char *name, int32_t rank,
                           const int64_t *shape, char *msg, size_t len);

/* sample_rows, when set, must be ascending, unique and in [0, total). */
kb_status ref_check_rows(const kb_problem *p, int64_t total, char *msg, size_t len);

/* Never NULL, for messages. */
const char *ref_dtype_name(kb_dtype t);

/* f32, f16 or bf16: the float dtypes the ops take as inputs. */
static inline int ref_is_io_float(kb_dtype t)
{
    return t == KB_DTYPE_F32 || t == KB_DTYPE_F16 || t == KB_DTYPE_BF16;
}

/* Round an f32 value to dtype t (f32, f16 or bf16) and back: what storing
 * an intermediate result in the storage dtype does to it. */
static inline float ref_round_to(kb_dtype t, float v)
{
    const kb_float_format *f = kb_dtype_format(t);
    return f ? (float)kb_decode_float(f, kb_encode_float(f, v, 0)) : v;
}

/* The output rows a run computes: all `total` of them, or the sample. */
typedef struct ref_rows {
    const int64_t *list; /* NULL: rows 0..count-1 */
    int64_t count;
} ref_rows;

static inline ref_rows ref_rows_of(const kb_problem *p, int64_t total)
{
    ref_rows r = {p->sample_rows, p->sample_rows ? p->sample_row_count : total};
    return r;
}

static inline int64_t ref_row_at(const ref_rows *r, int64_t i)
{
    return r->list ? r->list[i] : i;
}

/* load.c: exact widening loads for the inner loops.  Every f32, f16 and
 * bf16 value is exactly an f32, so ref_load() returns exactly what
 * kb_load_f64() does, without decoding each element again: bf16 is the top
 * half of an f32, and f16 goes through a table of all 65536 codes built
 * with kb_decode_float() itself.  Other dtypes fall back to kb_load_f64(). */
typedef struct ref_loader {
    kb_dtype dtype;
    const void *data;
    float *f16; /* the f16 table, shared by the loaders of one run; or NULL */
} ref_loader;

/* Loaders for n tensors, sharing one f16 table; free them together. */
kb_status ref_loaders_init(ref_loader *l, int n, const kb_tensor *const *t, char *err, size_t len);
void ref_loaders_free(ref_loader *l, int n);

static inline float ref_load(const ref_loader *l, int64_t off)
{
    switch (l->dtype) {
    case KB_DTYPE_F32: return ((const float *)l->data)[off];
    case KB_DTYPE_F16: return l->f16[((const uint16_t *)l->data)[off]];
    case KB_DTYPE_BF16: {
        uint32_t bits = (uint32_t)((const uint16_t *)l->data)[off] << 16;
        float f;
        memcpy(&f, &bits, sizeof f);
        return f;
    }
    default: return (float)kb_load_f64(l->data, l->dtype, off);
    }
}

/* One validator and one runner per op (softmax.c, attention.c, ...). */
kb_status ref_softmax_check(const kb_problem *p, ref_mode mode, char *msg, size_t len);
kb_status ref_softmax_run(const kb_problem *p, ref_mode mode, char *err, size_t len);
kb_status ref_attention_check(const kb_problem *p, ref_mode mode, char *msg, size_t len);
kb_status ref_attention_run(const kb_problem *p, ref_mode mode, char *err, size_t len);
kb_status ref_quantize_check(const kb_problem *p, ref_mode mode, char *msg, size_t len);
kb_status ref_quantize_run(const kb_problem *p, ref_mode mode, char *err, size_t len);
kb_status ref_matmul_check(const kb_problem *p, ref_mode mode, char *msg, size_t len);
kb_status ref_matmul_run(const kb_problem *p, ref_mode mode, char *err, size_t len);

#endif /* KBENCH_REF_H */
