/*
 * test_cuda_plan_softmax.c - the cuda softmax kernel's host side, without a
 * GPU: what supports() accepts and refuses (and with which status), and that
 * every launch plan is in range and covers every row and element once.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "expect.h"
#include "kernels.h"
#include "plan_softmax.h"

/* Fake device addresses: only their alignment matters here. */
#define BASE ((uintptr_t)1 << 40)

static kb_tensor matrix(kb_dtype t, int64_t rows, int64_t cols, int64_t ld, uintptr_t addr)
{
    kb_tensor m;
    memset(&m, 0, sizeof m);
    m.dtype = t;
    m.rank = 2;
    m.shape[0] = rows;
    m.shape[1] = cols;
    m.strides[0] = ld;
    m.strides[1] = 1;
    m.data = (void *)addr;
    return m;
}

static kb_problem problem(kb_dtype t, int64_t rows, int64_t cols, int64_t pad, uintptr_t xoff, uintptr_t yoff)
{
    kb_problem p;
    memset(&p, 0, sizeof p);
    p.op = KB_OP_SOFTMAX;
    kb_softmax_params *s = &p.u.softmax;
    s->rows = rows;
    s->cols = cols;
    s->scale = 1.0f;
    s->x = matrix(t, rows, cols, cols + pad, BASE + xoff);
    s->y = matrix(t, rows, cols, cols + pad, 2 * BASE + yoff);
    return p;
}

static kb_status supports(const kb_problem *p)
{
    char why[256] = "";
    kb_status st = kbc_softmax_online_supports(NULL, p, why, sizeof why);
    EXPECT(st == KB_OK || why[0] != '\0', "a refusal must say why (status %d)", (int)st);
    return st;
}

static void test_supports(void)
{
    const kb_dtype ok_types[] = {KB_DTYPE_F32, KB_DTYPE_F16, KB_DTYPE_BF16};
    for (int i = 0; i < 3; i++) {
        kb_problem p = problem(ok_types[i], 7, 129, 3, 4, 0);
        EXPECT(supports(&p) == KB_OK, "%s softmax accepted", kb_dtype_name(ok_types[i]));
        p.u.softmax.log_softmax = 1;
        p.u.softmax.scale = 0.125f;
        EXPECT(supports(&p) == KB_OK, "%s log-softmax accepted", kb_dtype_name(ok_types[i]));
    }
    kb_problem p = problem(KB_DTYPE_F32, 4, 8, 0, 0, 0);
    p.u.softmax.x.dtype = p.u.softmax.y.dtype = KB_DTYPE_I8;
    EXPECT(supports(&p) == KB_ERR_UNSUPPORTED, "i8 softmax is unsupported");
    p = problem(KB_DTYPE_F32, 4, 8, 0, 0, 0);
    p.u.softmax.x.dtype = p.u.softmax.y.dtype = KB_DTYPE_FP8_E4M3;
    EXPECT(supports(&p) == KB_ERR_UNSUPPORTED, "e4m3 softmax is unsupported");
    p = problem(KB_DTYPE_F32, 4, 8, 0, 0, 0);
    p.u.softmax.y.dtype = KB_DTYPE_F16;
    EXPECT(supports(&p) == KB_ERR_UNSUPPORTED, "y dtype other than x's is unsupported");
    p.u.softmax.y.dtype = KB_DTYPE_F64;
    EXPECT(supports(&p) == KB_ERR_UNSUPPORTED, "f64 y is unsupported");

    p = problem(KB_DTYPE_F16, 4, 8, 0, 0, 0);
    p.op = KB_OP_MATMUL;
    EXPECT(supports(&p) == KB_ERR_INVALID, "wrong op is invalid");
    p = problem(KB_DTYPE_F16, 4, 8, 0, 0, 0);
    p.u.softmax.y.shape[1] = 9;
    EXPECT(supports(&p) == KB_ERR_INVALID, "y shape mismatch is invalid");
    p = problem(KB_DTYPE_F16, 4, 8, 0, 0, 0);
    p.u.softmax.x.rank = 3;
    EXPECT(supports(&p) == KB_ERR_INVALID, "rank 3 x is invalid");
    p = problem(KB_DTYPE_F16, 4, 8, 0, 0, 0);
    p.u.softmax.x.strides[1] = 2;
    EXPECT(supports(&p) == KB_ERR_INVALID, "innermost stride 2 is invalid");
    p = problem(KB_DTYPE_F16, 4, 8, 0, 0, 0);
    p.u.softmax.y.strides[0] = 7;
    EXPECT(supports(&p) == KB_ERR_INVALID, "overlapping rows are invalid");
    p = problem(KB_DTYPE_F16, 4, 8, 0, 0, 0);
    p.u.softmax.x.data = NULL;
    EXPECT(supports(&p) == KB_ERR_INVALID, "missing data is invalid");
    p = problem(KB_DTYPE_F16, 4, 8, 0, 0, 0);
    p.u.softmax.rows = -1;
    EXPECT(supports(&p) == KB_ERR_INVALID, "negative rows are invalid");
    const float bad_scales[] = {0.0f, -1.0f, INFINITY, NAN};
    for (int i = 0; i < 4; i++) {
        p = problem(KB_DTYPE_F32, 4, 8, 0, 0, 0);
        p.u.softmax.scale = bad_scales[i];
        EXPECT(supports(&p) == KB_ERR_INVALID, "scale %g is invalid", (double)bad_scales[i]);
    }
    /* Empty problems are fine (nothing to do), NULL data included. */
    p = problem(KB_DTYPE_F32, 0, 8, 0, 0, 0);
    p.u.softmax.x.data = p.u.softmax.y.data = NULL;
    EXPECT(supports(&p) == KB_OK, "0 rows accepted");
    EXPECT(kbc_softmax_plan_make(&p.u.softmax).path == KBC_SOFTMAX_NONE, "0 rows: nothing to launch");
    p = problem(KB_DTYPE_F32, 1, 1, 0, 0, 0);
    EXPECT(supports(&p) == KB_OK, "1 x 1 accepted");
    EXPECT(kbc_softmax_online_workspace(NULL, &p) == 0, "no workspace");
}

