/*
 * test_cuda_plan_quantize.c - the cuda quantize kernel's host side, without a
 * GPU: what supports() accepts and refuses, the workspace, that every launch
 * plan is in range and covers every segment and element once, and the
 * bit-exact element rules the kernels share with this test (plan_quantize.h)
 * against the oracle's: kbench/convert.h's encoder and kb_store_f64's int8
 * rounding of the f64 quotient.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <kbench/convert.h>

#include "expect.h"
#include "kernels.h"
#include "plan_quantize.h"

#define BASE ((uintptr_t)1 << 40) /* fake device addresses: only alignment matters */

static kb_tensor tensor2(kb_dtype t, int64_t rows, int64_t cols, int64_t ld, uintptr_t addr)
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

static kb_tensor tensor1(kb_dtype t, int64_t n, uintptr_t addr)
{
    kb_tensor m;
    memset(&m, 0, sizeof m);
    m.dtype = t;
    m.rank = 1;
    m.shape[0] = n;
    m.strides[0] = 1;
    m.data = (void *)addr;
    return m;
}

/* An int8 or dequant problem; pad pads the rows of x/y and q, off shifts x/y. */
static kb_problem int8_problem(kb_quant_kind kind, kb_scale_granularity g, int64_t rows, int64_t cols,
                               int64_t group, int64_t pad, uintptr_t off)
{
    kb_problem p;
    memset(&p, 0, sizeof p);
    p.op = KB_OP_QUANTIZE;
    kb_quantize_params *q = &p.u.quantize;
    q->kind = kind;
    q->granularity = g;
    q->group_size = group;
    q->rows = rows;
    q->cols = cols;
    kb_tensor f = tensor2(KB_DTYPE_F32, rows, cols, cols + pad, BASE + off);
    if (kind == KB_QUANT_INT8)
        q->x = f;
    else
        q->y = f;
    q->q = tensor2(KB_DTYPE_I8, rows, cols, cols + pad, 2 * BASE);
    if (g == KB_SCALE_PER_GROUP) {
        int64_t ng = group > 0 ? (cols + group - 1) / group : 1;
        q->scales = tensor2(KB_DTYPE_F32, rows, ng, ng, 3 * BASE);
    } else {
        q->scales = tensor1(KB_DTYPE_F32, g == KB_SCALE_PER_TENSOR ? 1 : rows, 3 * BASE);
    }
    return p;
}

static kb_problem cast_problem(kb_dtype out, int64_t rows, int64_t cols, int64_t pad, uintptr_t off)
{
    kb_problem p;
    memset(&p, 0, sizeof p);
    p.op = KB_OP_QUANTIZE;
    kb_quantize_params *q = &p.u.quantize;
    q->kind = KB_QUANT_CAST;
    q->rows = rows;
    q->cols = cols;
    q->out_dtype = out;
    q->x = tensor2(KB_DTYPE_F32, rows, cols, cols + pad, BASE + off);
    q->y = tensor2(out, rows, cols, cols + pad, 2 * BASE);
    return p;
}

static kb_problem vq_problem(int64_t rows, int64_t dim, int64_t codes)
{
    kb_problem p;
    memset(&p, 0, sizeof p);
    p.op = KB_OP_QUANTIZE;
    kb_quantize_params *q = &p.u.quantize;
    q->kind = KB_QUANT_VQ;
    q->rows = rows;
    q->cols = dim;
    q->codes = codes;
    q->x = tensor2(KB_DTYPE_F32, rows, dim, dim, BASE);
    q->codebook = tensor2(KB_DTYPE_F32, codes, dim, dim + 1, 2 * BASE);
    q->indices = tensor1(KB_DTYPE_I32, rows, 3 * BASE);
    return p;
}

static kb_status supports(const kb_problem *p)
{
    char why[256] = "";
    kb_status st = kbc_quantize_vec_supports(NULL, p, why, sizeof why);
    EXPECT(st == KB_OK || why[0] != '\0', "a refusal must say why (status %d)", (int)st);
    return st;
}

