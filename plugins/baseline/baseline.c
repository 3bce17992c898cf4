/*
 * baseline.c - checks and conversions shared by the baseline plugins (see
 * baseline.h).  The conversions are bit manipulations rather than convert.h's
 * general encoder, because a baseline converts whole matrices in its timed
 * run and the general encoder (through f64) would dominate a fast GEMM.
 */
#include "baseline.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

kb_status kb_bl_fail(kb_status status, char *err, size_t err_len, const char *fmt, ...)
{
    if (err && err_len > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_len, fmt, ap);
        va_end(ap);
    }
    return status;
}

static const char *dname(kb_dtype t)
{
    return kb_dtype_name(t) ? kb_dtype_name(t) : "invalid";
}

kb_status kb_bl_check_tensor(const kb_tensor *t, const char *name, kb_dtype dtype, int32_t rank,
                             const int64_t *shape, char *why, size_t why_len)
{
    if (t->dtype != dtype)
        return kb_bl_fail(KB_ERR_INVALID, why, why_len, "%s: dtype %s, expected %s", name,
                          dname(t->dtype), dname(dtype));
    if (t->rank != rank)
        return kb_bl_fail(KB_ERR_INVALID, why, why_len, "%s: rank %d, expected %d", name,
                          (int)t->rank, (int)rank);
    int64_t numel = 1;
    for (int32_t i = 0; i < rank; i++) {
        if (t->shape[i] != shape[i])
            return kb_bl_fail(KB_ERR_INVALID, why, why_len, "%s: shape[%d] = %lld, expected %lld",
                              name, (int)i, (long long)t->shape[i], (long long)shape[i]);
        if (t->strides[i] < 0)
            return kb_bl_fail(KB_ERR_INVALID, why, why_len, "%s: negative stride", name);
        numel *= shape[i];
    }
    if (rank > 0 && t->strides[rank - 1] != 1)
        return kb_bl_fail(KB_ERR_INVALID, why, why_len, "%s: innermost stride %lld, expected 1",
                          name, (long long)t->strides[rank - 1]);
    if (rank >= 2 && t->shape[rank - 2] > 1 && t->strides[rank - 2] < t->shape[rank - 1])
        return kb_bl_fail(KB_ERR_INVALID, why, why_len, "%s: row stride %lld below row width %lld",
                          name, (long long)t->strides[rank - 2], (long long)t->shape[rank - 1]);
    if (numel > 0 && !t->data)
        return kb_bl_fail(KB_ERR_INVALID, why, why_len, "%s: no data", name);
    return KB_OK;
}

static int is_float16_or_32(kb_dtype t)
{
    return t == KB_DTYPE_F32 || t == KB_DTYPE_F16 || t == KB_DTYPE_BF16;
}

kb_status kb_bl_check_matmul(const kb_problem *p, char *why, size_t why_len)
{
    if (p->op != KB_OP_MATMUL)
        return kb_bl_fail(KB_ERR_INVALID, why, why_len, "not a matmul problem");
    const kb_matmul_params *m = &p->u.matmul;
    kb_dtype ta = m->a.dtype, tb = m->b.dtype, tc = m->c.dtype;
    if (m->m < 0 || m->n < 0 || m->k < 0)
        return kb_bl_fail(KB_ERR_INVALID, why, why_len, "negative m, n or k");
    if (ta == KB_DTYPE_I8 && tb == KB_DTYPE_I8) {
        if (tc != KB_DTYPE_I32)
            return kb_bl_fail(KB_ERR_UNSUPPORTED, why, why_len, "i8 x i8 -> %s not supported",
                              dname(tc));
        if (m->alpha != 1.0f || (m->beta != 0.0f && m->beta != 1.0f))
            return kb_bl_fail(KB_ERR_INVALID, why, why_len,
                              "i8 matmul needs alpha 1 and beta 0 or 1");
    } else {
        if (ta != tb || !is_float16_or_32(ta))
            return kb_bl_fail(KB_ERR_UNSUPPORTED, why, why_len, "a %s x b %s not supported",
                              dname(ta), dname(tb));
        if (!is_float16_or_32(tc))
            return kb_bl_fail(KB_ERR_UNSUPPORTED, why, why_len, "c dtype %s not supported",
                              dname(tc));
    }
    int64_t as[2] = {m->trans_a ? m->k : m->m, m->trans_a ? m->m : m->k};
    int64_t bs[2] = {m->trans_b ? m->n : m->k, m->trans_b ? m->k : m->n};
    int64_t cs[2] = {m->m, m->n};
    kb_status st = kb_bl_check_tensor(&m->a, "a", ta, 2, as, why, why_len);
    if (st == KB_OK)
        st = kb_bl_check_tensor(&m->b, "b", tb, 2, bs, why, why_len);
    if (st == KB_OK)
        st = kb_bl_check_tensor(&m->c, "c", tc, 2, cs, why, why_len);
    return st;
}

