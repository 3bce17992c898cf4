/*
 * plan_matmul.h - host-side decisions of the cuda plugin's matmul kernels
 * ("tc" and "simt"), and the index logic the kernels share with them.
 *
 * The tile configuration is a set of macros (template arguments in the .cu
 * files, numbers in the plan and its unit test); the block -> tile mapping is
 * static inline and compiles as C and as CUDA, so the kernels run the very
 * function tests/unit/test_cuda_plan_matmul.c checks for exact coverage.
 *
 * Plain C (no CUDA headers) outside the __CUDACC__ blocks.
 */
#ifndef KBC_PLAN_MATMUL_H
#define KBC_PLAN_MATMUL_H

#include <stddef.h>
#include <stdint.h>

#include "kbc.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__CUDACC__)
#define KBC_MM_INLINE static __host__ __device__ __forceinline__
#else
#define KBC_MM_INLINE static inline
#endif

/* ---- tc configuration ------------------------------------------------------
 * A CTA computes a BM x BN tile of C with (BM / 64) x (BN / 64) warps, each
 * 64 x 64 (128 f32 or s32 accumulators a thread).  K advances BK_BYTES bytes
 * a stage (BK_BYTES / 2 f16/bf16 or BK_BYTES i8 elements), BK_BYTES / 32 mma
 * k-steps (m16n8k16, or m16n8k32 for i8).  STAGES shared-memory stages
 * are filled by cp.async; each stage holds an A tile of BM rows and a B tile
 * of BN rows of BK_BYTES (K-major) or the same bytes as BK rows of BM / BN
 * elements (M- or N-major, f16/bf16 only). */
/* Overridable (-D) for tuning builds only: the defaults are the configuration
 * verified on an H200 (correctness, racecheck, memcheck).  STAGES 3 and 5
 * were timed there but not checked; BK_BYTES 128 and BN 128 with
 * MIN_BLOCKS 2 compile but have never run. */
#ifndef KBC_MM_TC_BM
#define KBC_MM_TC_BM 128
#endif
#ifndef KBC_MM_TC_BN
#define KBC_MM_TC_BN 256
#endif
#ifndef KBC_MM_TC_BK_BYTES
#define KBC_MM_TC_BK_BYTES 64 /* 64 or 128 */
#endif
#ifndef KBC_MM_TC_STAGES
#define KBC_MM_TC_STAGES 4
#endif
#define KBC_MM_TC_WARPS_M (KBC_MM_TC_BM / 64) /* warps of 64 x 64 */
#define KBC_MM_TC_WARPS_N (KBC_MM_TC_BN / 64)
#define KBC_MM_TC_THREADS (32 * KBC_MM_TC_WARPS_M * KBC_MM_TC_WARPS_N)
#ifndef KBC_MM_TC_MIN_BLOCKS
#define KBC_MM_TC_MIN_BLOCKS 1 /* CTAs per SM the register budget is sized for */
#endif
#define KBC_MM_TC_STAGE_BYTES ((KBC_MM_TC_BM + KBC_MM_TC_BN) * KBC_MM_TC_BK_BYTES)
#define KBC_MM_TC_SMEM_BYTES ((size_t)KBC_MM_TC_STAGES * KBC_MM_TC_STAGE_BYTES)
/* Tile rows of C that share a band of A in L2: CTAs are numbered down a band
 * of GROUP_M tile rows before moving to the next tile column. */
#ifndef KBC_MM_GROUP_M
#define KBC_MM_GROUP_M 8
#endif

/* ---- simt configuration ----------------------------------------------------
 * 128 x 128 tile of C per CTA, 256 threads with 8 x 8 outputs each, K in
 * steps of 8, A and B staged in f32, two shared-memory buffers. */
#define KBC_MM_SIMT_BM 128
#define KBC_MM_SIMT_BN 128
#define KBC_MM_SIMT_BK 8
#define KBC_MM_SIMT_THREADS 256
#define KBC_MM_SIMT_PITCH (KBC_MM_SIMT_BM + 4) /* floats per staged row: no bank conflicts */
#define KBC_MM_SIMT_SMEM_BYTES ((size_t)2 * KBC_MM_SIMT_BK * KBC_MM_SIMT_PITCH * 4 * 2)

/* Largest m, n or k the kernels index with 32-bit integers (tile origins
 * plus a tile stay below INT32_MAX). */
#define KBC_MM_MAX_DIM ((int64_t)INT32_MAX - 512)