static void test_supports(void)
{
    const kb_scale_granularity grans[] = {KB_SCALE_PER_TENSOR, KB_SCALE_PER_ROW, KB_SCALE_PER_GROUP};
    for (int g = 0; g < 3; g++) {
        kb_problem p = int8_problem(KB_QUANT_INT8, grans[g], 9, 37, 32, 3, 4);
        EXPECT(supports(&p) == KB_OK, "int8 granularity %d accepted", (int)grans[g]);
        p = int8_problem(KB_QUANT_DEQUANT_INT8, grans[g], 9, 37, 32, 0, 0);
        EXPECT(supports(&p) == KB_OK, "dequant granularity %d accepted", (int)grans[g]);
    }
    kb_problem p = int8_problem(KB_QUANT_INT8, KB_SCALE_PER_ROW, 4, 8, 0, 0, 0);
    p.u.quantize.granularity = (kb_scale_granularity)9;
    EXPECT(supports(&p) == KB_ERR_INVALID, "unknown granularity is invalid");
    p = int8_problem(KB_QUANT_INT8, KB_SCALE_PER_GROUP, 4, 8, 0, 0, 0);
    EXPECT(supports(&p) == KB_ERR_INVALID, "group_size 0 is invalid");
    p = int8_problem(KB_QUANT_INT8, KB_SCALE_PER_GROUP, 4, 8, 3, 0, 0);
    p.u.quantize.scales.shape[1] = 2;
    EXPECT(supports(&p) == KB_ERR_INVALID, "per-group scales of the wrong shape are invalid");
    p = int8_problem(KB_QUANT_INT8, KB_SCALE_PER_ROW, 4, 8, 0, 0, 0);
    p.u.quantize.scales.shape[0] = 1;
    EXPECT(supports(&p) == KB_ERR_INVALID, "per-row scales of the wrong shape are invalid");
    p = int8_problem(KB_QUANT_INT8, KB_SCALE_PER_ROW, 4, 8, 0, 0, 0);
    p.u.quantize.x.dtype = KB_DTYPE_F16;
    EXPECT(supports(&p) == KB_ERR_UNSUPPORTED, "f16 x is unsupported");
    p = int8_problem(KB_QUANT_INT8, KB_SCALE_PER_ROW, 4, 8, 0, 0, 0);
    p.u.quantize.q.dtype = KB_DTYPE_I32;
    EXPECT(supports(&p) == KB_ERR_UNSUPPORTED, "i32 q is unsupported");
    p = int8_problem(KB_QUANT_DEQUANT_INT8, KB_SCALE_PER_ROW, 4, 8, 0, 0, 0);
    p.u.quantize.y.dtype = KB_DTYPE_F64;
    EXPECT(supports(&p) == KB_ERR_UNSUPPORTED, "f64 dequant y is unsupported");
    p = int8_problem(KB_QUANT_INT8, KB_SCALE_PER_ROW, 4, 8, 0, 0, 0);
    p.u.quantize.q.strides[0] = 4;
    EXPECT(supports(&p) == KB_ERR_INVALID, "overlapping q rows are invalid");
    p = int8_problem(KB_QUANT_INT8, KB_SCALE_PER_ROW, 4, 8, 0, 0, 0);
    p.u.quantize.x.data = NULL;
    EXPECT(supports(&p) == KB_ERR_INVALID, "missing x is invalid");
    p = int8_problem(KB_QUANT_INT8, KB_SCALE_PER_ROW, 4, 8, 0, 0, 0);
    p.u.quantize.kind = (kb_quant_kind)42;
    EXPECT(supports(&p) == KB_ERR_INVALID, "unknown kind is invalid");
    p = int8_problem(KB_QUANT_INT8, KB_SCALE_PER_ROW, 4, 8, 0, 0, 0);
    p.op = KB_OP_SOFTMAX;
    EXPECT(supports(&p) == KB_ERR_INVALID, "wrong op is invalid");
    p = int8_problem(KB_QUANT_INT8, KB_SCALE_PER_ROW, 4, 8, 0, 0, 0);
    p.u.quantize.cols = -2;
    EXPECT(supports(&p) == KB_ERR_INVALID, "negative cols are invalid");

    const kb_dtype outs[] = {KB_DTYPE_F16, KB_DTYPE_BF16, KB_DTYPE_FP8_E4M3, KB_DTYPE_FP8_E5M2};
    for (int i = 0; i < 4; i++) {
        p = cast_problem(outs[i], 8, 67, 1, 4);
        EXPECT(supports(&p) == KB_OK, "cast to %s accepted", kb_dtype_name(outs[i]));
        p.u.quantize.saturate = 1;
        EXPECT(supports(&p) == KB_OK, "saturating cast to %s accepted", kb_dtype_name(outs[i]));
    }
    p = cast_problem(KB_DTYPE_F32, 8, 8, 0, 0);
    EXPECT(supports(&p) == KB_ERR_UNSUPPORTED, "cast to f32 is unsupported");
    p = cast_problem(KB_DTYPE_I8, 8, 8, 0, 0);
    EXPECT(supports(&p) == KB_ERR_UNSUPPORTED, "cast to i8 is unsupported");
    p = cast_problem(KB_DTYPE_F16, 8, 8, 0, 0);
    p.u.quantize.y.dtype = KB_DTYPE_BF16;
    EXPECT(supports(&p) == KB_ERR_UNSUPPORTED, "y dtype other than out_dtype is unsupported");
    p = cast_problem(KB_DTYPE_F16, 8, 8, 0, 0);
    p.u.quantize.y.shape[0] = 7;
    EXPECT(supports(&p) == KB_ERR_INVALID, "cast y of the wrong shape is invalid");

    p = vq_problem(50, 12, 17);
    EXPECT(supports(&p) == KB_OK, "vq accepted");
    p.u.quantize.codes = 0;
    EXPECT(supports(&p) == KB_ERR_INVALID, "vq with no codes is invalid");
    p = vq_problem(50, 12, ((int64_t)1 << 31) + 1);
    EXPECT(supports(&p) == KB_ERR_UNSUPPORTED, "more codes than i32 indices hold is unsupported");
    p = vq_problem(50, 12, 17);
    p.u.quantize.codebook.shape[1] = 11;
    EXPECT(supports(&p) == KB_ERR_INVALID, "codebook of the wrong width is invalid");
    p = vq_problem(50, 12, 17);
    p.u.quantize.indices.dtype = KB_DTYPE_F32;
    EXPECT(supports(&p) == KB_ERR_UNSUPPORTED, "f32 indices are unsupported");
    p = vq_problem(50, 12, 17);
    p.u.quantize.indices.shape[0] = 49;
    EXPECT(supports(&p) == KB_ERR_INVALID, "indices of the wrong length are invalid");
}

