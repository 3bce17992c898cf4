/*
 * broken.c -> kb_broken.so: a host plugin whose kernels are each wrong in
 * exactly one planted way, and otherwise correct.  It exists to prove that
 * `kbench verify` catches each kind of fault: every kernel below must FAIL
 * verification (exit 1), with a message that points at the fault.  The
 * kernel's name names its fault:
 *
 *   softmax.off_by_one      the normalising sum skips the last column
 *   softmax.unwritten       never writes y[rows-1, cols-1] (poisoning finds it)
 *   softmax.wrong_scale     ignores the problem's scale (uses 1.0); passes
 *                           only when scale == 1
 *   matmul.off_by_one       the k loop stops at K-1
 *   matmul.first_trial_only computes the first call for an (m, n, k), then
 *                           replays that output on later calls of that shape:
 *                           right only for the first trial's inputs
 *   attention.nan           correct, except O[B/2, Hq/2, Sq/2, D/2] = NaN
 *   quantize.ties_away      INT8 quantize rounding halves away from zero;
 *                           only exact-tie inputs (x / scale = n + 0.5) catch it
 *
 * Only f32 tensors (matmul: f16/bf16/f32 inputs, f32 output); supports()
 * declines anything else with a reason.  Everything is computed the
 * straightforward way in f64.  Never installed; built into
 * <build>/tests/plugins so default plugin discovery never sees it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <kbench/kbench.h>

/* ---- plugin context: the memory of matmul.first_trial_only ------------- */

#define REPLAY_SLOTS 32

typedef struct replay_slot {
    int64_t m, n, k;
    float *c; /* m*n floats, packed rows; NULL = slot empty */
} replay_slot;

typedef struct broken_ctx {
    replay_slot slots[REPLAY_SLOTS];
    int next_victim; /* round-robin replacement when all slots are used */
} broken_ctx;

static kb_status broken_init(const kb_host_context *host, void **ctx, char *err, size_t err_len)
{
    (void)host;
    broken_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, err_len, "out of memory for the plugin context");
        return KB_ERR_NOMEM;
    }
    *ctx = c;
    return KB_OK;
}

static void broken_fini(void *ctx)
{
    broken_ctx *c = ctx;
    if (!c)
        return;
    for (int i = 0; i < REPLAY_SLOTS; i++)
        free(c->slots[i].c);
    free(c);
}

/* ---- supports() helpers ------------------------------------------------- */

static kb_status decline(char *why, size_t why_len, const char *msg)
{
    snprintf(why, why_len, "%s", msg);
    return KB_ERR_UNSUPPORTED;
}

static kb_status softmax_supports(void *ctx, const kb_problem *p, char *why, size_t why_len)
{
    (void)ctx;
    if (p->op != KB_OP_SOFTMAX)
        return decline(why, why_len, "not a softmax problem");
    if (p->u.softmax.x.dtype != KB_DTYPE_F32 || p->u.softmax.y.dtype != KB_DTYPE_F32)
        return decline(why, why_len, "only f32 is implemented");
    return KB_OK;
}

static kb_status matmul_supports(void *ctx, const kb_problem *p, char *why, size_t why_len)
{
    (void)ctx;
    if (p->op != KB_OP_MATMUL)
        return decline(why, why_len, "not a matmul problem");
    const kb_matmul_params *mp = &p->u.matmul;
    kb_dtype t = mp->a.dtype;
    if (t != KB_DTYPE_F16 && t != KB_DTYPE_BF16 && t != KB_DTYPE_F32)
        return decline(why, why_len, "only f16, bf16 or f32 inputs are implemented");
    if (mp->b.dtype != t)
        return decline(why, why_len, "A and B must have the same dtype");
    if (mp->c.dtype != KB_DTYPE_F32)
        return decline(why, why_len, "only f32 output is implemented");
    return KB_OK;
}

