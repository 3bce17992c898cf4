/*
 * matmul.c - matmul through oneDNN's matmul primitive (C API).
 *
 * The problem maps onto oneDNN directly: op(A) [M,K] is the source, op(B)
 * [K,N] the weights and C the destination, each a plain memory descriptor
 * whose strides carry the leading dimension and the transpose (a transposed
 * A stored [K,M] with leading dimension lda is op(A) with strides {1, lda}).
 * alpha is an output scale and beta a sum post-op, so dst = alpha A B +
 * beta dst with C not read when beta == 0.  The i8 path (s8 x s8 -> s32)
 * takes no scale; with beta == 1 oneDNN writes A B into a packed s32 buffer
 * in the workspace and we add it to C in integers, because a sum post-op
 * goes through f32 and would round sums beyond 2^24.  The int8 path needs an
 * ISA with VNNI: below it (plain AVX2, AVX-512 without VNNI) oneDNN's GEMM
 * multiplies u8 x s8 pairs with vpmaddubsw, whose 16-bit pair sums saturate,
 * and verification shows wrong results on random inputs; it is refused there.
 *
 * Creating a primitive is expensive (it generates code), so each problem's
 * primitive is made once and cached in the plugin state, keyed by everything
 * but the data pointers; timed runs only execute it.  supports() creates the
 * primitive descriptor (that is how oneDNN says whether it has an
 * implementation) and caches refusals too.  A problem for which oneDNN has
 * only its reference implementation ("ref:any", plain loops) is refused:
 * timing it would say nothing about what a user of oneDNN gets.  The
 * scratchpad is the user's (ours): carved from the harness's workspace, so
 * run() allocates nothing.
 */
#include <stdio.h>
#include <string.h>

#include <dnnl_debug.h>

#include "onednn.h"

static dnnl_data_type_t dt_of(kb_dtype t)
{
    switch (t) {
    case KB_DTYPE_F32: return dnnl_f32;
    case KB_DTYPE_F16: return dnnl_f16;
    case KB_DTYPE_BF16: return dnnl_bf16;
    case KB_DTYPE_I8: return dnnl_s8;
    case KB_DTYPE_I32: return dnnl_s32;
    default: return dnnl_data_type_undef;
    }
}

static int accumulates(const kb_matmul_params *m)
{
    return m->a.dtype == KB_DTYPE_I8 && m->beta != 0.0f;
}

static void key_of(const kb_matmul_params *m, kb_dnnl_key *k)
{
    memset(k, 0, sizeof *k);
    k->m = m->m;
    k->n = m->n;
    k->k = m->k;
    int64_t lda = m->a.strides[0], ldb = m->b.strides[0];
    k->a_strides[0] = m->trans_a ? 1 : lda;
    k->a_strides[1] = m->trans_a ? lda : 1;
    k->b_strides[0] = m->trans_b ? 1 : ldb;
    k->b_strides[1] = m->trans_b ? ldb : 1;
    k->accumulate = accumulates(m);
    k->c_strides[0] = k->accumulate ? m->n : m->c.strides[0];
    k->c_strides[1] = 1;
    k->a_dtype = (int32_t)m->a.dtype;
    k->c_dtype = (int32_t)m->c.dtype;
    k->alpha = m->alpha;
    k->beta = k->accumulate ? 0.0f : m->beta;
}

static void entry_clear(kb_dnnl_entry *e)
{
    if (e->prim)
        dnnl_primitive_destroy(e->prim);
    if (e->pd)
        dnnl_primitive_desc_destroy(e->pd);
    dnnl_memory_t mems[] = {e->a, e->b, e->c, e->scratch};
    for (size_t i = 0; i < sizeof mems / sizeof mems[0]; i++)
        if (mems[i])
            dnnl_memory_destroy(mems[i]);
    memset(e, 0, sizeof *e);
}