static void test_workspace(void)
{
    kb_problem p = int8_problem(KB_QUANT_INT8, KB_SCALE_PER_TENSOR, 1000, 1001, 0, 0, 0);
    kbc_quant_plan pl = kbc_quant_plan_make(&p.u.quantize, 132);
    EXPECT(kbc_quantize_vec_workspace(NULL, &p) >= (size_t)pl.aux_blocks * 4, "per-tensor workspace holds the partials");
    EXPECT(pl.aux_blocks >= 1 && pl.aux_blocks <= KBC_QUANT_PARTIALS, "partials %lld", (long long)pl.aux_blocks);
    /* The sm count changes the partial count, never beyond what workspace() reserved (sm unknown there). */
    for (int sm = 1; sm <= 1024; sm *= 2) {
        kbc_quant_plan big = kbc_quant_plan_make(&p.u.quantize, sm);
        EXPECT(big.aux_blocks * 4 <= (int64_t)kbc_quantize_vec_workspace(NULL, &p), "sm %d: partials fit", sm);
    }
    p = vq_problem(16384, 64, 1024);
    EXPECT(kbc_quantize_vec_workspace(NULL, &p) >= 1024 * sizeof(float), "vq workspace holds the norms");
    p = int8_problem(KB_QUANT_INT8, KB_SCALE_PER_ROW, 10, 10, 0, 0, 0);
    EXPECT(kbc_quantize_vec_workspace(NULL, &p) == 0, "per-row needs no workspace");
    p = cast_problem(KB_DTYPE_F16, 10, 10, 0, 0);
    EXPECT(kbc_quantize_vec_workspace(NULL, &p) == 0, "cast needs no workspace");
}

static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* The TEAM and BLOCK kernels: segment s goes to team (base / teams_per_unit)
 * where units are warps (TEAM) or blocks (BLOCK, LOOP); inside a segment,
 * lane t owns vectors i * team + t.  Every element of x once. */
static void simulate_segments(const kbc_quant_plan *pl, const kb_quantize_params *q, const char *what)
{
    const int64_t rows = q->rows, cols = q->cols;
    const int64_t g = q->granularity == KB_SCALE_PER_GROUP ? q->group_size : cols;
    unsigned char *seen = calloc((size_t)(rows * cols + 1), 1);
    unsigned char *seg_seen = calloc((size_t)pl->segments + 1, 1);
    int bad = 0;
    int64_t units, per_unit, team;
    if (pl->path == KBC_QUANT_INT8_TEAM) {
        team = pl->team;
        units = pl->blocks * pl->threads / 32; /* warps */
        per_unit = 32 / team;
    } else {
        team = pl->threads;
        units = pl->blocks;
        per_unit = 1;
    }
    for (int64_t u = 0; u < units; u++)
        for (int64_t base = u * per_unit; base < pl->segments; base += units * per_unit)
            for (int64_t j = 0; j < per_unit && base + j < pl->segments; j++) {
                const int64_t seg = base + j;
                bad += seg_seen[seg]++ != 0;
                const int64_t r = seg / pl->groups, gi = seg % pl->groups;
                const int64_t start = gi * g, len = cols - start < g ? cols - start : g;
                if (pl->path == KBC_QUANT_INT8_LOOP) {
                    for (int64_t t = 0; t < team; t++)
                        for (int64_t c = t * pl->vec; c < len; c += team * pl->vec)
                            for (int k = 0; k < pl->vec; k++)
                                bad += c + k >= len || seen[r * cols + start + c + k]++;
                } else {
                    for (int64_t i = 0; i < pl->per_thread / pl->vec; i++)
                        for (int64_t t = 0; t < team; t++) {
                            const int64_t c = (i * team + t) * pl->vec;
                            if (c < len)
                                for (int k = 0; k < pl->vec; k++)
                                    bad += c + k >= len || seen[r * cols + start + c + k]++;
                        }
                }
            }
    for (int64_t s = 0; s < pl->segments; s++)
        bad += seg_seen[s] != 1;
    for (int64_t e = 0; e < rows * cols; e++)
        bad += seen[e] != 1;
    EXPECT(bad == 0, "%s: %d segments or elements not covered exactly once", what, bad);
    free(seen);
    free(seg_seen);
}

