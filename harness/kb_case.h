/*
 * kb_case.h - one benchmark case: an op, its shape and its dtypes, as read
 * from a suite.  Cases are plain data; workload.c turns one into tensors and
 * a kb_problem.
 */
#ifndef KBENCH_HARNESS_CASE_H
#define KBENCH_HARNESS_CASE_H

#include <kbench/ops.h>

typedef struct kb_case {
    kb_op op;
    char id[160];   /* canonical parameter string, e.g. "m=64,n=64,k=64,a=f16,c=f32" */
    char dtypes[24];/* dtype combination, e.g. "f16->f32", for `kbench list` */
    int line;       /* line in its suite file (for messages) */

    kb_dtype dtype;     /* softmax x/y; attention q/k/v/o; matmul a/b; quantize: x or q */
    kb_dtype out_dtype; /* matmul c; quantize cast output */

    /* softmax */
    int64_t rows, cols; /* also quantize */
    float scale;        /* softmax and attention (0 = 1/sqrt(D) for attention) */
    int log_softmax;

    /* attention */
    int64_t batch, heads_q, heads_kv, seq_q, seq_kv, head_dim;
    int causal;

    /* quantize */
    kb_quant_kind qkind;
    kb_scale_granularity granularity;
    int64_t group_size, codes;
    int saturate;

    /* matmul */
    int64_t m, n, k;
    int trans_a, trans_b;
    float alpha, beta;
    int64_t pad; /* extra elements per row of every 2-D operand (leading dimension > width) */
} kb_case;

#endif
