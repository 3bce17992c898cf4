/*
 * lt_plan.h - the host-side decisions of the cublas plugin's matmul "lt":
 * which problems it accepts, how a row-major kbench matmul becomes one
 * column-major cuBLASLt call, how the workspace is carved up, and the table
 * of algorithms already chosen.  Plain C with no CUDA headers, so that
 * tests/unit/test_cublas_plan checks all of it on machines without a GPU.
 *
 * The mapping.  cuBLAS is column-major.  Row-major memory of an [r, c]
 * matrix with row stride ld is, read column-major, its transpose: a c x r
 * matrix with leading dimension ld.  So the row-major product
 *     C [M, N] = op(A) [M, K] op(B) [K, N]
 * is, column-major, C^T = op(B)^T op(A)^T, one cuBLASLt call with
 *     m' = N, n' = M, k' = K,
 *     A' = B's memory, transposed iff trans_b,
 *     B' = A's memory, transposed iff trans_a,
 *     C' = D' = C's memory,
 * and every matrix described as (rows = shape[1], cols = shape[0],
 * ld = strides[0]).  Nothing is copied or transposed.
 */
#ifndef KBCL_LT_PLAN_H
#define KBCL_LT_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "kbc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Element types of a cuBLASLt matrix (cudaDataType_t in lt_matmul.c). */
typedef enum kbcl_type {
    KBCL_NONE = 0,
    KBCL_R_16F,
    KBCL_R_16BF,
    KBCL_R_32F,
    KBCL_R_8I,
    KBCL_R_32I
} kbcl_type;

/* Compute type and scale type together: 32F means CUBLAS_COMPUTE_32F with
 * f32 alpha/beta (full f32 products and sums: no TF32, no f16 accumulate);
 * 32I means CUBLAS_COMPUTE_32I with int32 alpha/beta. */
typedef enum kbcl_compute { KBCL_COMPUTE_32F = 1, KBCL_COMPUTE_32I = 2 } kbcl_compute;

/* Most alignment cuBLASLt asks about (its default minimum, in bytes), and
 * the alignment this plugin gives every piece of its workspace. */
#define KBCL_MAX_ALIGN 256u
/* cuBLASLt's own scratch: 32 MiB, what NVIDIA recommends for Hopper. */
#define KBCL_LT_WORKSPACE ((size_t)32 << 20)

/* One column-major matrix as cuBLASLt sees it: element (i, j) lives at
 * data + (i + j * ld) elements. */
typedef struct kbcl_matrix {
    kbcl_type type;
    int64_t rows, cols, ld;
    void *data;
    uint32_t align; /* bytes the data pointer is aligned to (power of two, <= 256) */
} kbcl_matrix;

/* One cuBLASLt call: D = alpha * op(A) op(B) + beta * C with C == D. */
typedef struct kbcl_plan {
    kbcl_compute compute;
    int transa, transb;  /* 1: the matmul applies a transpose to A (B) */
    int64_t m, n, k;     /* op(A) [m, k], op(B) [k, n], D [m, n] */
    kbcl_matrix a, b, c; /* c is both C and D */
    /* cuBLASLt has no kernel writing C's dtype from these inputs (f16 x f16
     * -> bf16, f32 x f32 -> f16, ...; see kbcl_direct): the call writes an
     * f32 buffer [M, N] (row-major, ld N) instead, which a cast kernel then
     * rounds into C; with beta != 0 C is first widened into that buffer. */
    int via_f32;
} kbcl_plan;

/* cuBLASLt's type for a kbench dtype (KBCL_NONE if it has none here). */
kbcl_type kbcl_type_of(kb_dtype t);

/* 1 if cublasLtMatmul computes A/B `ab` -> C `c` itself (the documented
 * table: f16 -> f16/f32, bf16 -> bf16/f32, f32 -> f32, i8 -> i32). */
int kbcl_direct(kb_dtype ab, kb_dtype c);

/* Largest power of two dividing the address, at most 256 (NULL: 256). */
uint32_t kbcl_ptr_align(const void *p);

/* The column-major view of a row-major rank-2 tensor: shape[1] x shape[0],
 * ld = strides[0] (shape[1] when there is one row and the stride is moot). */
kbcl_matrix kbcl_colmajor_view(const kb_tensor *t);

/* The cuBLASLt call for a problem that kbcl_matmul_lt_check accepted.
 * `f32_buffer` is the buffer of the via_f32 path (ignored otherwise; NULL
 * stands for a 256-byte aligned buffer not yet known). */
void kbcl_plan_matmul(const kb_matmul_params *mm, void *f32_buffer, kbcl_plan *pl);

/* supports() without a device: KB_OK, KB_ERR_INVALID for a malformed
 * problem, KB_ERR_UNSUPPORTED for what cuBLASLt does not promise to run. */
kb_status kbcl_matmul_lt_check(const kb_problem *p, char *why, size_t why_len);

/* Workspace: up to 256 bytes to align the harness's (64-byte aligned)
 * pointer, cuBLASLt's 32 MiB, and the via_f32 buffer. */
size_t kbcl_matmul_lt_workspace_bytes(const kb_matmul_params *mm);
/* The pieces of a workspace of that size: both 256-byte aligned. */
void kbcl_workspace_split(void *workspace, const kb_matmul_params *mm, void **lt_workspace, void **f32_buffer);

/* The algorithm cache: what cublasLtMatmulAlgoGetHeuristic chose, keyed by
 * everything the heuristic sees (types, ops, sizes, leading dimensions and
 * pointer alignments), so timed runs do not query it again. */
typedef struct kbcl_key {
    int32_t compute, transa, transb;
    int32_t a_type, b_type, c_type;
    int64_t m, n, k, lda, ldb, ldc;
    uint32_t a_align, b_align, c_align;
} kbcl_key;

#define KBCL_ALGO_WORDS 8 /* cublasLtMatmulAlgo_t is uint64_t data[8] */
#define KBCL_CACHE_SLOTS 64

typedef struct kbcl_algo_cache {
    struct {
        int used;
        kbcl_key key;
        uint64_t algo[KBCL_ALGO_WORDS];
    } slot[KBCL_CACHE_SLOTS];
    unsigned next; /* the slot the next insertion overwrites once all are used */
} kbcl_algo_cache;

kbcl_key kbcl_plan_key(const kbcl_plan *pl);
int kbcl_key_equal(const kbcl_key *x, const kbcl_key *y);
/* The cached algorithm for `key`, or NULL. */
const uint64_t *kbcl_cache_find(const kbcl_algo_cache *cache, const kbcl_key *key);
/* Remember `algo` for `key` (replacing the oldest entry when full). */
void kbcl_cache_put(kbcl_algo_cache *cache, const kbcl_key *key, const uint64_t *algo);

#ifdef __cplusplus
}
#endif
#endif /* KBCL_LT_PLAN_H */