/* The elementwise walk: thread gidx of T visits vectors gidx, gidx + T, ...
 * stepping (r, c) by (T / vpr, T % vpr) with a carry, as quantize.cu does. */
static void simulate_walk(const kbc_quant_plan *pl, int64_t rows, int64_t cols, const char *what)
{
    const int64_t vpr = cols / pl->vec, T = pl->blocks * pl->threads;
    unsigned char *seen = calloc((size_t)(rows * vpr + 1), 1);
    int bad = (cols % pl->vec) != 0;
    for (int64_t gidx = 0; gidx < T; gidx++) {
        int64_t r = gidx / vpr, c = gidx % vpr;
        const int64_t dr = T / vpr, dc = T % vpr;
        while (r < rows) {
            for (int u = 0; u < KBC_QUANT_EW_UNROLL && r < rows; u++) {
                bad += seen[r * vpr + c]++ != 0;
                c += dc;
                r += dr;
                if (c >= vpr) {
                    c -= vpr;
                    r++;
                }
            }
        }
    }
    for (int64_t e = 0; e < rows * vpr; e++)
        bad += seen[e] != 1;
    EXPECT(bad == 0, "%s: %d vectors not visited exactly once", what, bad);
    free(seen);
}

static void check_int8_plan(const kb_problem *p, int simulate)
{
    const kb_quantize_params *q = &p->u.quantize;
    const kbc_quant_plan pl = kbc_quant_plan_make(q, 132);
    char what[200];
    snprintf(what, sizeof what, "int8 gran %d %lldx%lld g %lld ld %lld x@%llu", (int)q->granularity,
             (long long)q->rows, (long long)q->cols, (long long)q->group_size, (long long)q->x.strides[0],
             (unsigned long long)((uintptr_t)q->x.data % 64));
    const int per_group = q->granularity == KB_SCALE_PER_GROUP;
    const int can_vec = kbc_vector_ok(&q->x, 16) && kbc_vector_ok(&q->q, 4) && (!per_group || q->group_size % 4 == 0);
    EXPECT(pl.vec == (can_vec ? 4 : 1), "%s: vec %d, vector ok %d", what, pl.vec, can_vec);
    EXPECT(pl.blocks >= 1 && pl.blocks <= KBC_QUANT_GRID_CAP, "%s: blocks %lld", what, (long long)pl.blocks);
    EXPECT(pl.threads >= 32 && pl.threads <= 1024 && pl.threads % 32 == 0, "%s: threads %d", what, pl.threads);
    if (q->granularity == KB_SCALE_PER_TENSOR) {
        EXPECT(pl.path == KBC_QUANT_INT8_TENSOR, "%s: per-tensor path", what);
        EXPECT(pl.aux_blocks >= 1 && pl.aux_blocks <= KBC_QUANT_PARTIALS, "%s: partials", what);
        if (simulate)
            simulate_walk(&pl, q->rows, q->cols, what);
        return;
    }
    const int64_t groups = per_group ? ceil_div(q->cols, q->group_size) : 1;
    EXPECT(pl.groups == groups && pl.segments == q->rows * groups, "%s: %lld segments", what, (long long)pl.segments);
    switch (pl.path) {
    case KBC_QUANT_INT8_TEAM:
        EXPECT(pl.seg_len <= KBC_QUANT_TEAM_MAX_LEN, "%s: team path for a long segment", what);
        EXPECT(pl.team >= 1 && pl.team <= 32 && (pl.team & (pl.team - 1)) == 0, "%s: team %d", what, pl.team);
        EXPECT(pl.per_thread == 1 || pl.per_thread == 2 || pl.per_thread == 4 || pl.per_thread == 8 ||
                   pl.per_thread == 16,
               "%s: per_thread %d has no kernel", what, pl.per_thread);
        EXPECT(pl.per_thread >= pl.vec && pl.per_thread % pl.vec == 0, "%s: per_thread vs vec", what);
        EXPECT((int64_t)pl.team * pl.per_thread >= pl.seg_len, "%s: team holds %d < %lld", what,
               pl.team * pl.per_thread, (long long)pl.seg_len);
        EXPECT(pl.threads == KBC_QUANT_TEAM_THREADS && pl.threads % pl.team == 0, "%s: team threads", what);
        EXPECT(pl.blocks * (pl.threads / pl.team) >= pl.segments || pl.blocks == KBC_QUANT_GRID_CAP,
               "%s: too few teams", what);
        break;
    case KBC_QUANT_INT8_BLOCK:
        EXPECT(pl.seg_len > KBC_QUANT_TEAM_MAX_LEN, "%s: block path for a short segment", what);
        EXPECT(pl.per_thread == 8 || (pl.per_thread == 16 && pl.vec == 4), "%s: block per_thread %d has no kernel",
               what, pl.per_thread);
        EXPECT((int64_t)pl.per_thread * pl.threads >= pl.seg_len, "%s: block holds fewer than a segment", what);
        EXPECT((int64_t)pl.per_thread * (pl.threads - 32) < pl.seg_len, "%s: a whole idle warp", what);
        EXPECT(pl.blocks == (pl.segments < KBC_QUANT_GRID_CAP ? pl.segments : KBC_QUANT_GRID_CAP), "%s: block grid",
               what);
        break;
    case KBC_QUANT_INT8_LOOP:
        EXPECT(pl.seg_len > KBC_QUANT_BLOCK_MAX_COLS, "%s: loop path for a segment that fits", what);
        EXPECT(pl.threads == KBC_QUANT_LOOP_THREADS, "%s: loop threads", what);
        break;
    default:
        EXPECT(q->rows == 0 || (q->cols == 0 && per_group), "%s: no path", what);
        return;
    }
    if (simulate)
        simulate_segments(&pl, q, what);
}

