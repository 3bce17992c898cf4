/*
 * plan_softmax.h - how softmax.cu launches a softmax problem: which kernel
 * shape (row per warp, row per block in registers, row per block in two
 * passes), 16-byte or scalar accesses, and the grid.  Plain C so that the
 * unit test checks the choices without a GPU.
 */
#ifndef KBC_PLAN_SOFTMAX_H
#define KBC_PLAN_SOFTMAX_H

#include <stdint.h>

#include "kbc.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum kbc_softmax_path {
    KBC_SOFTMAX_NONE = 0,  /* nothing to compute (no rows or no columns) */
    KBC_SOFTMAX_WARP = 1,  /* one warp per row; the row lives in registers */
    KBC_SOFTMAX_BLOCK = 2, /* one block per row; the row lives in registers */
    KBC_SOFTMAX_LOOP = 3   /* one block per row; online max/sum pass, then an output pass */
} kbc_softmax_path;

/* Rows up to this many elements take the warp path, up to 8192 (scalar) or
 * KBC_SOFTMAX_BLOCK_MAX_COLS (16-byte rows) the register block path, longer
 * ones the loop. */
#define KBC_SOFTMAX_WARP_MAX_COLS 1024
#define KBC_SOFTMAX_BLOCK_MAX_COLS 16384
#define KBC_SOFTMAX_WARPS_PER_BLOCK 4 /* warp path: rows per block */
#define KBC_SOFTMAX_LOOP_THREADS 512
#define KBC_SOFTMAX_GRID_CAP (1 << 20) /* blocks stride over the rows beyond this */

typedef struct kbc_softmax_plan {
    kbc_softmax_path path;
    int vec;            /* elements per access: 16 / element size, or 1 (scalar) */
    int per_thread;     /* WARP, BLOCK: elements each thread holds (a multiple of vec);
                           one of 4, 8, 16, 32 (WARP) or 8, 16 (BLOCK); 0 for LOOP */
    int threads;        /* threads per block: a multiple of 32, at most 1024 */
    int rows_per_block; /* rows one block works on at a time */
    int64_t blocks;     /* grid.x (>= 1 unless path is NONE); blocks stride over the rows */
} kbc_softmax_plan;

/* The launch for a problem that kbc_softmax_online_supports() accepted. */
kbc_softmax_plan kbc_softmax_plan_make(const kb_softmax_params *s);

#ifdef __cplusplus
}
#endif
#endif /* KBC_PLAN_SOFTMAX_H */
