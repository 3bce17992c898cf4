/*
 * plan_quantize.c - what the quantize "vec" kernel accepts, and how each
 * kind is launched (see plan_quantize.h).  No CUDA here.
 */
#include "kernels.h"
#include "plan_quantize.h"

static const char *dtype_name(kb_dtype t) { return kb_dtype_name(t) ? kb_dtype_name(t) : "invalid"; }

static kb_status want_dtype(const kb_tensor *t, kb_dtype want, const char *name, char *why, size_t why_len)
{
    if (t->dtype == want)
        return KB_OK;
    return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "quantize %s must be %s, not %s", name,
                    dtype_name(want), dtype_name(t->dtype));
}

/* A rank-2 tensor of the given shape whose rows do not share elements. */
static kb_status check_matrix(const kb_tensor *t, const char *name, int64_t rows, int64_t cols, char *why,
                              size_t why_len)
{
    const int64_t shape[2] = {rows, cols};
    return kb_check_tensor(t, name, KB_DTYPE_INVALID, 2, shape, why, why_len);
}

static int64_t group_count(const kb_quantize_params *q)
{
    return (q->cols + q->group_size - 1) / q->group_size;
}

static kb_status check_int8_kinds(const kb_quantize_params *q, char *why, size_t why_len)
{
    if (q->granularity != KB_SCALE_PER_TENSOR && q->granularity != KB_SCALE_PER_ROW &&
        q->granularity != KB_SCALE_PER_GROUP)
        return kb_fail(KB_ERR_INVALID, why, why_len, "quantize granularity %d is unknown", (int)q->granularity);
    if (q->granularity == KB_SCALE_PER_GROUP && q->group_size < 1)
        return kb_fail(KB_ERR_INVALID, why, why_len, "quantize group_size %lld must be >= 1",
                        (long long)q->group_size);
    const int quant = q->kind == KB_QUANT_INT8;
    kb_status st = quant ? want_dtype(&q->x, KB_DTYPE_F32, "x", why, why_len)
                         : want_dtype(&q->y, KB_DTYPE_F32, "y", why, why_len);
    if (st == KB_OK)
        st = want_dtype(&q->q, KB_DTYPE_I8, "q", why, why_len);
    if (st == KB_OK)
        st = want_dtype(&q->scales, KB_DTYPE_F32, "scales", why, why_len);
    if (st == KB_OK)
        st = quant ? check_matrix(&q->x, "quantize x", q->rows, q->cols, why, why_len)
                   : check_matrix(&q->y, "quantize y", q->rows, q->cols, why, why_len);
    if (st == KB_OK)
        st = check_matrix(&q->q, "quantize q", q->rows, q->cols, why, why_len);
    if (st != KB_OK)
        return st;
    if (q->granularity == KB_SCALE_PER_GROUP)
        return check_matrix(&q->scales, "quantize scales", q->rows, group_count(q), why, why_len);
    const int64_t n = q->granularity == KB_SCALE_PER_TENSOR ? 1 : q->rows;
    return kb_check_tensor(&q->scales, "quantize scales", KB_DTYPE_F32, 1, &n, why, why_len);
}

static kb_status check_cast(const kb_quantize_params *q, char *why, size_t why_len)
{
    const kb_dtype t = q->out_dtype;
    if (t != KB_DTYPE_F16 && t != KB_DTYPE_BF16 && t != KB_DTYPE_FP8_E4M3 && t != KB_DTYPE_FP8_E5M2)
        return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "cast out_dtype must be f16, bf16, e4m3 or e5m2, not %s",
                        dtype_name(t));
    kb_status st = want_dtype(&q->x, KB_DTYPE_F32, "x", why, why_len);
    if (st == KB_OK)
        st = want_dtype(&q->y, t, "y (the cast's out_dtype)", why, why_len);
    if (st == KB_OK)
        st = check_matrix(&q->x, "quantize x", q->rows, q->cols, why, why_len);
    if (st == KB_OK)
        st = check_matrix(&q->y, "quantize y", q->rows, q->cols, why, why_len);
    return st;
}