static void test_int8_plans(void)
{
    const kb_scale_granularity grans[] = {KB_SCALE_PER_TENSOR, KB_SCALE_PER_ROW, KB_SCALE_PER_GROUP};
    const int64_t cols[] = {1, 3, 4, 16, 31, 32, 33, 37, 64, 65, 100, 250, 512, 513, 1000, 1001, 4096, 8193, 9000};
    const int64_t rows[] = {1, 3, 33};
    const int64_t groups[] = {1, 2, 3, 4, 5, 16, 32, 64, 100, 128, 512, 600, 4096, 10000};
    const int64_t pads[] = {0, 3, 4};
    const uintptr_t offs[] = {0, 4};
    for (int g = 0; g < 3; g++)
        for (size_t c = 0; c < sizeof cols / sizeof cols[0]; c++)
            for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++)
                for (size_t d = 0; d < 3; d++)
                    for (size_t o = 0; o < 2; o++)
                        for (size_t k = 0; k < (grans[g] == KB_SCALE_PER_GROUP ? sizeof groups / sizeof groups[0] : 1);
                             k++) {
                            kb_problem p =
                                int8_problem(KB_QUANT_INT8, grans[g], rows[r], cols[c], groups[k], pads[d], offs[o]);
                            EXPECT(supports(&p) == KB_OK, "int8 case accepted");
                            check_int8_plan(&p, 1);
                        }
    /* The perf-gpu shapes. */
    kb_problem p = int8_problem(KB_QUANT_INT8, KB_SCALE_PER_ROW, 16384, 4096, 0, 0, 0);
    kbc_quant_plan pl = kbc_quant_plan_make(&p.u.quantize, 132);
    EXPECT(pl.path == KBC_QUANT_INT8_BLOCK && pl.vec == 4 && pl.per_thread == 16 && pl.threads == 256 &&
               pl.blocks == 16384,
           "16384x4096 per row: a block of 256 per row, four 16-byte loads a thread");
    p = int8_problem(KB_QUANT_INT8, KB_SCALE_PER_GROUP, 16384, 4096, 32, 0, 0);
    pl = kbc_quant_plan_make(&p.u.quantize, 132);
    EXPECT(pl.path == KBC_QUANT_INT8_TEAM && pl.vec == 4 && pl.team == 2 && pl.per_thread == 16,
           "group 32: teams of 2 lanes, 16 values a lane");
    check_int8_plan(&p, 0);
    /* Empty problems. */
    p = int8_problem(KB_QUANT_INT8, KB_SCALE_PER_ROW, 5, 0, 0, 0, 0);
    pl = kbc_quant_plan_make(&p.u.quantize, 132);
    EXPECT(pl.path == KBC_QUANT_INT8_TEAM && pl.segments == 5, "per row, 0 cols: the scales (0) are still written");
    p = int8_problem(KB_QUANT_INT8, KB_SCALE_PER_TENSOR, 0, 5, 0, 0, 0);
    pl = kbc_quant_plan_make(&p.u.quantize, 132);
    EXPECT(pl.path == KBC_QUANT_INT8_TENSOR && pl.blocks >= 1, "per tensor, 0 rows: the scale (0) is still written");
    p = int8_problem(KB_QUANT_INT8, KB_SCALE_PER_GROUP, 0, 5, 2, 0, 0);
    EXPECT(kbc_quant_plan_make(&p.u.quantize, 132).path == KBC_QUANT_NONE, "per group, 0 rows: nothing");
    /* Huge row counts: capped grids that stride. */
    p = int8_problem(KB_QUANT_INT8, KB_SCALE_PER_ROW, ((int64_t)1 << 31) + 7, 64, 0, 0, 0);
    check_int8_plan(&p, 0);
    p = int8_problem(KB_QUANT_INT8, KB_SCALE_PER_GROUP, ((int64_t)1 << 31) + 7, 4096, 32, 0, 0);
    check_int8_plan(&p, 0);
}

