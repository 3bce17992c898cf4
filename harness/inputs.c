#include "inputs.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include <kbench/convert.h>

#include "rng.h"

int kb_input_trial(const char *const *names, int p)
{
    int trial = 0;
    for (int j = 0; j < p; j++) trial += !strcmp(names[j], names[p]);
    return trial;
}

int kb_input_patterns(const kb_case *c, int trials, const char **names, int max)
{
    int n = 0;
    for (int i = 0; i < trials && n < max; i++) names[n++] = "random";
    static const char *const softmax[] = {"large", "equal_rows", "neg_inf", "limits", NULL};
    static const char *const attention[] = {"large_scores", "equal_keys", "large_values", NULL};
    static const char *const quant_int8[] = {"ties", "zero_block", "limits", NULL};
    static const char *const dequant[] = {"limits", NULL};
    static const char *const cast[] = {"limits", NULL};
    static const char *const vq[] = {"dup_codes", NULL};
    static const char *const matmul[] = {"limits", NULL};
    const char *const *adv = NULL;
    switch (c->op) {
    case KB_OP_SOFTMAX: adv = softmax; break;
    case KB_OP_ATTENTION: adv = attention; break;
    case KB_OP_MATMUL: adv = matmul; break;
    case KB_OP_QUANTIZE:
        adv = c->qkind == KB_QUANT_INT8 ? quant_int8 : c->qkind == KB_QUANT_DEQUANT_INT8 ? dequant
              : c->qkind == KB_QUANT_CAST ? cast : vq;
        break;
    default: break;
    }
    for (; adv && *adv && n < max; adv++) names[n++] = *adv;
    return n;
}