void kb_dnnl_cache_clear(kb_dnnl_ctx *ctx)
{
    for (int i = 0; i < KB_DNNL_CACHE; i++)
        if (ctx->cache[i].used)
            entry_clear(&ctx->cache[i]);
}

static const char *dname(kb_dtype t)
{
    return kb_dtype_name(t) ? kb_dtype_name(t) : "invalid";
}

/* Fill `e` for its key: the primitive descriptor and memory objects, or the
 * reason oneDNN cannot do it (e->status). */
static void entry_make(kb_dnnl_ctx *ctx, kb_dnnl_entry *e)
{
    const kb_dnnl_key *k = &e->key;
    kb_dtype ta = (kb_dtype)k->a_dtype, tc = (kb_dtype)k->c_dtype;
    dnnl_data_type_t da = dt_of(ta), dc = dt_of(tc);
    dnnl_dims_t ad = {k->m, k->k}, bd = {k->k, k->n}, cd = {k->m, k->n};
    dnnl_dims_t as = {k->a_strides[0], k->a_strides[1]}, bs = {k->b_strides[0], k->b_strides[1]};
    dnnl_dims_t cs = {k->c_strides[0], k->c_strides[1]};
    dnnl_memory_desc_t amd, bmd, cmd;
    dnnl_matmul_desc_t desc;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t ops = NULL;
    dnnl_status_t s = dnnl_memory_desc_init_by_strides(&amd, 2, ad, da, as);
    if (s == dnnl_success)
        s = dnnl_memory_desc_init_by_strides(&bmd, 2, bd, da, bs);
    if (s == dnnl_success)
        s = dnnl_memory_desc_init_by_strides(&cmd, 2, cd, dc, cs);
    if (s == dnnl_success)
        s = dnnl_matmul_desc_init(&desc, &amd, &bmd, NULL, &cmd);
    if (s == dnnl_success)
        s = dnnl_primitive_attr_create(&attr);
    if (s == dnnl_success)
        s = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
    if (s == dnnl_success && k->alpha != 1.0f)
        s = dnnl_primitive_attr_set_output_scales(attr, 1, 0, &k->alpha);
    if (s == dnnl_success && k->beta != 0.0f) {
        s = dnnl_post_ops_create(&ops);
        if (s == dnnl_success)
            s = dnnl_post_ops_append_sum(ops, k->beta);
        if (s == dnnl_success)
            s = dnnl_primitive_attr_set_post_ops(attr, ops);
    }
    if (s == dnnl_success)
        s = dnnl_primitive_desc_create(&e->pd, &desc, attr, ctx->engine, NULL);
    if (ops)
        dnnl_post_ops_destroy(ops);
    if (attr)
        dnnl_primitive_attr_destroy(attr);
    if (s != dnnl_success) {
        e->pd = NULL;
        e->status = s == dnnl_unimplemented ? KB_ERR_UNSUPPORTED : KB_ERR_INTERNAL;
        snprintf(e->why, sizeof e->why, "oneDNN has no matmul for %s x %s -> %s%s%s at ISA %s (%s)",
                 dname(ta), dname(ta), dname(tc), k->alpha != 1.0f ? " with alpha" : "",
                 k->beta != 0.0f ? " with beta" : "", kb_dnnl_isa_name(ctx->isa),
                 dnnl_status2str(s));
        return;
    }
    const char *impl = "?";
    dnnl_primitive_desc_query(e->pd, dnnl_query_impl_info_str, 0, &impl);
    if (!strncmp(impl, "ref", 3)) {
        e->status = KB_ERR_UNSUPPORTED;
        snprintf(e->why, sizeof e->why,
                 "oneDNN has only its reference implementation (%s) for %s x %s -> %s at ISA %s",
                 impl, dname(ta), dname(ta), dname(tc), kb_dnnl_isa_name(ctx->isa));
        dnnl_primitive_desc_destroy(e->pd);
        e->pd = NULL;
        return;
    }
    const dnnl_memory_desc_t *smd = dnnl_primitive_desc_query_md(e->pd, dnnl_query_scratchpad_md, 0);
    e->scratch_bytes = smd ? dnnl_memory_desc_get_size(smd) : 0;
    s = dnnl_memory_create(&e->a, &amd, ctx->engine, DNNL_MEMORY_NONE);
    if (s == dnnl_success)
        s = dnnl_memory_create(&e->b, &bmd, ctx->engine, DNNL_MEMORY_NONE);
    if (s == dnnl_success)
        s = dnnl_memory_create(&e->c, &cmd, ctx->engine, DNNL_MEMORY_NONE);
    if (s == dnnl_success && e->scratch_bytes > 0)
        s = dnnl_memory_create(&e->scratch, smd, ctx->engine, DNNL_MEMORY_NONE);
    if (s != dnnl_success) {
        e->status = KB_ERR_INTERNAL;
        snprintf(e->why, sizeof e->why, "oneDNN memory object: %s", dnnl_status2str(s));
        return;
    }
    e->status = KB_OK;
    snprintf(e->why, sizeof e->why, "%s", impl);
}