static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* Every element of a row is owned by exactly one (thread, slot): the
 * kernels' mapping c = (i * team + tid) * vec + k. */
static void check_row_coverage(const kbc_softmax_plan *pl, int64_t cols, const char *what)
{
    const int team = pl->path == KBC_SOFTMAX_WARP ? 32 : pl->threads;
    unsigned char *seen = calloc((size_t)cols, 1);
    int bad = 0;
    if (pl->path == KBC_SOFTMAX_LOOP) {
        for (int tid = 0; tid < team; tid++)
            for (int64_t c = (int64_t)tid * pl->vec; c < cols; c += (int64_t)team * pl->vec)
                for (int k = 0; k < pl->vec; k++)
                    bad += c + k >= cols || seen[c + k]++;
    } else {
        for (int i = 0; i < pl->per_thread / pl->vec; i++)
            for (int tid = 0; tid < team; tid++) {
                const int64_t c = ((int64_t)i * team + tid) * pl->vec;
                if (c < cols) /* a vector is all in or all out: cols % vec == 0 */
                    for (int k = 0; k < pl->vec; k++)
                        bad += c + k >= cols || seen[c + k]++;
            }
    }
    for (int64_t c = 0; c < cols; c++)
        bad += seen[c] != 1;
    EXPECT(bad == 0, "%s: %d columns not covered exactly once", what, bad);
    free(seen);
}

/* Rows: block b, team w of the block, strides of blocks * rows_per_block. */
static void check_rows_once(const kbc_softmax_plan *pl, int64_t rows, const char *what)
{
    unsigned char *seen = calloc((size_t)rows, 1);
    int bad = 0;
    const int64_t step = pl->blocks * pl->rows_per_block;
    for (int64_t b = 0; b < pl->blocks; b++)
        for (int w = 0; w < pl->rows_per_block; w++)
            for (int64_t r = b * pl->rows_per_block + w; r < rows; r += step)
                bad += seen[r]++ != 0;
    for (int64_t r = 0; r < rows; r++)
        bad += seen[r] != 1;
    EXPECT(bad == 0, "%s: %d rows not covered exactly once", what, bad);
    free(seen);
}