static kb_status check_vq(const kb_quantize_params *q, char *why, size_t why_len)
{
    if (q->codes < 1)
        return kb_fail(KB_ERR_INVALID, why, why_len, "vq codes %lld must be >= 1", (long long)q->codes);
    if (q->codes > INT32_MAX)
        return kb_fail(KB_ERR_UNSUPPORTED, why, why_len, "vq codes %lld do not fit the i32 indices",
                        (long long)q->codes);
    kb_status st = want_dtype(&q->x, KB_DTYPE_F32, "x", why, why_len);
    if (st == KB_OK)
        st = want_dtype(&q->codebook, KB_DTYPE_F32, "codebook", why, why_len);
    if (st == KB_OK)
        st = want_dtype(&q->indices, KB_DTYPE_I32, "indices", why, why_len);
    if (st == KB_OK)
        st = check_matrix(&q->x, "vq x", q->rows, q->cols, why, why_len);
    if (st == KB_OK)
        st = check_matrix(&q->codebook, "vq codebook", q->codes, q->cols, why, why_len);
    if (st == KB_OK)
        st = kb_check_tensor(&q->indices, "vq indices", KB_DTYPE_I32, 1, &q->rows, why, why_len);
    return st;
}

kb_status kbc_quantize_vec_supports(void *plugin_ctx, const kb_problem *p, char *why, size_t why_len)
{
    (void)plugin_ctx;
    if (!p || p->op != KB_OP_QUANTIZE)
        return kb_fail(KB_ERR_INVALID, why, why_len, "not a quantize problem");
    const kb_quantize_params *q = &p->u.quantize;
    if (q->rows < 0 || q->cols < 0)
        return kb_fail(KB_ERR_INVALID, why, why_len, "quantize shape %lld x %lld is negative",
                        (long long)q->rows, (long long)q->cols);
    switch (q->kind) {
    case KB_QUANT_INT8: case KB_QUANT_DEQUANT_INT8: return check_int8_kinds(q, why, why_len);
    case KB_QUANT_CAST: return check_cast(q, why, why_len);
    case KB_QUANT_VQ: return check_vq(q, why, why_len);
    default: return kb_fail(KB_ERR_INVALID, why, why_len, "quantize kind %d is unknown", (int)q->kind);
    }
}

size_t kbc_quantize_vec_workspace(void *plugin_ctx, const kb_problem *p)
{
    (void)plugin_ctx;
    if (!p || p->op != KB_OP_QUANTIZE)
        return 0;
    return kbc_quant_plan_make(&p->u.quantize, 0).workspace;
}

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }
static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
static int64_t pow2_at_least(int64_t n)
{
    int64_t p = 1;
    while (p < n)
        p *= 2;
    return p;
}

/* Grid of a grid-stride elementwise kernel over `vectors` work items:
 * enough blocks to fill the device a few times over, not more than needed. */
static int64_t elementwise_blocks(int64_t vectors, int sm_count)
{
    const int64_t per_block = (int64_t)KBC_QUANT_EW_THREADS * KBC_QUANT_EW_UNROLL;
    return max64(1, min64(ceil_div(vectors, per_block), (int64_t)sm_count * 8));
}

