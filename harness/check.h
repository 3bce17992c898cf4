/*
 * check.h - compare a kernel's outputs with the oracle's, by the rules of
 * docs/verification.md.  The tolerance lives here and only here.
 */
#ifndef KBENCH_HARNESS_CHECK_H
#define KBENCH_HARNESS_CHECK_H

#include <stdint.h>

#include "workload.h"

/* Multiplier of the storage-dtype yardstick's error (FlashAttention's k). */
#define KB_CHECK_K 2.0
/* Floor, in units of the output dtype's unit roundoff times max|reference|. */
#define KB_CHECK_FLOOR_ULPS 4.0

typedef struct kb_check_result {
    int failed;
    char reason[512];  /* the first failure, one line */
    double max_err;    /* worst |out - ref| over float outputs (0 for exact ones) */
    double max_ref;    /* max |ref| over the same elements */
    double bound;      /* the allowed max_err for the output that came closest */
    double ratio;      /* max over float outputs of max_err / bound */
    int64_t near_ties; /* accepted int8 or VQ near-ties */
} kb_check_result;

/* Compare `kern`'s outputs with `ref`'s (F64 float outputs) on the given
 * rows (all rows when rows == NULL).  `storage` holds the storage-dtype
 * yardstick's outputs, or NULL where the outputs have exact rules only. */
void kb_check_outputs(const kb_workload *kern, const kb_workload *ref, const kb_workload *storage,
                      const int64_t *rows, int64_t row_count, kb_check_result *res);

/* Unit roundoff of a float dtype (2^-24 for f32, 2^-11 f16, 2^-8 bf16). */
double kb_unit_roundoff(kb_dtype t);

#endif