static kb_status attention_supports(void *ctx, const kb_problem *p, char *why, size_t why_len)
{
    (void)ctx;
    if (p->op != KB_OP_ATTENTION)
        return decline(why, why_len, "not an attention problem");
    const kb_attention_params *a = &p->u.attention;
    if (a->q.dtype != KB_DTYPE_F32 || a->k.dtype != KB_DTYPE_F32 || a->v.dtype != KB_DTYPE_F32 ||
        a->o.dtype != KB_DTYPE_F32 || a->lse.dtype != KB_DTYPE_F32)
        return decline(why, why_len, "only f32 is implemented");
    if (a->heads_kv <= 0 || a->heads_q % a->heads_kv != 0) {
        snprintf(why, why_len, "heads_q is not a multiple of heads_kv");
        return KB_ERR_INVALID;
    }
    return KB_OK;
}

static kb_status quantize_supports(void *ctx, const kb_problem *p, char *why, size_t why_len)
{
    (void)ctx;
    if (p->op != KB_OP_QUANTIZE)
        return decline(why, why_len, "not a quantize problem");
    const kb_quantize_params *q = &p->u.quantize;
    if (q->kind != KB_QUANT_INT8)
        return decline(why, why_len, "only INT8 quantize is implemented");
    if (q->granularity != KB_SCALE_PER_TENSOR && q->granularity != KB_SCALE_PER_ROW &&
        q->granularity != KB_SCALE_PER_GROUP)
        return decline(why, why_len, "unknown scale granularity");
    if (q->granularity == KB_SCALE_PER_GROUP && q->group_size <= 0) {
        snprintf(why, why_len, "group_size must be > 0");
        return KB_ERR_INVALID;
    }
    return KB_OK;
}

static size_t no_workspace(void *ctx, const kb_problem *p)
{
    (void)ctx;
    (void)p;
    return 0;
}

/* ---- softmax: one core, three faults ------------------------------------ */

enum softmax_fault { SM_OFF_BY_ONE, SM_UNWRITTEN, SM_WRONG_SCALE };

static void softmax_core(const kb_softmax_params *s, enum softmax_fault fault)
{
    const float *x = s->x.data;
    float *y = s->y.data;
    double scale = fault == SM_WRONG_SCALE ? 1.0 : (double)s->scale; /* FAULT (wrong_scale) */
    for (int64_t r = 0; r < s->rows; r++) {
        const float *xr = x + r * s->x.strides[0];
        float *yr = y + r * s->y.strides[0];
        double m = -INFINITY;
        int has_nan = 0;
        for (int64_t j = 0; j < s->cols; j++) {
            double v = scale * xr[j];
            if (v != v)
                has_nan = 1;
            else if (v > m)
                m = v;
        }
        if (m == -INFINITY && !has_nan) { /* every entry -inf: 0 (log: -inf) */
            for (int64_t j = 0; j < s->cols; j++)
                yr[j] = s->log_softmax ? -INFINITY : 0.0f;
            continue;
        }
        if (has_nan || m == INFINITY) { /* NaN or +inf in the row: all NaN */
            for (int64_t j = 0; j < s->cols; j++)
                yr[j] = NAN;
            continue;
        }
        int64_t sum_cols = fault == SM_OFF_BY_ONE ? s->cols - 1 : s->cols; /* FAULT (off_by_one) */
        double sum = 0.0;
        for (int64_t j = 0; j < sum_cols; j++)
            sum += exp(scale * xr[j] - m);
        double lsum = log(sum);
        for (int64_t j = 0; j < s->cols; j++) {
            if (fault == SM_UNWRITTEN && r == s->rows - 1 && j == s->cols - 1)
                continue; /* FAULT (unwritten): the last element keeps its poison */
            double v = scale * xr[j] - m;
            yr[j] = (float)(s->log_softmax ? v - lsum : exp(v) / sum);
        }
    }
}

static kb_status softmax_off_by_one(void *ctx, const kb_problem *p, void *ws, void *stream, char *err, size_t err_len)
{
    (void)ctx; (void)ws; (void)stream; (void)err; (void)err_len;
    softmax_core(&p->u.softmax, SM_OFF_BY_ONE);
    return KB_OK;
}