/* Per row and per group: segments of seg_len values (a row, or a group). */
static void plan_segments(const kb_quantize_params *q, kbc_quant_plan *pl)
{
    const int per_group = q->granularity == KB_SCALE_PER_GROUP;
    pl->groups = per_group ? group_count(q) : 1;
    pl->seg_len = per_group ? min64(q->group_size, q->cols) : q->cols;
    pl->segments = q->rows * pl->groups;
    /* Vector loads need every segment to start on a 16-byte boundary of x
     * (and 4 bytes of q): aligned rows and, per group, group_size % 4 == 0. */
    pl->vec = kbc_vector_ok(&q->x, 16) && kbc_vector_ok(&q->q, 4) && (!per_group || q->group_size % 4 == 0) ? 4 : 1;
    const int64_t len = pl->seg_len;
    const int64_t block_max = pl->vec > 1 ? KBC_QUANT_BLOCK_MAX_COLS_VEC : KBC_QUANT_BLOCK_MAX_COLS;
    if (len <= KBC_QUANT_TEAM_MAX_LEN) {
        /* About 16 values a lane: team = next power of two >= len / 16 (at
         * most a warp), then the fewest values a lane that cover len (<= 16). */
        pl->path = KBC_QUANT_INT8_TEAM;
        pl->team = (int)min64(32, pow2_at_least(ceil_div(max64(len, 1), 16)));
        pl->per_thread = (int)max64(pl->vec, pow2_at_least(ceil_div(max64(len, 1), pl->team)));
        pl->threads = KBC_QUANT_TEAM_THREADS;
        const int64_t per_block = KBC_QUANT_TEAM_THREADS / pl->team;
        pl->blocks = min64(ceil_div(pl->segments, per_block), KBC_QUANT_GRID_CAP);
    } else if (len <= block_max) {
        /* Four 16-byte vectors a thread (256 threads for 4096 values), or 8 scalars. */
        pl->path = KBC_QUANT_INT8_BLOCK;
        pl->per_thread = pl->vec > 1 ? 16 : 8;
        pl->threads = (int)(ceil_div(ceil_div(len, pl->per_thread), 32) * 32);
        pl->blocks = min64(pl->segments, KBC_QUANT_GRID_CAP);
    } else {
        pl->path = KBC_QUANT_INT8_LOOP;
        pl->threads = KBC_QUANT_LOOP_THREADS;
        pl->blocks = min64(pl->segments, KBC_QUANT_GRID_CAP);
    }
}

kbc_quant_plan kbc_quant_plan_make(const kb_quantize_params *q, int sm_count)
{
    kbc_quant_plan pl;
    memset(&pl, 0, sizeof pl);
    pl.path = KBC_QUANT_NONE;
    pl.vec = 1;
    if (sm_count <= 0)
        sm_count = 132;
    const int64_t n = q->rows * q->cols;
    switch (q->kind) {
    case KB_QUANT_INT8:
        if (q->granularity == KB_SCALE_PER_TENSOR) {
            /* Runs even for an empty tensor: its scale (0) is still written. */
            pl.path = KBC_QUANT_INT8_TENSOR;
            pl.vec = kbc_vector_ok(&q->x, 16) && kbc_vector_ok(&q->q, 4) ? 4 : 1;
            pl.threads = KBC_QUANT_EW_THREADS;
            const int64_t vectors = n / pl.vec;
            pl.aux_blocks = min64(elementwise_blocks(vectors, sm_count), KBC_QUANT_PARTIALS);
            pl.blocks = elementwise_blocks(vectors, sm_count);
            pl.workspace = (size_t)KBC_QUANT_PARTIALS * sizeof(uint32_t);
        } else if (q->rows > 0 && (q->cols > 0 || q->granularity == KB_SCALE_PER_ROW)) {
            /* Per row with cols == 0 still writes each row's scale (0). */
            plan_segments(q, &pl);
        }
        break;
    case KB_QUANT_DEQUANT_INT8:
        if (n > 0) {
            pl.path = KBC_QUANT_DEQUANT;
            pl.vec = kbc_vector_ok(&q->q, 4) && kbc_vector_ok(&q->y, 16) ? 4 : 1;
            pl.threads = KBC_QUANT_EW_THREADS;
            pl.blocks = elementwise_blocks(n / pl.vec, sm_count);
        }
        break;
    case KB_QUANT_CAST:
        if (n > 0) {
            pl.path = KBC_QUANT_CAST;
            pl.vec = kbc_vector_ok(&q->x, 16) && kbc_vector_ok(&q->y, 4 * kb_dtype_size(q->out_dtype)) ? 4 : 1;
            pl.threads = KBC_QUANT_EW_THREADS;
            pl.blocks = elementwise_blocks(n / pl.vec, sm_count);
        }
        break;
    case KB_QUANT_VQ:
        if (q->rows > 0) {
            pl.path = KBC_QUANT_VQ;
            pl.threads = KBC_VQ_THREADS;
            pl.blocks = min64(ceil_div(q->rows, KBC_VQ_BM), KBC_QUANT_GRID_CAP);
            pl.aux_blocks = min64(ceil_div(q->codes, KBC_VQ_NORM_THREADS / 32), KBC_QUANT_GRID_CAP);
            pl.workspace = (size_t)ceil_div(q->codes * (int64_t)sizeof(float), 64) * 64;
        }
        break;
    default:
        break;
    }
    return pl;
}