static void check_plan(const kb_problem *p, int simulate)
{
    const kb_softmax_params *s = &p->u.softmax;
    const kbc_softmax_plan pl = kbc_softmax_plan_make(s);
    char what[160];
    snprintf(what, sizeof what, "%s %lldx%lld ld %lld x@%llu y@%llu", kb_dtype_name(s->x.dtype),
             (long long)s->rows, (long long)s->cols, (long long)s->x.strides[0],
             (unsigned long long)((uintptr_t)s->x.data % 64), (unsigned long long)((uintptr_t)s->y.data % 64));
    if (s->rows == 0 || s->cols == 0) {
        EXPECT(pl.path == KBC_SOFTMAX_NONE, "%s: empty problem launches nothing", what);
        return;
    }
    const int vw = 16 / (int)kb_dtype_size(s->x.dtype);
    const int can_vec = kbc_vector_ok(&s->x, 16) && kbc_vector_ok(&s->y, 16);
    EXPECT(pl.vec == (can_vec ? vw : 1), "%s: vec %d (vector ok: %d)", what, pl.vec, can_vec);
    EXPECT(pl.threads >= 32 && pl.threads <= 1024 && pl.threads % 32 == 0, "%s: threads %d", what, pl.threads);
    EXPECT(pl.blocks >= 1 && pl.blocks <= KBC_SOFTMAX_GRID_CAP && pl.blocks <= INT32_MAX, "%s: blocks %lld", what,
           (long long)pl.blocks);
    EXPECT(pl.blocks * pl.rows_per_block >= s->rows || pl.blocks == KBC_SOFTMAX_GRID_CAP,
           "%s: %lld blocks of %d rows leave rows out without striding", what, (long long)pl.blocks,
           pl.rows_per_block);
    EXPECT(pl.blocks <= ceil_div(s->rows, pl.rows_per_block), "%s: more blocks than rows", what);
    switch (pl.path) {
    case KBC_SOFTMAX_WARP:
        EXPECT(s->cols <= KBC_SOFTMAX_WARP_MAX_COLS, "%s: warp path for a long row", what);
        EXPECT(pl.per_thread == 4 || pl.per_thread == 8 || pl.per_thread == 16 || pl.per_thread == 32,
               "%s: warp per_thread %d has no kernel", what, pl.per_thread);
        EXPECT(pl.per_thread >= pl.vec && pl.per_thread % pl.vec == 0, "%s: per_thread %d vs vec %d", what,
               pl.per_thread, pl.vec);
        EXPECT(32 * (int64_t)pl.per_thread >= s->cols, "%s: warp holds %d < cols", what, 32 * pl.per_thread);
        EXPECT(pl.per_thread == 4 || pl.per_thread == pl.vec || 16 * (int64_t)pl.per_thread < s->cols,
               "%s: per_thread %d larger than needed", what, pl.per_thread);
        EXPECT(pl.threads == 32 * pl.rows_per_block, "%s: a warp per row", what);
        break;
    case KBC_SOFTMAX_BLOCK:
        EXPECT(s->cols > KBC_SOFTMAX_WARP_MAX_COLS && s->cols <= KBC_SOFTMAX_BLOCK_MAX_COLS, "%s: block path", what);
        EXPECT(pl.per_thread == 8 || (pl.per_thread == 16 && pl.vec > 1), "%s: block per_thread %d has no kernel",
               what, pl.per_thread);
        EXPECT(pl.per_thread % pl.vec == 0, "%s: per_thread %d vs vec %d", what, pl.per_thread, pl.vec);
        EXPECT((int64_t)pl.per_thread * pl.threads >= s->cols, "%s: block holds fewer than cols", what);
        EXPECT((int64_t)pl.per_thread * (pl.threads - 32) < s->cols, "%s: a whole idle warp", what);
        EXPECT(pl.rows_per_block == 1, "%s: a block per row", what);
        break;
    case KBC_SOFTMAX_LOOP:
        EXPECT(s->cols > 8192, "%s: loop path for a row that fits in registers", what);
        EXPECT(pl.threads == KBC_SOFTMAX_LOOP_THREADS && pl.rows_per_block == 1, "%s: loop shape", what);
        break;
    default:
        EXPECT(0, "%s: no path for a non-empty problem", what);
        return;
    }
    if (simulate) {
        check_row_coverage(&pl, s->cols, what);
        if (s->rows <= 100000)
            check_rows_once(&pl, s->rows, what);
    }
}

