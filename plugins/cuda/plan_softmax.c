/*
 * plan_softmax.c - what the softmax "online" kernel accepts, and how it is
 * launched (see plan_softmax.h).  No CUDA here.
 */
#include <math.h>

#include "kernels.h"
#include "plan_softmax.h"

kb_status kbc_softmax_online_supports(void *plugin_ctx, const kb_problem *p, char *why, size_t why_len)
{
    (void)plugin_ctx;
    return kb_check_softmax(p, why, why_len);
}

size_t kbc_softmax_online_workspace(void *plugin_ctx, const kb_problem *p)
{
    (void)plugin_ctx;
    (void)p;
    return 0;
}

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

kbc_softmax_plan kbc_softmax_plan_make(const kb_softmax_params *s)
{
    kbc_softmax_plan pl = {KBC_SOFTMAX_NONE, 1, 0, 0, 0, 0};
    if (s->rows <= 0 || s->cols <= 0)
        return pl;
    /* 16-byte accesses need every row of x and y to start on 16 bytes and
     * hold whole vectors (kbc_vector_ok checks both). */
    const int esize = (int)kb_dtype_size(s->x.dtype);
    if (kbc_vector_ok(&s->x, 16) && kbc_vector_ok(&s->y, 16))
        pl.vec = 16 / esize;
    const int64_t cols = s->cols;

    if (cols <= KBC_SOFTMAX_WARP_MAX_COLS) {
        /* Smallest per-lane count that covers the row: 32 * per_thread >= cols. */
        int e = 4;
        while (e < pl.vec || 32 * (int64_t)e < cols)
            e *= 2;
        pl.path = KBC_SOFTMAX_WARP;
        pl.per_thread = e;
        pl.rows_per_block = KBC_SOFTMAX_WARPS_PER_BLOCK;
        pl.threads = 32 * KBC_SOFTMAX_WARPS_PER_BLOCK;
        pl.blocks = min64(ceil_div(s->rows, pl.rows_per_block), KBC_SOFTMAX_GRID_CAP);
    } else if (cols <= 8192 || (cols <= KBC_SOFTMAX_BLOCK_MAX_COLS && pl.vec > 1)) {
        /* Two 16-byte vectors a thread (f32: 8 values, 512 threads for 4096
         * columns; f16/bf16: 16 values, 256 threads), 8 scalar values; 16
         * when a block of 1024 would not hold the row (vector rows only:
         * 16 scalar values a thread spill at 1024 threads).  Threads are
         * rounded up to whole warps. */
        pl.path = KBC_SOFTMAX_BLOCK;
        pl.per_thread = pl.vec > 1 ? 2 * pl.vec : 8;
        if ((int64_t)pl.per_thread * 1024 < cols)
            pl.per_thread = 16;
        pl.threads = (int)(ceil_div(ceil_div(cols, pl.per_thread), 32) * 32);
        pl.rows_per_block = 1;
        pl.blocks = min64(s->rows, KBC_SOFTMAX_GRID_CAP);
    } else {
        pl.path = KBC_SOFTMAX_LOOP;
        pl.per_thread = 0;
        pl.threads = KBC_SOFTMAX_LOOP_THREADS;
        pl.rows_per_block = 1;
        pl.blocks = min64(s->rows, KBC_SOFTMAX_GRID_CAP);
    }
    return pl;
}