kb_status kb_bl_check_attention(const kb_problem *p, char *why, size_t why_len)
{
    if (p->op != KB_OP_ATTENTION)
        return kb_bl_fail(KB_ERR_INVALID, why, why_len, "not an attention problem");
    const kb_attention_params *a = &p->u.attention;
    kb_dtype t = a->q.dtype;
    if (!is_float16_or_32(t))
        return kb_bl_fail(KB_ERR_UNSUPPORTED, why, why_len, "q dtype %s not supported", dname(t));
    if (a->batch < 0 || a->heads_q < 0 || a->heads_kv < 1 || a->seq_q < 0 || a->seq_kv < 0 ||
        a->head_dim < 0)
        return kb_bl_fail(KB_ERR_INVALID, why, why_len, "negative size or heads_kv < 1");
    if (a->heads_q % a->heads_kv != 0)
        return kb_bl_fail(KB_ERR_INVALID, why, why_len,
                          "heads_q %lld not a multiple of heads_kv %lld",
                          (long long)a->heads_q, (long long)a->heads_kv);
    if (!isfinite(a->scale))
        return kb_bl_fail(KB_ERR_INVALID, why, why_len, "scale not finite");
    int64_t qs[4] = {a->batch, a->heads_q, a->seq_q, a->head_dim};
    int64_t ks[4] = {a->batch, a->heads_kv, a->seq_kv, a->head_dim};
    kb_status st = kb_bl_check_tensor(&a->q, "q", t, 4, qs, why, why_len);
    if (st == KB_OK)
        st = kb_bl_check_tensor(&a->k, "k", t, 4, ks, why, why_len);
    if (st == KB_OK)
        st = kb_bl_check_tensor(&a->v, "v", t, 4, ks, why, why_len);
    if (st == KB_OK)
        st = kb_bl_check_tensor(&a->o, "o", t, 4, qs, why, why_len);
    if (st == KB_OK)
        st = kb_bl_check_tensor(&a->lse, "lse", KB_DTYPE_F32, 3, qs, why, why_len);
    return st;
}

int64_t kb_bl_matmul_extent(const kb_matmul_params *m)
{
    int64_t v[] = {m->m, m->n, m->k, m->a.strides[0], m->b.strides[0], m->c.strides[0]};
    int64_t most = 0;
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        most = v[i] > most ? v[i] : most;
    return most;
}

/* --- conversions ----------------------------------------------------------- */

/* f16 decodes through a table made once with convert.h's exact decoder. */
static float f16_table[65536];
static pthread_once_t f16_once = PTHREAD_ONCE_INIT;

static void f16_table_init(void)
{
    for (uint32_t h = 0; h < 65536; h++)
        f16_table[h] = kb_f16_to_f32((uint16_t)h);
}

void kb_bl_to_f32(kb_dtype t, const void *src, int64_t n, float *dst)
{
    if (n <= 0)
        return;
    if (t == KB_DTYPE_F32) {
        memcpy(dst, src, (size_t)n * sizeof(float));
    } else if (t == KB_DTYPE_F16) {
        pthread_once(&f16_once, f16_table_init);
        const uint16_t *s = src;
        for (int64_t i = 0; i < n; i++)
            dst[i] = f16_table[s[i]];
    } else { /* bf16: the top half of an f32, so a shift is exact */
        const uint16_t *s = src;
        for (int64_t i = 0; i < n; i++) {
            uint32_t bits = (uint32_t)s[i] << 16;
            memcpy(&dst[i], &bits, sizeof bits);
        }
    }
}

static uint32_t bits_of(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* bf16: add just under half an ulp of bf16 (plus the kept lsb, which makes
 * exact ties go to even) and truncate; a carry out of the largest finite
 * value lands on the infinity code, which is the non-saturating rule. */
static uint16_t bf16_of(float f)
{
    uint32_t x = bits_of(f);
    if ((x & 0x7FFFFFFFu) > 0x7F800000u)
        return (uint16_t)(((x >> 16) & 0x8000u) | 0x7FC0u);
    return (uint16_t)((x + 0x7FFFu + ((x >> 16) & 1u)) >> 16);
}

/* f16: normals rebias the exponent (127 -> 15) and round like bf16 at bit
 * 13; magnitudes that round to 65520 or more overflow.  Below the smallest
 * normal (2^-14) the value is a multiple of 2^-24, which is exactly the ulp of
 * f32 numbers in [0.5, 1): adding 0.5f makes the FPU round the magnitude to
 * that grid (to nearest even), and the bits above 0.5f's are the code. */
static uint16_t f16_of(float f)
{
    uint32_t x = bits_of(f);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t ax = x & 0x7FFFFFFFu;
    if (ax > 0x7F800000u)
        return sign | 0x7E00u;
    if (ax >= 0x477FF000u) /* 65520: the tie above 65504 rounds to even = overflow */
        return sign | 0x7C00u;
    if (ax >= 0x38800000u) { /* 2^-14 */
        uint32_t r = ax - 0x38000000u + 0xFFFu + ((ax >> 13) & 1u);
        return sign | (uint16_t)(r >> 13);
    }
    float a;
    memcpy(&a, &ax, sizeof a);
    return sign | (uint16_t)(bits_of(a + 0.5f) - bits_of(0.5f));
}

void kb_bl_from_f32(kb_dtype t, const float *src, int64_t n, void *dst)
{
    if (n <= 0)
        return;
    if (t == KB_DTYPE_F32) {
        memcpy(dst, src, (size_t)n * sizeof(float));
    } else if (t == KB_DTYPE_F16) {
        uint16_t *d = dst;
        for (int64_t i = 0; i < n; i++)
            d[i] = f16_of(src[i]);
    } else {
        uint16_t *d = dst;
        for (int64_t i = 0; i < n; i++)
            d[i] = bf16_of(src[i]);
    }
}