static kb_status softmax_unwritten(void *ctx, const kb_problem *p, void *ws, void *stream, char *err, size_t err_len)
{
    (void)ctx; (void)ws; (void)stream; (void)err; (void)err_len;
    softmax_core(&p->u.softmax, SM_UNWRITTEN);
    return KB_OK;
}

static kb_status softmax_wrong_scale(void *ctx, const kb_problem *p, void *ws, void *stream, char *err, size_t err_len)
{
    (void)ctx; (void)ws; (void)stream; (void)err; (void)err_len;
    softmax_core(&p->u.softmax, SM_WRONG_SCALE);
    return KB_OK;
}

/* ---- matmul ------------------------------------------------------------- */

/* C = alpha op(A) op(B) + beta C over k < k_end (K for a correct result). */
static void matmul_core(const kb_matmul_params *mp, int64_t k_end)
{
    int64_t lda = mp->a.strides[0], ldb = mp->b.strides[0], ldc = mp->c.strides[0];
    float *c = mp->c.data;
    for (int64_t i = 0; i < mp->m; i++) {
        for (int64_t j = 0; j < mp->n; j++) {
            double acc = 0.0;
            for (int64_t kk = 0; kk < k_end; kk++) {
                double av = kb_load_f64(mp->a.data, mp->a.dtype, mp->trans_a ? kk * lda + i : i * lda + kk);
                double bv = kb_load_f64(mp->b.data, mp->b.dtype, mp->trans_b ? j * ldb + kk : kk * ldb + j);
                acc += av * bv;
            }
            double v = (double)mp->alpha * acc;
            if (mp->beta != 0.0f) /* beta == 0: C is not read (it may hold NaN) */
                v += (double)mp->beta * c[i * ldc + j];
            c[i * ldc + j] = (float)v;
        }
    }
}

static kb_status matmul_off_by_one(void *ctx, const kb_problem *p, void *ws, void *stream, char *err, size_t err_len)
{
    (void)ctx; (void)ws; (void)stream; (void)err; (void)err_len;
    const kb_matmul_params *mp = &p->u.matmul;
    matmul_core(mp, mp->k > 0 ? mp->k - 1 : 0); /* FAULT: the k loop stops at K-1 */
    return KB_OK;
}

static kb_status matmul_first_trial_only(void *ctx, const kb_problem *p, void *ws, void *stream, char *err, size_t err_len)
{
    (void)ws; (void)stream;
    broken_ctx *bc = ctx;
    const kb_matmul_params *mp = &p->u.matmul;
    int64_t ldc = mp->c.strides[0];
    float *c = mp->c.data;
    for (int i = 0; i < REPLAY_SLOTS; i++) {
        replay_slot *s = &bc->slots[i];
        if (s->c && s->m == mp->m && s->n == mp->n && s->k == mp->k) {
            /* FAULT: replay the first call's output instead of computing */
            for (int64_t r = 0; r < mp->m; r++)
                memcpy(c + r * ldc, s->c + r * mp->n, (size_t)mp->n * sizeof(float));
            return KB_OK;
        }
    }
    matmul_core(mp, mp->k); /* first call for this shape: correct */
    replay_slot *s = NULL;
    for (int i = 0; i < REPLAY_SLOTS && !s; i++)
        if (!bc->slots[i].c)
            s = &bc->slots[i];
    if (!s) {
        s = &bc->slots[bc->next_victim];
        bc->next_victim = (bc->next_victim + 1) % REPLAY_SLOTS;
        free(s->c);
        s->c = NULL;
    }
    float *saved = malloc((size_t)(mp->m * mp->n) * sizeof(float) + 1); /* +1: never malloc(0) */
    if (!saved) {
        snprintf(err, err_len, "out of memory remembering a %lldx%lld output",
                 (long long)mp->m, (long long)mp->n);
        return KB_ERR_NOMEM;
    }
    for (int64_t r = 0; r < mp->m; r++)
        memcpy(saved + r * mp->n, c + r * ldc, (size_t)mp->n * sizeof(float));
    s->m = mp->m;
    s->n = mp->n;
    s->k = mp->k;
    s->c = saved;
    return KB_OK;
}

/* ---- attention ----------------------------------------------------------- */

