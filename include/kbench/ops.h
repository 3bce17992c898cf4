/*
 * kbench/ops.h - the four ops and their problem descriptors.
 *
 * A kb_problem says what to compute: the op, its parameters and its tensors.
 * docs/ops.md gives the exact math of each op, including every edge case
 * (fully masked rows, ties, overflow, NaN); the comments here summarise it.
 *
 * Inputs are const in spirit: a kernel must not write to an input tensor.
 * Outputs may hold garbage (the harness poisons them) and every element of an
 * output must be written, except where `sample_rows` says otherwise.
 */
#ifndef KBENCH_OPS_H
#define KBENCH_OPS_H

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum kb_op {
    KB_OP_INVALID = 0,
    KB_OP_SOFTMAX = 1,
    KB_OP_ATTENTION = 2,
    KB_OP_QUANTIZE = 3,
    KB_OP_MATMUL = 4
} kb_op;

#define KB_OP_COUNT 4 /* ops are numbered 1..KB_OP_COUNT */

static inline const char *kb_op_name(kb_op op)
{
    switch (op) {
    case KB_OP_SOFTMAX: return "softmax";
    case KB_OP_ATTENTION: return "attention";
    case KB_OP_QUANTIZE: return "quantize";
    case KB_OP_MATMUL: return "matmul";
    default: return NULL;
    }
}

/* softmax: for every row r of x [rows, cols],
 *   y[r, :] = softmax(scale * x[r, :])            (log_softmax == 0)
 *   y[r, :] = log_softmax(scale * x[r, :])        (log_softmax != 0)
 * x and y have the same dtype (f32, f16 or bf16) and shape; scale is finite
 * and > 0.  -inf entries of x are allowed and give 0 (log: -inf).  A row
 * whose entries are all -inf gives y = 0 (log: -inf) everywhere.  A row
 * holding a NaN or +inf gives NaN everywhere in that row. */
typedef struct kb_softmax_params {
    int64_t rows, cols;
    float scale;
    int32_t log_softmax;
    kb_tensor x; /* in:  [rows, cols] */
    kb_tensor y; /* out: [rows, cols], dtype of x */
} kb_softmax_params;

/* attention (forward): per batch b and query head h,
 *   S = scale * Q[b,h] K[b,g]^T     with g = h / (Hq / Hkv)   (GQA / MQA)
 *   S[i, j] = -inf where causal and j > i + (Skv - Sq)        (bottom-right)
 *   O[b,h] = softmax(S) V[b,g],   LSE[b,h,i] = log(sum_j exp(S[i, j]))
 * Q [B, Hq, Sq, D], K and V [B, Hkv, Skv, D], O [B, Hq, Sq, D] in the dtype of
 * Q (f32, f16 or bf16; K and V match Q), LSE [B, Hq, Sq] in f32 (natural log).
 * Accumulation is f32 or wider.  A query row with no visible key (causal,
 * Sq > Skv, i < Sq - Skv) gives O = 0 and LSE = -inf.
 * "Rows" for sample_rows are the B*Hq*Sq query rows, numbered
 * (b*Hq + h)*Sq + i. */
typedef struct kb_attention_params {
    int64_t batch, heads_q, heads_kv, seq_q, seq_kv, head_dim;
    float scale; /* usually 1/sqrt(head_dim) */
    int32_t causal;
    kb_tensor q, k, v; /* in */
    kb_tensor o;       /* out: [B, Hq, Sq, D], dtype of q */
    kb_tensor lse;     /* out: [B, Hq, Sq], f32 */
} kb_attention_params;

