/*
 * attention_avx2.c - "flash": FlashAttention-style forward attention with
 * AVX2 + FMA + F16C: the tiling driver.  The arithmetic lives in
 * attention_avx2_tiles.c (the two products) and attention_avx2_softmax.c
 * (the online softmax); attention_avx2.h explains the row-vectorised layout.
 *
 * One work item is (batch, query head, block of BQ query rows).  It walks
 * the key blocks of BK keys that any of its rows can see (causal blocks
 * wholly above the diagonal are never computed), and for each key block and
 * each panel of 16 rows: S^T = K Q^T, online softmax, O^T = O^T*alpha + V^T P^T.
 * Within a diagonal block each panel stops at its own last visible key, so
 * the masked waste is at most a 16 x 16 triangle per panel.  Peak memory is
 * the per-thread workspace: Q block, one K/V block in f32, one S panel, the
 * O accumulator: O(BQ*D + BK*D), never Sq x Skv.
 *
 * f32 K and V are read in place (strided rows); f16 and bf16 blocks are
 * decoded to f32 once per (work item, key block) with F16C / a shift.
 */
#include <immintrin.h>
#include <math.h>

#include "attention_avx2.h"

#define BQ KB_FLASH_BQ
#define BK KB_FLASH_BK

typedef struct flash_job {
    const kb_cpu_ctx *ctx;
    const kb_attention_params *a;
    unsigned char *ws;
    size_t slice;
    int64_t blocks; /* query blocks per (b, h) */
    int64_t group;  /* heads_q / heads_kv */
} flash_job;

/* Keys visible to query row i (all of them unless causal). */
static int64_t visible(const kb_attention_params *a, int64_t i)
{
    if (!a->causal)
        return a->seq_kv;
    int64_t n = i + a->seq_kv - a->seq_q + 1;
    return n < 0 ? 0 : n > a->seq_kv ? a->seq_kv : n;
}

static void *row4(const kb_tensor *t, int64_t i0, int64_t i1, int64_t i2)
{
    return kb_cpu_at(t, i0 * t->strides[0] + i1 * t->strides[1] + i2 * t->strides[2]);
}

/* Decode n rows of D f16/bf16 values (row stride ld) to f32 dst[r * D + d]. */
static void decode_rows(kb_dtype t, const uint16_t *src, int64_t ld, int64_t n, int64_t D,
                        float *dst)
{
    for (int64_t r = 0; r < n; r++) {
        const uint16_t *s = src + r * ld;
        float *o = dst + r * D;
        int64_t d = 0;
        if (t == KB_DTYPE_F16) {
            for (; d + 8 <= D; d += 8)
                _mm256_storeu_ps(o + d,
                                 _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(s + d))));
            for (; d < D; d++)
                o[d] = _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(s[d])));
        } else {
            for (; d + 8 <= D; d += 8) {
                __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(s + d)));
                _mm256_storeu_ps(o + d, _mm256_castsi256_ps(_mm256_slli_epi32(w, 16)));
            }
            for (; d < D; d++) {
                uint32_t bits = (uint32_t)s[d] << 16;
                memcpy(&o[d], &bits, sizeof bits);
            }
        }
    }
}

/* Encode n f32 values to f16/bf16, round to nearest even, overflow to inf,
 * NaN to NaN: what kb_f32_to_f16 / kb_f32_to_bf16 do, 8 at a time (the
 * scalar helpers, exact but ~50 cycles each, took a quarter of the time of
 * a causal bf16 head at D = 64). */