static int64_t off4(const kb_tensor *t, int64_t a, int64_t b, int64_t c, int64_t d)
{
    return a * t->strides[0] + b * t->strides[1] + c * t->strides[2] + d * t->strides[3];
}

static size_t attention_workspace(void *ctx, const kb_problem *p)
{
    (void)ctx;
    /* scores for one query row, then one output row */
    return (size_t)(p->u.attention.seq_kv + p->u.attention.head_dim) * sizeof(double);
}

static kb_status attention_nan(void *ctx, const kb_problem *p, void *ws, void *stream, char *err, size_t err_len)
{
    (void)ctx; (void)stream; (void)err; (void)err_len;
    const kb_attention_params *a = &p->u.attention;
    const float *q = a->q.data, *k = a->k.data, *v = a->v.data;
    float *o = a->o.data, *lse = a->lse.data;
    double *sc = ws, *acc = sc + a->seq_kv;
    int64_t group = a->heads_q / a->heads_kv, D = a->head_dim;
    for (int64_t b = 0; b < a->batch; b++)
        for (int64_t h = 0; h < a->heads_q; h++) {
            int64_t g = h / group;
            for (int64_t i = 0; i < a->seq_q; i++) {
                /* keys 0..last are visible (causal: aligned bottom-right) */
                int64_t last = a->causal ? i + (a->seq_kv - a->seq_q) : a->seq_kv - 1;
                if (last > a->seq_kv - 1)
                    last = a->seq_kv - 1;
                int64_t lse_off = b * a->lse.strides[0] + h * a->lse.strides[1] + i * a->lse.strides[2];
                if (last < 0) { /* no visible key: O = 0, LSE = -inf */
                    for (int64_t d = 0; d < D; d++)
                        o[off4(&a->o, b, h, i, d)] = 0.0f;
                    lse[lse_off] = -INFINITY;
                    continue;
                }
                double m = -INFINITY;
                for (int64_t j = 0; j <= last; j++) {
                    double s = 0.0;
                    for (int64_t d = 0; d < D; d++)
                        s += (double)q[off4(&a->q, b, h, i, d)] * k[off4(&a->k, b, g, j, d)];
                    sc[j] = (double)a->scale * s;
                    if (sc[j] > m)
                        m = sc[j];
                }
                double sum = 0.0;
                for (int64_t d = 0; d < D; d++)
                    acc[d] = 0.0;
                for (int64_t j = 0; j <= last; j++) {
                    double w = exp(sc[j] - m);
                    sum += w;
                    for (int64_t d = 0; d < D; d++)
                        acc[d] += w * v[off4(&a->v, b, g, j, d)];
                }
                for (int64_t d = 0; d < D; d++)
                    o[off4(&a->o, b, h, i, d)] = (float)(acc[d] / sum);
                lse[lse_off] = (float)(m + log(sum));
            }
        }
    /* FAULT: one NaN in the middle of O */
    if (a->batch > 0 && a->heads_q > 0 && a->seq_q > 0 && D > 0)
        o[off4(&a->o, a->batch / 2, a->heads_q / 2, a->seq_q / 2, D / 2)] = NAN;
    return KB_OK;
}

/* ---- quantize ------------------------------------------------------------ */

/* round(x / s) for s > 0, with the quotient taken exactly: r is the f64
 * quotient; when r is a half-integer, the exact remainder x - r*s (fma, exact)
 * says whether the true quotient is above, below or exactly on the tie. */
static double round_quotient_ties_away(float x, float s)
{
    double r = (double)x / (double)s;
    double fl = floor(r);
    if (r - fl != 0.5)
        return nearbyint(r); /* not a tie: every rounding mode of ties agrees */
    double rem = fma(-r, (double)s, (double)x);
    if (rem > 0.0)
        return fl + 1.0;
    if (rem < 0.0)
        return fl;
    return r > 0.0 ? fl + 1.0 : fl; /* FAULT: exact tie rounds away from zero (should be to even) */
}