/* What a quantize problem does. */
typedef enum kb_quant_kind {
    /* x f32 [rows, cols] -> q i8 [rows, cols] and scales f32:
     *   scale = absmax(block) / 127   (f32 division; 0 for an all-zero block)
     *   q = clamp(round_half_even(x / scale), -127, 127)   (q = 0 if scale == 0)
     * The division x / scale is evaluated exactly and rounded once; a kernel
     * that multiplies by 1/scale may differ by one where x / scale lies within
     * rounding distance of a tie (see verification.md).  Non-finite input
     * makes the block's scale non-finite; its q values are then unspecified. */
    KB_QUANT_INT8 = 1,
    /* q i8 [rows, cols] and scales f32 -> y f32 [rows, cols]: y = q * scale */
    KB_QUANT_DEQUANT_INT8 = 2,
    /* x f32 [rows, cols] -> y in out_dtype (f16, bf16, e4m3, e5m2), round to
     * nearest even.  saturate != 0: finite values beyond the largest finite
     * value clamp to it (+-inf too).  saturate == 0: they become +-inf, or NaN
     * for e4m3, which has no infinity.  NaN stays NaN in both modes. */
    KB_QUANT_CAST = 3,
    /* Vector quantization (VQ-VAE): x f32 [rows, dim], codebook f32
     * [codes, dim] -> indices i32 [rows]: the index of the codebook row with
     * the smallest squared L2 distance to x's row; exact ties go to the
     * lowest index. */
    KB_QUANT_VQ = 4
} kb_quant_kind;

/* Which block of values shares one int8 scale. */
typedef enum kb_scale_granularity {
    KB_SCALE_PER_TENSOR = 1, /* scales [1] */
    KB_SCALE_PER_ROW = 2,    /* scales [rows] */
    KB_SCALE_PER_GROUP = 3   /* scales [rows, ceil(cols / group_size)]: groups of
                                group_size consecutive values within a row; the
                                last group of a row may be shorter */
} kb_scale_granularity;

typedef struct kb_quantize_params {
    kb_quant_kind kind;
    int64_t rows, cols;           /* cols == dim for VQ */
    kb_scale_granularity granularity; /* INT8 and DEQUANT_INT8 */
    int64_t group_size;           /* PER_GROUP only; 32 is llama.cpp's Q8_0 */
    int32_t saturate;             /* CAST only */
    kb_dtype out_dtype;           /* CAST only: f16, bf16, e4m3 or e5m2 */
    int64_t codes;                /* VQ only: codebook rows */
    kb_tensor x;        /* in: f32 [rows, cols] (INT8, CAST, VQ) */
    kb_tensor q;        /* INT8: out, DEQUANT_INT8: in; i8 [rows, cols] */
    kb_tensor scales;   /* INT8: out, DEQUANT_INT8: in; f32, shape by granularity */
    kb_tensor y;        /* out: DEQUANT_INT8 f32 / CAST out_dtype, [rows, cols] */
    kb_tensor codebook; /* in: VQ f32 [codes, cols] */
    kb_tensor indices;  /* out: VQ i32 [rows] */
} kb_quantize_params;

/* matmul: C = alpha * op(A) op(B) + beta * C, op(A) [M, K], op(B) [K, N].
 * Row-major with leading dimensions: A is stored [M, K] (trans_a == 0) or
 * [K, M] (trans_a != 0) with strides {lda, 1}; likewise B as [K, N] or [N, K];
 * C is [M, N] with strides {ldc, 1}.
 * Float path: A and B both f16, both bf16 or both f32; products accumulated in
 * f32 or wider; C f32, f16 or bf16.  beta == 0 means C is not read (it may
 * hold NaN).  The result is rounded once to C's dtype.
 * Integer path: A and B i8, C i32, exact: C = A B (beta == 0) or C += A B
 * (beta == 1); alpha must be 1. */
typedef struct kb_matmul_params {
    int64_t m, n, k;
    int32_t trans_a, trans_b;
    float alpha, beta;
    kb_tensor a, b; /* in */
    kb_tensor c;    /* in/out */
} kb_matmul_params;

/* One problem.  `op` says which member of the union is meaningful. */
typedef struct kb_problem {
    kb_op op;
    /* Optional hint used to verify big problems by sampling: when non-NULL,
     * the caller reads only these output rows (ascending, no duplicates), and
     * a kernel may compute only them.  A row is one row of y (softmax), one
     * query row (attention, numbered as above), one row of q/y/indices
     * (quantize; scales of other rows may be skipped too) or one row of C
     * (matmul).  The harness passes NULL to every kernel it checks or times;
     * only the reference plugin is expected to use it. */
    const int64_t *sample_rows;
    int64_t sample_row_count;
    union {
        kb_softmax_params softmax;
        kb_attention_params attention;
        kb_quantize_params quantize;
        kb_matmul_params matmul;
        unsigned char reserved_[1024]; /* room for the union to grow */
    } u;
} kb_problem;

#ifdef __cplusplus
}
#endif
#endif /* KBENCH_OPS_H */