uint64_t kb_input_seed(uint64_t seed, const kb_case *c, const char *pattern, int trial)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a over the case and pattern */
    for (const char *s = c->id; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    h = (h ^ (uint64_t)c->op) * 1099511628211ull;
    for (const char *s = pattern; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    uint64_t x = seed ^ h ^ ((uint64_t)trial << 32);
    return kb_splitmix64(&x);
}

/* Largest finite value of a float dtype. */
static double dtype_max(kb_dtype t)
{
    const kb_float_format *f = kb_dtype_format(t);
    if (f) return kb_decode_float(f, f->max_code);
    return t == KB_DTYPE_F32 ? FLT_MAX : t == KB_DTYPE_I8 ? 127 : 2147483647.0;
}

/* Write v into element `off`; floats round to nearest even (no saturation:
 * generators stay in range). */
static void put(kb_tensor *t, int64_t off, double v)
{
    kb_store_f64(t->data, t->dtype, off, v, 0);
}

/* Walk every element of a tensor, calling gen(ctx, multi-index) for its value. */
typedef double (*gen_fn)(void *ctx, kb_rng *r, const int64_t *index);

static void fill(kb_tensor *t, kb_rng *r, gen_fn gen, void *ctx)
{
    kb_elem_iter it;
    int64_t off, idx[KB_MAX_RANK];
    kb_elem_iter_init(&it, t, 0, NULL, 0);
    while (kb_elem_iter_next(&it, &off, idx)) put(t, off, gen(ctx, r, idx));
}

static double gen_normal(void *ctx, kb_rng *r, const int64_t *idx)
{
    (void)idx;
    return *(double *)ctx * kb_rng_normal(r);
}

static double gen_uniform(void *ctx, kb_rng *r, const int64_t *idx)
{
    (void)idx;
    return *(double *)ctx * (2.0 * kb_rng_uniform(r) - 1.0);
}

static void fill_normal(kb_tensor *t, kb_rng *r, double sigma) { fill(t, r, gen_normal, &sigma); }
static void fill_uniform(kb_tensor *t, kb_rng *r, double amp) { fill(t, r, gen_uniform, &amp); }

/* ---- softmax ---- */

typedef struct { const char *pattern; double big; int64_t rows; } softmax_ctx;

static double gen_softmax(void *vctx, kb_rng *r, const int64_t *idx)
{
    softmax_ctx *c = vctx;
    double u = kb_rng_uniform(r);
    if (!strcmp(c->pattern, "large")) /* huge magnitudes: exp under/overflows without max-subtraction */
        return c->big * (2.0 * u - 1.0);
    if (!strcmp(c->pattern, "equal_rows")) /* every entry of a row equal: uniform output */
        return (double)((idx[0] * 7) % 11) - 5.0 + 0.25;
    if (!strcmp(c->pattern, "neg_inf")) { /* masked entries; the first row fully masked */
        if ((idx[0] == 0 && c->rows > 1) || u < 0.3) return -INFINITY;
        return 4.0 * kb_rng_normal(r);
    }
    if (!strcmp(c->pattern, "limits")) { /* the dtype's edges: max, tiny, zero */
        static const double picks[] = {1.0, -1.0, 0.0, 1e-30, -1e-30};
        uint64_t k = kb_rng_below(r, 7);
        if (k == 5) return c->big;
        if (k == 6) return -c->big;
        return picks[k];
    }
    return 3.0 * kb_rng_normal(r);
}

static void fill_softmax(kb_workload *w, const char *pattern, kb_rng *r)
{
    kb_softmax_params *s = &w->p.u.softmax;
    /* Keep scale * x finite in f32 so that the f32 product is well defined. */
    double big = dtype_max(s->x.dtype) / (s->scale > 1 ? 4.0 * s->scale : 4.0);
    softmax_ctx c = {pattern, big, s->rows};
    fill(&s->x, r, gen_softmax, &c);
}

/* ---- attention ---- */

static void fill_attention(kb_workload *w, const char *pattern, kb_rng *r)
{
    kb_attention_params *a = &w->p.u.attention;
    double qk = 1.0, vs = 1.0;
    if (!strcmp(pattern, "large_scores")) qk = 6.0; /* near one-hot rows: online rescaling matters */
    if (!strcmp(pattern, "large_values")) vs = dtype_max(a->v.dtype) / 64.0;
    fill_normal(&a->q, r, qk);
    if (!strcmp(pattern, "equal_keys")) { /* every key the same: uniform weights */
        kb_elem_iter it;
        int64_t off, idx[KB_MAX_RANK];
        double row[1024];
        for (int64_t d = 0; d < a->head_dim; d++) row[d] = kb_rng_normal(r);
        kb_elem_iter_init(&it, &a->k, 0, NULL, 0);
        while (kb_elem_iter_next(&it, &off, idx)) put(&a->k, off, row[idx[3]]);
    } else {
        fill_normal(&a->k, r, qk);
    }
    fill_normal(&a->v, r, vs);
}

/* ---- quantize ---- */

static int64_t block_of(const kb_quantize_params *q, const int64_t *idx)
{
    switch (q->granularity) {
    case KB_SCALE_PER_TENSOR: return 0;
    case KB_SCALE_PER_ROW: return idx[0];
    default: return idx[0] * ((q->cols + q->group_size - 1) / q->group_size) + idx[1] / q->group_size;
    }
}

/* Exact ties: every block's absmax is 127 * 2^e, so the scale is 2^e and
 * x / scale = n + 0.5 exactly, whether a kernel divides or multiplies by the
 * reciprocal.  Round-half-even must then be exact. */
typedef struct { const kb_quantize_params *q; int64_t last_block; int64_t placed; } ties_ctx;

static double gen_ties(void *vctx, kb_rng *r, const int64_t *idx)
{
    ties_ctx *c = vctx;
    int64_t b = block_of(c->q, idx);
    double scale = ldexp(1.0, (int)(b % 9) - 4);
    if (b != c->last_block) { /* the first element of each block carries its absmax */
        c->last_block = b;
        return (kb_rng_below(r, 2) ? 127.0 : -127.0) * scale;
    }
    return ((double)kb_rng_below(r, 254) - 127.0 + 0.5) * scale;
}

typedef struct { const kb_quantize_params *q; const char *pattern; int64_t zero_block; } qx_ctx;

static double gen_quant_x(void *vctx, kb_rng *r, const int64_t *idx)
{
    qx_ctx *c = vctx;
    int64_t b = block_of(c->q, idx);
    if (!strcmp(c->pattern, "zero_block")) {
        if (b == c->zero_block && !(c->q->granularity == KB_SCALE_PER_TENSOR && idx[1] == 0))
            return 0.0;
        return kb_rng_normal(r);
    }
    if (!strcmp(c->pattern, "limits")) { /* huge and tiny (normal) magnitudes per row */
        double mag = (idx[0] % 2) ? 1e37 : 1e-30;
        return mag * (2.0 * kb_rng_uniform(r) - 1.0);
    }
    /* random: rows of very different magnitudes */
    return ldexp(kb_rng_normal(r), (int)((idx[0] * 5) % 21) - 10);
}

/* Casts: values drawn around the output format's codes, its ties (midpoints
 * between neighbours), its largest value and just past it, inf, NaN, and
 * subnormals. */
typedef struct { const kb_float_format *f; int limits; } cast_ctx;

static double gen_cast(void *vctx, kb_rng *r, const int64_t *idx)
{
    (void)idx;
    cast_ctx *c = vctx;
    const kb_float_format *f = c->f;
    double max = kb_decode_float(f, f->max_code);
    if (!c->limits) {
        double mag = ldexp(1.0, (int)kb_rng_below(r, 30) - 20);
        double v = kb_rng_normal(r) * mag;
        return v > max * 0.9 || v < -max * 0.9 ? v / 1e4 : v;
    }
    uint32_t ncodes = 1u << (f->ebits + f->mbits); /* positive codes */
    uint32_t code = (uint32_t)kb_rng_below(r, f->max_code + 1);
    double a = kb_decode_float(f, code);
    double b = code < f->max_code ? kb_decode_float(f, code + 1) : max + (max - kb_decode_float(f, f->max_code - 1));
    double sign = kb_rng_below(r, 2) ? -1.0 : 1.0;
    (void)ncodes;
    switch (kb_rng_below(r, 10)) {
    case 0: return sign * a;                                  /* exactly a code */
    case 1: case 2: return sign * (a + b) / 2;                /* a tie (exact in f32 for these formats) */
    case 3: return sign * (a + (b - a) * kb_rng_uniform(r));  /* between codes */
    case 4: return sign * (max + (b - max) / 2);              /* the tie just past the largest value */
    case 5: return sign * max * (1.0 + kb_rng_uniform(r));    /* beyond the range */
    case 6: return sign * INFINITY;
    case 7: return NAN;
    case 8: return sign * kb_decode_float(f, (uint32_t)kb_rng_below(r, 1u << f->mbits)); /* subnormals */
    default: return sign * kb_decode_float(f, 1) / 2;         /* the smallest tie */
    }
}

/* VQ: duplicated codebook rows and inputs equal to codes: exact distance ties. */
static void fill_vq(kb_workload *w, const char *pattern, kb_rng *r)
{
    kb_quantize_params *q = &w->p.u.quantize;
    fill_normal(&q->x, r, 1.0);
    fill_normal(&q->codebook, r, 1.0);
    if (strcmp(pattern, "dup_codes")) return;
    for (int64_t i = 1; i < q->codes; i += 2) { /* row i copies row i-1 (odd-even pairs tie) */
        for (int64_t d = 0; d < q->cols; d++) {
            double v = kb_load_f64(q->codebook.data, KB_DTYPE_F32, kb_tensor_offset2(&q->codebook, i - 1, d));
            put(&q->codebook, kb_tensor_offset2(&q->codebook, i, d), v);
        }
    }
    for (int64_t i = 0; i < q->rows; i += 3) { /* every third input sits exactly on a code */
        int64_t code = (int64_t)kb_rng_below(r, (uint64_t)q->codes);
        for (int64_t d = 0; d < q->cols; d++) {
            double v = kb_load_f64(q->codebook.data, KB_DTYPE_F32, kb_tensor_offset2(&q->codebook, code, d));
            put(&q->x, kb_tensor_offset2(&q->x, i, d), v);
        }
    }
}

static double gen_q(void *ctx, kb_rng *r, const int64_t *idx)
{
    (void)idx;
    int limits = *(int *)ctx;
    if (limits) return kb_rng_below(r, 2) ? 127.0 : -127.0;
    return (double)kb_rng_below(r, 255) - 127.0;
}

static double gen_scale(void *ctx, kb_rng *r, const int64_t *idx)
{
    int limits = *(int *)ctx;
    if (idx[0] == 1) return 0.0; /* a zero scale (an all-zero block when quantized) */
    if (limits) return ldexp(1.0 + kb_rng_uniform(r), (int)kb_rng_below(r, 200) - 100);
    return ldexp(0.5 + kb_rng_uniform(r), (int)kb_rng_below(r, 12) - 8);
}

static void fill_quantize(kb_workload *w, const char *pattern, kb_rng *r)
{
    kb_quantize_params *q = &w->p.u.quantize;
    int limits = !strcmp(pattern, "limits");
    switch (q->kind) {
    case KB_QUANT_INT8:
        if (!strcmp(pattern, "ties")) {
            ties_ctx c = {q, -1, 0};
            fill(&q->x, r, gen_ties, &c);
        } else {
            int64_t nblocks = q->granularity == KB_SCALE_PER_TENSOR ? 1 : kb_tensor_numel(&q->scales);
            qx_ctx c = {q, pattern, (int64_t)kb_rng_below(r, (uint64_t)nblocks)};
            fill(&q->x, r, gen_quant_x, &c);
        }
        break;
    case KB_QUANT_DEQUANT_INT8:
        fill(&q->q, r, gen_q, &limits);
        fill(&q->scales, r, gen_scale, &limits);
        break;
    case KB_QUANT_CAST: {
        cast_ctx c = {kb_dtype_format(q->out_dtype), limits};
        fill(&q->x, r, gen_cast, &c);
        break;
    }
    case KB_QUANT_VQ:
        fill_vq(w, pattern, r);
        break;
    }
}

/* ---- matmul ---- */

static void fill_matmul(kb_workload *w, const char *pattern, kb_rng *r)
{
    kb_matmul_params *m = &w->p.u.matmul;
    if (m->a.dtype == KB_DTYPE_I8) {
        int limits = !strcmp(pattern, "limits");
        /* extremes: -128 and 127 everywhere, the largest exact products */
        double amp = 128.0;
        if (limits) {
            kb_elem_iter it;
            int64_t off, idx[KB_MAX_RANK];
            kb_tensor *ts[2] = {&m->a, &m->b};
            for (int t = 0; t < 2; t++) {
                kb_elem_iter_init(&it, ts[t], 0, NULL, 0);
                while (kb_elem_iter_next(&it, &off, idx)) put(ts[t], off, kb_rng_below(r, 2) ? 127.0 : -128.0);
            }
        } else {
            fill_uniform(&m->a, r, amp);
            fill_uniform(&m->b, r, amp);
        }
        if (m->beta != 0.0f) fill_uniform(&m->c, r, 1e6);
        return;
    }
    double amp = 1.0;
    if (!strcmp(pattern, "limits")) {
        /* Large magnitudes that stay finite in f32 accumulation, sized so that
         * C's largest entries land near (some just past) its dtype's max. */
        amp = m->a.dtype == KB_DTYPE_F16 ? 16384.0 : 1125899906842624.0; /* 2^14, 2^50 */
        double fit = sqrt(2.0 * dtype_max(m->c.dtype) / sqrt((double)m->k) / fabs(m->alpha));
        if (fit < amp) amp = fit;
        if (amp > dtype_max(m->a.dtype) / 2) amp = dtype_max(m->a.dtype) / 2;
    }
    fill_uniform(&m->a, r, amp);
    fill_uniform(&m->b, r, amp);
    if (m->beta != 0.0f) {
        double camp = amp * amp * (double)m->k / 8.0;
        fill_uniform(&m->c, r, camp < dtype_max(m->c.dtype) / 4 ? camp : dtype_max(m->c.dtype) / 4);
    }
}

void kb_fill_inputs(kb_workload *w, const char *name, uint64_t seed)
{
    kb_rng r;
    kb_rng_seed(&r, seed);
    switch (w->p.op) {
    case KB_OP_SOFTMAX: fill_softmax(w, name, &r); break;
    case KB_OP_ATTENTION: fill_attention(w, name, &r); break;
    case KB_OP_QUANTIZE: fill_quantize(w, name, &r); break;
    case KB_OP_MATMUL: fill_matmul(w, name, &r); break;
    default: break;
    }
}