/* The cached entry for `m` (made on a miss, evicting the least recently
 * used).  Call with ctx->lock held. */
static kb_dnnl_entry *lookup(kb_dnnl_ctx *ctx, const kb_matmul_params *m)
{
    kb_dnnl_key key;
    key_of(m, &key);
    kb_dnnl_entry *victim = NULL; /* a free slot, else the least recently used */
    for (int i = 0; i < KB_DNNL_CACHE; i++) {
        kb_dnnl_entry *e = &ctx->cache[i];
        if (e->used && !memcmp(&e->key, &key, sizeof key)) {
            e->last_use = ++ctx->clock;
            return e;
        }
        if (!victim || (victim->used && (!e->used || e->last_use < victim->last_use)))
            victim = e;
    }
    if (victim->used)
        entry_clear(victim);
    victim->used = 1;
    victim->key = key;
    victim->last_use = ++ctx->clock;
    entry_make(ctx, victim);
    return victim;
}

kb_status kb_dnnl_matmul_supports(void *plugin_ctx, const kb_problem *p, char *why, size_t why_len)
{
    kb_dnnl_ctx *ctx = plugin_ctx;
    kb_status st = kb_check_matmul(p, why, why_len);
    if (st != KB_OK)
        return st;
    if (!ctx)
        return kb_fail(KB_ERR_INVALID, why, why_len, "plugin not initialised");
    if (p->u.matmul.a.dtype == KB_DTYPE_I8 && !kb_dnnl_isa_has_vnni(ctx->isa))
        return kb_fail(KB_ERR_UNSUPPORTED, why, why_len,
                          "oneDNN's int8 GEMM at ISA %s adds u8 x s8 pairs in saturating 16 bits "
                          "(vpmaddubsw): not exact; needs VNNI (ONEDNN_MAX_CPU_ISA=AVX2_VNNI or more)",
                          kb_dnnl_isa_name(ctx->isa));
    pthread_mutex_lock(&ctx->lock);
    kb_dnnl_entry *e = lookup(ctx, &p->u.matmul);
    st = e->status;
    if (st != KB_OK)
        kb_fail(st, why, why_len, "%s", e->why);
    pthread_mutex_unlock(&ctx->lock);
    return st;
}

static size_t round64(size_t n)
{
    return (n + 63) & ~(size_t)63;
}

/* Workspace: the scratchpad, then (i8 with beta 1) the packed s32 A B. */
static size_t workspace_of(const kb_dnnl_entry *e, const kb_matmul_params *m)
{
    return round64(e->scratch_bytes) + (accumulates(m) ? round64((size_t)(m->m * m->n) * 4) : 0);
}