static void test_elementwise_plans(void)
{
    const kb_dtype outs[] = {KB_DTYPE_F16, KB_DTYPE_BF16, KB_DTYPE_FP8_E4M3, KB_DTYPE_FP8_E5M2};
    const int64_t shapes[][2] = {{1, 1}, {8, 67}, {3, 4}, {33, 64}, {100, 100}, {7, 1000}};
    for (int o = 0; o < 4; o++)
        for (int s = 0; s < 6; s++)
            for (int pad = 0; pad < 2; pad++) {
                kb_problem p = cast_problem(outs[o], shapes[s][0], shapes[s][1], pad * 4, 0);
                const kbc_quant_plan pl = kbc_quant_plan_make(&p.u.quantize, 132);
                const int can_vec = kbc_vector_ok(&p.u.quantize.x, 16) &&
                                    kbc_vector_ok(&p.u.quantize.y, 4 * kb_dtype_size(outs[o]));
                EXPECT(pl.path == KBC_QUANT_CAST && pl.vec == (can_vec ? 4 : 1), "cast plan, vec %d", pl.vec);
                simulate_walk(&pl, shapes[s][0], shapes[s][1], "cast walk");
            }
    kb_problem p = cast_problem(KB_DTYPE_BF16, 16384, 4096, 0, 0);
    kbc_quant_plan pl = kbc_quant_plan_make(&p.u.quantize, 132);
    EXPECT(pl.vec == 4 && pl.blocks == 132 * 8, "16384x4096 bf16 cast: vec 4, 8 blocks a multiprocessor");
    p = cast_problem(KB_DTYPE_FP8_E4M3, 16, 16, 0, 4);
    EXPECT(kbc_quant_plan_make(&p.u.quantize, 132).vec == 1, "x off 16 bytes: scalar cast");

    const kb_scale_granularity grans[] = {KB_SCALE_PER_TENSOR, KB_SCALE_PER_ROW, KB_SCALE_PER_GROUP};
    for (int g = 0; g < 3; g++)
        for (int s = 0; s < 6; s++) {
            p = int8_problem(KB_QUANT_DEQUANT_INT8, grans[g], shapes[s][0], shapes[s][1], 3, 0, 0);
            EXPECT(supports(&p) == KB_OK, "dequant accepted");
            pl = kbc_quant_plan_make(&p.u.quantize, 132);
            EXPECT(pl.path == KBC_QUANT_DEQUANT, "dequant plan");
            EXPECT(kbc_quant_plan_make(&p.u.quantize, 2).blocks <= 16, "blocks scale with the sm count");
            simulate_walk(&pl, shapes[s][0], shapes[s][1], "dequant walk");
        }
    /* A walk whose thread count exceeds a row several times over, and one
     * much smaller than the problem: the carry arithmetic. */
    kbc_quant_plan w = {KBC_QUANT_CAST, 1, 0, 0, 64, 0, 0, 0, 3, 0, 0};
    simulate_walk(&w, 5, 7, "wide walk");
    w.blocks = 1;
    w.threads = 32;
    simulate_walk(&w, 97, 101, "narrow walk");
}

static void test_vq_plans(void)
{
    kb_problem p = vq_problem(16384, 64, 1024);
    kbc_quant_plan pl = kbc_quant_plan_make(&p.u.quantize, 132);
    EXPECT(pl.path == KBC_QUANT_VQ && pl.blocks == 16384 / KBC_VQ_BM && pl.threads == KBC_VQ_THREADS, "vq grid");
    EXPECT(pl.aux_blocks * (KBC_VQ_NORM_THREADS / 32) >= 1024, "a warp per code for the norms");
    /* The tile kernel's shared memory (two padded BK x (64 + 4) f32 tiles) is static and small. */
    EXPECT(2 * KBC_VQ_BK * (KBC_VQ_BM + 4) * 4 <= 48 * 1024, "vq tiles fit static shared memory");
    EXPECT(KBC_VQ_BM * KBC_VQ_BK == 4 * KBC_VQ_THREADS, "x tile is 4 loads a thread");
    p = vq_problem(1, 3, 1);
    pl = kbc_quant_plan_make(&p.u.quantize, 132);
    EXPECT(pl.blocks == 1 && pl.aux_blocks == 1, "1-row vq: one block");
    p = vq_problem(0, 3, 1);
    EXPECT(kbc_quant_plan_make(&p.u.quantize, 132).path == KBC_QUANT_NONE, "0-row vq: nothing");
    p = vq_problem(((int64_t)1 << 40), 3, 5);
    EXPECT(kbc_quant_plan_make(&p.u.quantize, 132).blocks == KBC_QUANT_GRID_CAP, "huge vq: capped grid");
}