static void test_plans(void)
{
    const kb_dtype types[] = {KB_DTYPE_F32, KB_DTYPE_F16, KB_DTYPE_BF16};
    const int64_t cols[] = {1, 2, 3, 4, 7, 8, 31, 32, 33, 64, 100, 127, 128, 129, 256, 511, 512, 777, 1000,
                            1023, 1024, 1025, 1032, 2048, 3001, 4096, 8191, 8192, 8200, 12288, 16383, 16384,
                            16392, 20000, 65536};
    const int64_t rows[] = {1, 3, 4, 5, 255, 4097};
    const int64_t pads[] = {0, 1, 8};
    const uintptr_t offsets[] = {0, 2, 4, 16};
    for (size_t t = 0; t < 3; t++)
        for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++)
            for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++)
                for (size_t d = 0; d < 3; d++)
                    for (size_t o = 0; o < 4; o++) {
                        if (offsets[o] % kb_dtype_size(types[t]))
                            continue;
                        kb_problem p = problem(types[t], rows[r], cols[c], pads[d], offsets[o], 0);
                        EXPECT(supports(&p) == KB_OK, "plan case accepted");
                        check_plan(&p, r < 4);
                    }
    /* The perf-gpu shapes take the register paths with 16-byte accesses. */
    kb_problem p = problem(KB_DTYPE_F16, 16384, 4096, 0, 0, 0);
    kbc_softmax_plan pl = kbc_softmax_plan_make(&p.u.softmax);
    EXPECT(pl.path == KBC_SOFTMAX_BLOCK && pl.vec == 8 && pl.per_thread == 16 && pl.threads == 256,
           "16384x4096 f16: block, vec 8, two vectors a thread");
    p = problem(KB_DTYPE_F32, 16384, 4096, 0, 0, 0);
    pl = kbc_softmax_plan_make(&p.u.softmax);
    EXPECT(pl.path == KBC_SOFTMAX_BLOCK && pl.vec == 4 && pl.per_thread == 8 && pl.threads == 512 && pl.blocks == 16384,
           "16384x4096 f32: block, vec 4, two vectors a thread");
    p = problem(KB_DTYPE_F32, 16384, 4096, 0, 4, 0);
    pl = kbc_softmax_plan_make(&p.u.softmax);
    EXPECT(pl.vec == 1, "x off 16-byte alignment: scalar");
    p = problem(KB_DTYPE_F32, 16384, 4096, 1, 0, 0);
    pl = kbc_softmax_plan_make(&p.u.softmax);
    EXPECT(pl.vec == 1, "odd row stride: scalar");
    p = problem(KB_DTYPE_F32, 100, 1000, 0, 0, 0);
    pl = kbc_softmax_plan_make(&p.u.softmax);
    EXPECT(pl.path == KBC_SOFTMAX_WARP && pl.per_thread == 32 && pl.blocks == 25, "100x1000: warp path, 25 blocks");

    /* Row counts past 2^31 and past 65535 blocks: the grid is capped and strides. */
    const int64_t huge[] = {65535 * 4 + 1, (int64_t)1 << 31, ((int64_t)1 << 33) + 3};
    for (int i = 0; i < 3; i++) {
        p = problem(KB_DTYPE_F16, huge[i], 64, 0, 0, 0);
        check_plan(&p, 0);
        p = problem(KB_DTYPE_F16, huge[i], 4096, 0, 0, 0);
        check_plan(&p, 0);
        p = problem(KB_DTYPE_F16, huge[i], 100000, 0, 0, 0);
        check_plan(&p, 0);
    }
    /* Striding over rows when the grid is capped covers each row once. */
    kbc_softmax_plan capped = {KBC_SOFTMAX_WARP, 1, 4, 128, 4, 7};
    check_rows_once(&capped, 1000, "capped warp grid");
    capped.path = KBC_SOFTMAX_BLOCK;
    capped.rows_per_block = 1;
    check_rows_once(&capped, 1000, "capped block grid");
}

int main(void)
{
    test_supports();
    test_plans();
    if (failures) {
        fprintf(stderr, "test_cuda_plan_softmax: %d failures\n", failures);
        return 1;
    }
    printf("test_cuda_plan_softmax: ok\n");
    return 0;
}