size_t kb_dnnl_matmul_workspace(void *plugin_ctx, const kb_problem *p)
{
    kb_dnnl_ctx *ctx = plugin_ctx;
    if (!ctx || kb_check_matmul(p, NULL, 0) != KB_OK)
        return 0;
    pthread_mutex_lock(&ctx->lock);
    kb_dnnl_entry *e = lookup(ctx, &p->u.matmul);
    size_t bytes = e->status == KB_OK ? workspace_of(e, &p->u.matmul) : 0;
    pthread_mutex_unlock(&ctx->lock);
    return bytes;
}

/* C += A B in 32-bit integers (wrapping, as the ref does beyond int32). */
static void add_i32(const kb_matmul_params *m, const int32_t *ab, int threads)
{
    (void)threads;
#pragma omp parallel for num_threads(threads) if (m->m * m->n > (1 << 16))
    for (int64_t i = 0; i < m->m; i++) {
        int32_t *c = (int32_t *)m->c.data + i * m->c.strides[0];
        const int32_t *r = ab + i * m->n;
        for (int64_t j = 0; j < m->n; j++)
            c[j] = (int32_t)((uint32_t)c[j] + (uint32_t)r[j]);
    }
}

static kb_status run_entry(kb_dnnl_ctx *ctx, kb_dnnl_entry *e, const kb_matmul_params *m,
                           unsigned char *ws, char *err, size_t err_len)
{
    if (!e->prim) {
        dnnl_status_t s = dnnl_primitive_create(&e->prim, e->pd);
        if (s != dnnl_success) {
            e->prim = NULL;
            return kb_fail(KB_ERR_INTERNAL, err, err_len, "oneDNN primitive creation: %s",
                              dnnl_status2str(s));
        }
    }
    int32_t *ab = accumulates(m) ? (int32_t *)(ws + round64(e->scratch_bytes)) : NULL;
    dnnl_exec_arg_t args[4] = {
        {DNNL_ARG_SRC, e->a}, {DNNL_ARG_WEIGHTS, e->b}, {DNNL_ARG_DST, e->c},
        {DNNL_ARG_SCRATCHPAD, e->scratch}};
    int nargs = e->scratch ? 4 : 3;
    dnnl_status_t s = dnnl_memory_set_data_handle(e->a, m->a.data);
    if (s == dnnl_success)
        s = dnnl_memory_set_data_handle(e->b, m->b.data);
    if (s == dnnl_success)
        s = dnnl_memory_set_data_handle(e->c, ab ? (void *)ab : m->c.data);
    if (s == dnnl_success && e->scratch)
        s = dnnl_memory_set_data_handle(e->scratch, ws);
    kb_dnnl_use_threads(ctx);
    if (s == dnnl_success)
        s = dnnl_primitive_execute(e->prim, ctx->stream, nargs, args);
    if (s == dnnl_success)
        s = dnnl_stream_wait(ctx->stream);
    if (s != dnnl_success)
        return kb_fail(KB_ERR_INTERNAL, err, err_len, "oneDNN matmul execution: %s",
                          dnnl_status2str(s));
    if (ab)
        add_i32(m, ab, ctx->threads);
    return KB_OK;
}

kb_status kb_dnnl_matmul_run(void *plugin_ctx, const kb_problem *p, void *ws, void *stream,
                             char *err, size_t err_len)
{
    (void)stream;
    kb_dnnl_ctx *ctx = plugin_ctx;
    kb_status st = kb_dnnl_matmul_supports(ctx, p, err, err_len);
    if (st != KB_OK)
        return st;
    const kb_matmul_params *m = &p->u.matmul;
    if (m->m == 0 || m->n == 0)
        return KB_OK;
    pthread_mutex_lock(&ctx->lock);
    kb_dnnl_entry *e = lookup(ctx, m);
    if (workspace_of(e, m) > 0 && !ws)
        st = kb_fail(KB_ERR_INVALID, err, err_len, "workspace missing");
    else
        st = run_entry(ctx, e, m, ws, err, err_len);
    pthread_mutex_unlock(&ctx->lock);
    return st;
}