/* ---- element rules ---- */

static float f32_from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static uint32_t rng_state = 12345u;
static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static int encode_mismatches;
static void check_encode(const kb_float_format *f, int ebits, int mbits, int has_inf, float x)
{
    for (int sat = 0; sat < 2; sat++) {
        const uint32_t want = kb_encode_float(f, x, sat);
        const uint32_t got = kbc_encode_narrow(x, ebits, mbits, has_inf, sat);
        if (want != got && encode_mismatches++ < 10)
            EXPECT(0, "encode(%.9g = 0x%08x, e%dm%d, sat %d) = 0x%x, convert.h says 0x%x", (double)x,
                   (unsigned)kbc_f32_bits(x), ebits, mbits, sat, (unsigned)got, (unsigned)want);
    }
}

static void check_encode_around(const kb_float_format *f, int ebits, int mbits, int has_inf, double v)
{
    const float x = (float)v; /* the test values are exact in f32 (codes and midpoints) */
    const float probes[] = {x, nextafterf(x, INFINITY), nextafterf(x, -INFINITY)};
    for (int i = 0; i < 3; i++) {
        check_encode(f, ebits, mbits, has_inf, probes[i]);
        check_encode(f, ebits, mbits, has_inf, -probes[i]);
    }
}

static void test_encode_format(const kb_float_format *f, int ebits, int mbits, int has_inf)
{
    EXPECT(f->ebits == ebits && f->mbits == mbits && f->has_inf == has_inf, "format parameters match convert.h");
    encode_mismatches = 0;
    /* Every code, every midpoint between neighbours, one f32 ulp either side. */
    for (uint32_t c = 0; c <= f->max_code; c++) {
        const double a = kb_decode_float(f, c);
        const double b = c < f->max_code ? kb_decode_float(f, c + 1)
                                         : a + (a - kb_decode_float(f, c - 1)); /* the tie past max */
        check_encode_around(f, ebits, mbits, has_inf, a);
        check_encode_around(f, ebits, mbits, has_inf, (a + b) / 2);
    }
    const float specials[] = {0.0f, INFINITY, NAN, 3.4028235e38f, 1.17549435e-38f, 1.4e-45f, 1e-30f, 1e30f,
                              65504.0f, 65520.0f, 448.0f, 464.0f, 465.0f, 57344.0f, 61440.0f};
    for (size_t i = 0; i < sizeof specials / sizeof specials[0]; i++)
        check_encode_around(f, ebits, mbits, has_inf, specials[i]);
    check_encode(f, ebits, mbits, has_inf, f32_from_bits(0x7F7F8000u)); /* bf16's first overflow */
    check_encode(f, ebits, mbits, has_inf, f32_from_bits(0xFFC00001u)); /* a negative NaN with payload */
    /* Random bit patterns: every exponent, subnormals and NaNs included. */
    for (int i = 0; i < 300000; i++)
        check_encode(f, ebits, mbits, has_inf, f32_from_bits(rng()));
    /* Random values within the format's range (where the rounding work is). */
    const double max = kb_decode_float(f, f->max_code);
    for (int i = 0; i < 300000; i++) {
        const double u = (double)rng() / 4294967296.0;
        const double v = ldexp(u, (int)(rng() % 40) - 30) * max;
        check_encode(f, ebits, mbits, has_inf, (float)v);
    }
}

/* The oracle's int8 code: x / scale in f64, clamped, rounded half to even. */
static int ref_code(float x, float scale)
{
    if (scale == 0.0f)
        return 0;
    double v = (double)x / (double)scale;
    v = v > 127.0 ? 127.0 : (v < -127.0 ? -127.0 : v);
    int8_t out;
    kb_store_f64(&out, KB_DTYPE_I8, 0, v, 0);
    return out;
}

static int code_mismatches;
static void check_code(float x, float scale)
{
    const int want = ref_code(x, scale), got = kbc_int8_code(x, scale, kbc_frcp(scale));
    if (want != got && code_mismatches++ < 10)
        EXPECT(0, "int8 code of %.9g / %.9g = %d, the oracle says %d", (double)x, (double)scale, got, want);
}

