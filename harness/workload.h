/*
 * workload.h - the memory of one case: a kb_problem whose tensors point at
 * host buffers laid out as the case says (leading-dimension padding
 * included), each followed by a guard zone, plus the description of every
 * tensor's role that the verifier walks.
 */
#ifndef KBENCH_HARNESS_WORKLOAD_H
#define KBENCH_HARNESS_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

#include <kbench/ops.h>

#include "kb_case.h"

/* How an output is compared with the reference (docs/verification.md). */
typedef enum kb_check_kind {
    KB_CHECK_FLOAT,   /* tolerance from the storage-dtype yardstick */
    KB_CHECK_EXACT,   /* equal values (integers; dequantize, one rounding) */
    KB_CHECK_BITS,    /* equal codes, any NaN for a NaN (casts) */
    KB_CHECK_QUANT_Q, /* int8 codes, exact except near-ties */
    KB_CHECK_SCALE,   /* f32 scales, within one ulp */
    KB_CHECK_INDEX    /* VQ indices, exact except near-ties of distance */
} kb_check_kind;

typedef struct kb_tensor_role {
    kb_tensor *t;
    const char *name; /* "x", "o", "lse", ... */
    int input, output;
    int row_dims;     /* leading dims that number the problem's rows (0: no rows) */
    kb_check_kind check;
} kb_tensor_role;

#define KB_MAX_ROLES 8
#define KB_GUARD_BYTES 64

typedef struct kb_workload {
    kb_case c;
    kb_problem p;
    kb_tensor_role roles[KB_MAX_ROLES];
    int role_count;
    void *blocks[KB_MAX_ROLES]; /* buffers this workload owns */
    size_t block_bytes[KB_MAX_ROLES];
    int block_count;
} kb_workload;

/* Build the problem for case `c`.  Float outputs get dtype `float_out`
 * (KB_DTYPE_INVALID: the case's own dtypes; KB_DTYPE_F64 for the oracle).
 * With `share`, input-only tensors point at share's buffers instead of new
 * ones.  Returns 0, or -1 with a message. */
int kb_workload_init(kb_workload *w, const kb_case *c, kb_dtype float_out, const kb_workload *share,
                     char *err, size_t err_len);
void kb_workload_free(kb_workload *w);

/* Only the shapes: tensors described, data pointing at a dummy address that
 * must never be read (for supports() probes, which must not touch data). */
void kb_workload_shape(kb_workload *w, const kb_case *c, kb_dtype float_out);

/* Point dp's tensors (dp a copy of w->p) at `blocks`, copies of w's buffers
 * (device memory, say), block for block: the same tensor sits at the same
 * offset inside both problems. */
void kb_problem_retarget(kb_problem *dp, const kb_workload *w, void *const *blocks);

/* Bytes spanned by a tensor's elements (padding included, guard excluded). */
size_t kb_tensor_span_bytes(const kb_tensor *t);

/* FNV-1a over the bytes of every input-only tensor (padding included):
 * equal before and after a run unless the kernel wrote into an input. */
uint64_t kb_workload_input_hash(const kb_workload *w);

/* Fill the padding and guard of every buffer with a known pattern, and check
 * it later: a kernel that writes past a row or past the end is caught.
 * kb_workload_check_guards returns the first damaged tensor's name or NULL. */
void kb_workload_arm_guards(kb_workload *w);
const char *kb_workload_check_guards(const kb_workload *w, int *in_padding);

/* Iterate over the elements of the given rows of a tensor (all rows when
 * rows == NULL).  Yields element offsets and the flat multi-index. */
typedef struct kb_elem_iter {
    const kb_tensor *t;
    int row_dims;
    const int64_t *rows;
    int64_t row_count, row_i, inner, inner_count;
} kb_elem_iter;

void kb_elem_iter_init(kb_elem_iter *it, const kb_tensor *t, int row_dims, const int64_t *rows, int64_t row_count);
int kb_elem_iter_next(kb_elem_iter *it, int64_t *offset, int64_t index[KB_MAX_RANK]);

/* "[3,17]" style text for a multi-index. */
void kb_format_index(char *buf, size_t n, const kb_tensor *t, const int64_t *index);

#endif