static kb_status quantize_ties_away(void *ctx, const kb_problem *p, void *ws, void *stream, char *err, size_t err_len)
{
    (void)ctx; (void)ws; (void)stream; (void)err; (void)err_len;
    const kb_quantize_params *qp = &p->u.quantize;
    const float *x = qp->x.data;
    int8_t *q = qp->q.data;
    float *scales = qp->scales.data;
    int64_t rows = qp->rows, cols = qp->cols;
    /* A scale block is rows [row0, row1) x columns [c0, c1): all rows for
     * PER_TENSOR, one row otherwise; all columns, or group_size of them. */
    int per_tensor = qp->granularity == KB_SCALE_PER_TENSOR;
    int64_t bw = qp->granularity == KB_SCALE_PER_GROUP ? qp->group_size : cols;
    int64_t nblk = bw > 0 ? (cols + bw - 1) / bw : 0;
    for (int64_t row0 = 0; row0 < rows; row0 = per_tensor ? rows : row0 + 1) {
        int64_t row1 = per_tensor ? rows : row0 + 1;
        for (int64_t gb = 0; gb < nblk; gb++) {
            int64_t c0 = gb * bw, c1 = c0 + bw < cols ? c0 + bw : cols;
            float amax = 0.0f;
            for (int64_t r = row0; r < row1; r++)
                for (int64_t j = c0; j < c1; j++) {
                    float av = fabsf(x[r * qp->x.strides[0] + j]);
                    if (!(av <= amax))
                        amax = av; /* also propagates NaN */
                }
            float scale = amax / 127.0f;
            int64_t soff = qp->granularity == KB_SCALE_PER_TENSOR ? 0
                         : qp->granularity == KB_SCALE_PER_ROW ? row0 * qp->scales.strides[0]
                         : row0 * qp->scales.strides[0] + gb * qp->scales.strides[1];
            scales[soff] = scale;
            for (int64_t r = row0; r < row1; r++)
                for (int64_t j = c0; j < c1; j++) {
                    double v = 0.0;
                    if (scale != 0.0f && isfinite(scale)) {
                        v = round_quotient_ties_away(x[r * qp->x.strides[0] + j], scale);
                        v = v < -127.0 ? -127.0 : v > 127.0 ? 127.0 : v;
                    }
                    q[r * qp->q.strides[0] + j] = (int8_t)v;
                }
        }
    }
    return KB_OK;
}

/* ---- descriptor ---------------------------------------------------------- */

static const kb_kernel broken_kernels[] = {
    {"off_by_one", KB_OP_SOFTMAX, "planted fault: the normalising sum skips the last column",
     softmax_supports, no_workspace, softmax_off_by_one},
    {"unwritten", KB_OP_SOFTMAX, "planted fault: never writes the last element of the last row",
     softmax_supports, no_workspace, softmax_unwritten},
    {"wrong_scale", KB_OP_SOFTMAX, "planted fault: ignores scale (uses 1.0)",
     softmax_supports, no_workspace, softmax_wrong_scale},
    {"off_by_one", KB_OP_MATMUL, "planted fault: the k loop stops at K-1",
     matmul_supports, no_workspace, matmul_off_by_one},
    {"first_trial_only", KB_OP_MATMUL, "planted fault: replays the first call's output for a shape",
     matmul_supports, no_workspace, matmul_first_trial_only},
    {"nan", KB_OP_ATTENTION, "planted fault: one NaN in the middle of O",
     attention_supports, attention_workspace, attention_nan},
    {"ties_away", KB_OP_QUANTIZE, "planted fault: int8 quantize rounds halves away from zero",
     quantize_supports, no_workspace, quantize_ties_away},
};

static const kb_plugin broken_plugin = {
    .abi_version = KB_ABI_VERSION,
    .struct_size = sizeof(kb_plugin),
    .name = "broken",
    .version = "1.0.0",
    .backend = KB_BACKEND_HOST,
    .description = "test plugin: every kernel has one planted fault; verification must fail each",
    .init = broken_init,
    .fini = broken_fini,
    .kernel_count = sizeof broken_kernels / sizeof broken_kernels[0],
    .kernels = broken_kernels,
};

KB_PLUGIN_ENTRY
{
    return &broken_plugin;
}