/* ---- the block -> tile mapping (grouped raster) -------------------------- */

/* CTA `block` (0 .. tiles_m * tiles_n - 1) computes tile (tile_m, tile_n).
 * Tiles are visited in bands of `group_m` tile rows, column by column inside
 * a band, so that the CTAs running at one time share A's rows and B's columns
 * in L2.  A bijection onto the tile grid (the unit test checks it). */
KBC_MM_INLINE void kbc_mm_tile_of(int64_t block, int64_t tiles_m, int64_t tiles_n, int64_t group_m,
                                  int64_t *tile_m, int64_t *tile_n)
{
    const int64_t band = group_m * tiles_n; /* CTAs per band of group_m tile rows */
    const int64_t first_m = (block / band) * group_m;
    const int64_t rows = tiles_m - first_m < group_m ? tiles_m - first_m : group_m;
    const int64_t in_band = block % band;
    *tile_m = first_m + in_band % rows;
    *tile_n = in_band / rows;
}

/* ---- plans ----------------------------------------------------------------- */

/* How an operand reaches shared memory in the tc kernel. */
typedef enum kbc_mm_load {
    KBC_MM_LOAD_VECTOR = 1, /* 16-byte cp.async from the tensor (or its repacked copy) */
    KBC_MM_LOAD_SCALAR = 2  /* element by element: unaligned base or leading dimension */
} kbc_mm_load;

/* Everything run() needs to launch "tc", decided once on the host.  `kind`
 * selects the kernel instantiation: input dtype, the shared-memory layout of
 * A and B (K-major, or M/N-major read with ldmatrix.trans) and the load path.
 * i8 operands whose K is not contiguous are first transposed into the
 * workspace ("repacked") so that the s8 mma gets K-contiguous fragments. */
typedef struct kbc_mm_tc_plan {
    kb_dtype in;          /* f16, bf16 or i8 */
    int a_kmajor;         /* 1: A tile stored [m][k] in shared memory; 0: [k][m] */
    int b_kmajor;         /* 1: B tile stored [n][k]; 0: [k][n] */
    kbc_mm_load load;     /* both operands take the same path */
    int repack_a;         /* i8 with trans_a: A^T -> workspace [M][lda_ws] */
    int repack_b;         /* i8 without trans_b: B -> workspace [N][ldb_ws] */
    int64_t lda_ws, ldb_ws;       /* leading dimensions of the repacked copies */
    size_t ws_b_offset;           /* byte offset of B's copy in the workspace */
    size_t workspace;             /* bytes (0: none) */
    int64_t tiles_m, tiles_n;     /* tile grid of C */
    int64_t blocks;               /* CTAs (1-D grid), 0 for an empty C */
    int threads;
    size_t smem;                  /* dynamic shared memory per CTA */
    int c_pair_ok;                /* C allows 2-element vector accesses */
} kbc_mm_tc_plan;

typedef struct kbc_mm_simt_plan {
    int64_t tiles_m, tiles_n, blocks;
    int threads;
    size_t smem; /* static shared memory per CTA */
} kbc_mm_simt_plan;

/* The tc plan of a problem kbc_matmul_tc_supports accepted.  Uses the data
 * pointers for the alignment test (16-byte cp.async), but never for the
 * workspace size, which depends on shapes, strides and dtypes only. */
void kbc_mm_tc_plan_of(const kb_matmul_params *mm, kbc_mm_tc_plan *plan);
void kbc_mm_simt_plan_of(const kb_matmul_params *mm, kbc_mm_simt_plan *plan);

/* 1 if `t` (rank 2) can be read 16 bytes at a time along its rows: base
 * pointer and row pitch in bytes are multiples of 16.  A tensor with one row
 * needs no row pitch. */
int kbc_mm_rows_aligned(const kb_tensor *t, size_t bytes);

/* Leading dimension (elements) of an i8 operand repacked K-major: k rounded
 * up to 16 bytes. */
KBC_MM_INLINE int64_t kbc_mm_repack_ld(int64_t k)
{
    return (k + 15) / 16 * 16;
}

/* Tiles per dimension of the repack transpose kernel (64 x 64 bytes). */
#define KBC_MM_REPACK_TILE 64
#define KBC_MM_REPACK_THREADS 256
#define KBC_MM_REPACK_MAX_BLOCKS 65535

#ifdef __cplusplus
}
#endif
#endif /* KBC_PLAN_MATMUL_H */