static void encode_row(kb_dtype t, const float *src, int64_t n, uint16_t *dst)
{
    int64_t i = 0;
    if (t == KB_DTYPE_F16) {
        for (; i + 8 <= n; i += 8)
            _mm_storeu_si128((__m128i *)(dst + i),
                             _mm256_cvtps_ph(_mm256_loadu_ps(src + i),
                                             _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
        for (; i < n; i++)
            dst[i] = kb_f32_to_f16(src[i]);
        return;
    }
    const __m256i lsb = _mm256_set1_epi32(1), half = _mm256_set1_epi32(0x7FFF);
    const __m256i qnan = _mm256_set1_epi32(0x7FC0), sign = _mm256_set1_epi32(0x8000);
    for (; i + 8 <= n; i += 8) {
        const __m256 x = _mm256_loadu_ps(src + i);
        const __m256i bits = _mm256_castps_si256(x);
        /* round to nearest even: add 0x7FFF plus the bit that becomes the lsb */
        const __m256i odd = _mm256_and_si256(_mm256_srli_epi32(bits, 16), lsb);
        __m256i r = _mm256_srli_epi32(_mm256_add_epi32(bits, _mm256_add_epi32(half, odd)), 16);
        const __m256i nan_code =
            _mm256_or_si256(qnan, _mm256_and_si256(_mm256_srli_epi32(bits, 16), sign));
        r = _mm256_blendv_epi8(r, nan_code, _mm256_castps_si256(_mm256_cmp_ps(x, x, _CMP_UNORD_Q)));
        /* 8 x 32-bit (< 2^16) -> 8 x 16-bit; packus works per 128-bit lane */
        const __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi32(r, r), 0x08);
        _mm_storeu_si128((__m128i *)(dst + i), _mm256_castsi256_si128(packed));
    }
    for (; i < n; i++)
        dst[i] = kb_f32_to_bf16(src[i]);
}

/* Rows [i0, i0 + bq) of Q (b, h) into the panels; padding rows 0. */
static void load_q(const flash_job *job, const kb_flash_slice *s, int64_t b, int64_t h,
                   int64_t i0, int64_t bq, int64_t panels)
{
    const kb_attention_params *a = job->a;
    int64_t D = a->head_dim;
    for (int64_t r = 0; r < panels * KB_FLASH_PANEL; r++) {
        float *dst = s->qp + (r / KB_FLASH_PANEL) * D * KB_FLASH_PANEL + r % KB_FLASH_PANEL;
        if (r < bq) {
            kb_cpu_to_f32(job->ctx, a->q.dtype, row4(&a->q, b, h, i0 + r), D, s->row);
            for (int64_t d = 0; d < D; d++)
                dst[d * KB_FLASH_PANEL] = s->row[d];
        } else {
            for (int64_t d = 0; d < D; d++)
                dst[d * KB_FLASH_PANEL] = 0.0f;
        }
    }
}

/* O = O^T / l (0 where no key was visible) and LSE = m + ln(l) for the
 * block's real rows. */
static void store_rows(const flash_job *job, const kb_flash_slice *s, int64_t b, int64_t h,
                       int64_t i0, int64_t bq)
{
    const kb_attention_params *a = job->a;
    int64_t D = a->head_dim;
    for (int64_t r = 0; r < bq; r++) {
        const float *src = s->ot + (r / KB_FLASH_PANEL) * D * KB_FLASH_PANEL + r % KB_FLASH_PANEL;
        float *lse = kb_cpu_at(&a->lse, b * a->lse.strides[0] + h * a->lse.strides[1] +
                                            (i0 + r) * a->lse.strides[2]);
        float l = s->l[r];
        if (l > 0.0f) {
            float inv = 1.0f / l;
            for (int64_t d = 0; d < D; d++)
                s->row[d] = src[d * KB_FLASH_PANEL] * inv;
            *lse = (float)((double)s->m[r] + log((double)l));
        } else {
            for (int64_t d = 0; d < D; d++)
                s->row[d] = 0.0f;
            *lse = -INFINITY;
        }
        void *dst = row4(&a->o, b, h, i0 + r);
        if (a->o.dtype == KB_DTYPE_F32)
            memcpy(dst, s->row, (size_t)D * sizeof(float));
        else
            encode_row(a->o.dtype, s->row, D, dst);
    }
}

static void flash_item(const flash_job *job, const kb_flash_slice *s, int64_t it)
{
    const kb_attention_params *a = job->a;
    const int64_t D = a->head_dim, bh_count = a->batch * a->heads_q;
    /* Items run from the last query block down: under a causal mask those
     * see the most keys, and starting the big ones first balances the pool. */
    const int64_t blk = job->blocks - 1 - it / bh_count, bh = it % bh_count;
    const int64_t b = bh / a->heads_q, h = bh % a->heads_q, g = h / job->group;
    const int64_t i0 = blk * BQ, bq = a->seq_q - i0 < BQ ? a->seq_q - i0 : BQ;
    const int64_t panels = (bq + KB_FLASH_PANEL - 1) / KB_FLASH_PANEL;
    const int64_t off = a->seq_kv - a->seq_q; /* row i sees keys j <= i + off */
    const int f32 = a->k.dtype == KB_DTYPE_F32;

    load_q(job, s, b, h, i0, bq, panels);
    for (int64_t r = 0; r < BQ; r++) {
        s->m[r] = -INFINITY;
        s->l[r] = 0.0f;
    }
    memset(s->ot, 0, (size_t)(panels * D * KB_FLASH_PANEL) * sizeof(float));

    const int64_t kv_end = visible(a, i0 + bq - 1); /* the last row sees the most */
    for (int64_t j0 = 0; j0 < kv_end; j0 += BK) {
        const int64_t bk = kv_end - j0 < BK ? kv_end - j0 : BK;
        const float *kb, *vb;
        int64_t ldk, ldv;
        if (f32) {
            kb = row4(&a->k, b, g, j0);
            vb = row4(&a->v, b, g, j0);
            ldk = a->k.strides[2];
            ldv = a->v.strides[2];
        } else {
            decode_rows(a->k.dtype, row4(&a->k, b, g, j0), a->k.strides[2], bk, D, s->kf);
            decode_rows(a->v.dtype, row4(&a->v, b, g, j0), a->v.strides[2], bk, D, s->vf);
            kb = s->kf;
            vb = s->vf;
            ldk = ldv = D;
        }
        for (int64_t p = 0; p < panels; p++) {
            const int64_t first = i0 + p * KB_FLASH_PANEL;
            const int64_t last = first + KB_FLASH_PANEL < i0 + bq ? first + KB_FLASH_PANEL - 1
                                                                  : i0 + bq - 1;
            int64_t nk = visible(a, last) - j0; /* keys of this block the panel needs */
            if (nk > bk)
                nk = bk;
            if (nk <= 0)
                continue; /* above the diagonal for every row of the panel */
            /* Last key (block-relative) the panel's first row sees. */
            const int64_t lim = a->causal ? first + off - j0 : INT64_MAX / 2;
            const float *qp = s->qp + p * D * KB_FLASH_PANEL;
            float *ot = s->ot + p * D * KB_FLASH_PANEL;
            float *m = s->m + p * KB_FLASH_PANEL, *l = s->l + p * KB_FLASH_PANEL;
            float *alpha = s->alpha + p * KB_FLASH_PANEL;
            kb_flash_qk_panel(qp, kb, ldk, D, nk, a->scale, s->st);
            kb_flash_softmax_panel(s->st, nk, lim, m, l, alpha);
            kb_flash_pv_panel(s->st, vb, ldv, D, nk, alpha, ot);
        }
    }
    store_rows(job, s, b, h, i0, bq);
}

static void flash_items(void *arg, int64_t it0, int64_t it1, int tid)
{
    const flash_job *job = arg;
    const kb_flash_slice s = kb_flash_carve(job->ws + (size_t)tid * job->slice, job->a->head_dim);
    for (int64_t it = it0; it < it1; it++)
        flash_item(job, &s, it);
}

void kb_flash_run(const kb_cpu_ctx *ctx, const kb_attention_params *a, void *ws)
{
    flash_job job = {ctx,
                     a,
                     kb_cpu_align_ptr(ws),
                     kb_flash_slice_bytes(a->head_dim),
                     (a->seq_q + BQ - 1) / BQ,
                     a->heads_q / a->heads_kv};
    int64_t items = a->batch * a->heads_q * job.blocks;
    double flops = 4.0 * (double)a->batch * (double)a->heads_q * (double)a->seq_q *
                   (double)a->seq_kv * (double)a->head_dim;
    kb_cpu_parallel_for(ctx->pool, items,
                        flops <= (double)KB_CPU_SERIAL_WORK ? (items > 0 ? items : 1) : 1,
                        flash_items, &job);
}