static void test_int8_rules(void)
{
    /* Half to even on exact ties: the scale is a power of two. */
    EXPECT(kbc_int8_code(2.5f, 1.0f, 1.0f) == 2 && kbc_int8_code(3.5f, 1.0f, 1.0f) == 4 &&
               kbc_int8_code(-0.5f, 1.0f, 1.0f) == 0 && kbc_int8_code(-2.5f, 1.0f, 1.0f) == -2 &&
               kbc_int8_code(126.5f, 1.0f, 1.0f) == 126 && kbc_int8_code(125.5f, 1.0f, 1.0f) == 126,
           "ties round half to even");
    EXPECT(kbc_int8_code(500.0f, 1.0f, 1.0f) == 127 && kbc_int8_code(-500.0f, 1.0f, 1.0f) == -127 &&
               kbc_int8_code(127.5f, 1.0f, 1.0f) == 127 && kbc_int8_code(130.0f, 1.0f, 1.0f) == 127 &&
               kbc_int8_code(-199.0f, 1.0f, 1.0f) == -127,
           "clamp to +-127");
    EXPECT(kbc_int8_code(1.0f, 0.0f, INFINITY) == 0, "scale 0 gives 0");
    EXPECT(kbc_int8_code(1.0f, INFINITY, 0.0f) == 0 && kbc_int8_code(NAN, 1.0f, 1.0f) == 0,
           "non-finite blocks give some code, not a trap");
    EXPECT(kbc_int8_scale(127.0f) == 1.0f && kbc_int8_scale(0.0f) == 0.0f, "scale = absmax / 127");
    EXPECT(isnan(kbc_int8_scale(kbc_bits_f32(kbc_abs_bits(-NAN)))), "a NaN absmax gives a NaN scale");
    EXPECT(kbc_abs_bits(NAN) > kbc_abs_bits(INFINITY) && kbc_abs_bits(-INFINITY) > kbc_abs_bits(3.4e38f) &&
               kbc_abs_bits(-2.0f) > kbc_abs_bits(1.5f) && kbc_abs_bits(-0.0f) == 0,
           "|x| bits order magnitudes, NaN above inf");
    code_mismatches = 0;
    for (int i = 0; i < 2000000; i++) {
        /* A block: absmax of random magnitude, x anywhere below it. */
        const int e = (int)(rng() % 200) - 100;
        const float amax = (float)ldexp(1.0 + (double)rng() / 4294967296.0, e);
        const float scale = amax / 127.0f;
        const float x = (float)((2.0 * rng() / 4294967296.0 - 1.0) * amax);
        check_code(x, scale);
        check_code(amax, scale);
        /* Near and on ties: x = (n + 0.5) * scale, and its f32 neighbours. */
        const int n = (int)(rng() % 255) - 127;
        const float tie = (float)((n + 0.5) * (double)scale);
        check_code(tie, scale);
        check_code(nextafterf(tie, INFINITY), scale);
        check_code(nextafterf(tie, -INFINITY), scale);
    }
    /* Quotients just inside and outside the fast path's guard band around
     * half-integers, for scales whose reciprocal is inexact. */
    for (int i = 0; i < 1000000; i++) {
        const float scale = (float)ldexp(1.0 + (double)rng() / 4294967296.0, (int)(rng() % 60) - 30);
        const int n = (int)(rng() % 253) - 126;
        const double off = ldexp((double)rng() / 4294967296.0, -(int)(rng() % 24)) * ((rng() & 1) ? 1 : -1);
        check_code((float)((n + 0.5 + off) * (double)scale), scale);
        check_code((float)((n + off) * (double)scale), scale);
    }
    /* Blocks of a few subnormal quanta: the scale keeps few bits, so x / scale
     * strays past 127 (clamped). */
    for (uint32_t k = 1; k < 3000; k++)
        for (uint32_t j = 0; j <= k; j += 1 + k / 64) {
            check_code(f32_from_bits(j), f32_from_bits(k) / 127.0f);
            check_code(-f32_from_bits(j), f32_from_bits(k) / 127.0f);
        }
    /* Subnormal blocks. */
    for (int i = 0; i < 200000; i++) {
        const float amax = f32_from_bits(rng() % 0x01000000u);
        const float x = f32_from_bits(rng() % (kbc_f32_bits(amax) + 1)) * ((rng() & 1) ? -1.0f : 1.0f);
        check_code(x, amax / 127.0f);
    }
}

int main(void)
{
    test_supports();
    test_workspace();
    test_int8_plans();
    test_elementwise_plans();
    test_vq_plans();
    test_encode_format(&KB_FMT_F16, KBC_FMT_F16);
    test_encode_format(&KB_FMT_BF16, KBC_FMT_BF16);
    test_encode_format(&KB_FMT_E4M3, KBC_FMT_E4M3);
    test_encode_format(&KB_FMT_E5M2, KBC_FMT_E5M2);
    test_int8_rules();
    if (failures) {
        fprintf(stderr, "test_cuda_plan_quantize: %d failures\n", failures);
        return 1;
    }
    printf("test_cuda_plan_quantize: ok\n");
    return 0;
}
