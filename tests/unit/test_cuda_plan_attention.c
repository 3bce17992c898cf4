/*
 * test_cuda_plan_attention.c - the cuda plugin's attention plans without a
 * GPU: what supports() accepts and refuses (and with which status), the
 * launch shapes, that the grid covers every (batch, head, query block) once,
 * and the causal key-block range (kbc_attn_kv_blocks, the function the
 * kernels call) against brute force over many (Sq, Skv, block) shapes.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "expect.h"
#include "kernels.h"
#include "plan_attention.h"

#define FAKE_BASE ((uintptr_t)0x100000) /* 64-byte aligned; never dereferenced */

static void packed(kb_tensor *t, kb_dtype dt, int rank, const int64_t *shape, uintptr_t addr)
{
    memset(t, 0, sizeof *t);
    t->dtype = dt;
    t->rank = rank;
    int64_t stride = 1;
    for (int i = rank - 1; i >= 0; i--) {
        t->shape[i] = shape[i];
        t->strides[i] = stride;
        stride *= shape[i];
    }
    t->data = (void *)addr;
}

static kb_problem attn(kb_dtype dt, int64_t b, int64_t hq, int64_t hkv, int64_t sq, int64_t skv, int64_t d,
                       int causal)
{
    kb_problem p;
    memset(&p, 0, sizeof p);
    p.op = KB_OP_ATTENTION;
    kb_attention_params *a = &p.u.attention;
    a->batch = b, a->heads_q = hq, a->heads_kv = hkv, a->seq_q = sq, a->seq_kv = skv, a->head_dim = d;
    a->scale = 0.125f;
    a->causal = causal;
    const int64_t qs[4] = {b, hq, sq, d}, ks[4] = {b, hkv, skv, d};
    packed(&a->q, dt, 4, qs, FAKE_BASE);
    packed(&a->k, dt, 4, ks, FAKE_BASE + 0x1000000);
    packed(&a->v, dt, 4, ks, FAKE_BASE + 0x2000000);
    packed(&a->o, dt, 4, qs, FAKE_BASE + 0x3000000);
    packed(&a->lse, KB_DTYPE_F32, 3, qs, FAKE_BASE + 0x4000000);
    return p;
}

static kb_status flash2(const kb_problem *p, char *why)
{
    return kbc_attention_flash2_supports(NULL, p, why, 256);
}

static kb_status simt(const kb_problem *p, char *why)
{
    return kbc_attention_simt_supports(NULL, p, why, 256);
}

/* ---- supports() ---------------------------------------------------------- */

static void test_supports(void)
{
    char why[256];
    static const int64_t dims[] = {1, 5, 8, 16, 24, 32, 40, 64, 72, 96, 128, 200, 256};
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++) {
        for (int c = 0; c < 2; c++) {
            kb_problem p = attn(KB_DTYPE_F16, 2, 4, 2, 77, 31, dims[i], c);
            EXPECT(flash2(&p, why) == KB_OK, "flash2 f16 d=%lld: %s", (long long)dims[i], why);
            p = attn(KB_DTYPE_BF16, 1, 3, 1, 9, 1023, dims[i], c);
            EXPECT(flash2(&p, why) == KB_OK, "flash2 bf16 d=%lld: %s", (long long)dims[i], why);
            p = attn(KB_DTYPE_F32, 1, 2, 2, 17, 17, dims[i], c);
            EXPECT(simt(&p, why) == KB_OK, "simt f32 d=%lld: %s", (long long)dims[i], why);
        }
    }
    kb_problem p = attn(KB_DTYPE_F32, 1, 2, 2, 17, 17, 64, 0);
    EXPECT(flash2(&p, why) == KB_ERR_UNSUPPORTED && strcmp(why, "f32: use attention simt") == 0,
           "flash2 must refuse f32 with the simt hint, said '%s'", why);
    p = attn(KB_DTYPE_F16, 1, 2, 2, 17, 17, 257, 0);
    EXPECT(flash2(&p, why) == KB_ERR_UNSUPPORTED, "flash2 d=257");
    p = attn(KB_DTYPE_BF16, 1, 2, 2, 17, 17, 1024, 1);
    EXPECT(simt(&p, why) == KB_OK, "simt d=1024: %s", why);
    EXPECT(flash2(&p, why) == KB_ERR_UNSUPPORTED, "flash2 d=1024");
    p = attn(KB_DTYPE_F16, 1, 2, 2, 17, 17, 1025, 0);
    EXPECT(simt(&p, why) == KB_ERR_UNSUPPORTED, "simt d=1025");
    /* Empty problems are valid (nothing to launch). */
    p = attn(KB_DTYPE_F16, 0, 2, 2, 17, 17, 64, 0);
    EXPECT(flash2(&p, why) == KB_OK && simt(&p, why) == KB_OK, "batch 0: %s", why);
    p = attn(KB_DTYPE_F16, 1, 2, 2, 17, 0, 64, 1);
    EXPECT(flash2(&p, why) == KB_OK && simt(&p, why) == KB_OK, "seq_kv 0: %s", why);

    /* Malformed: KB_ERR_INVALID for both kernels. */
    struct {
        const char *what;
        kb_problem p;
    } bad[12];
    int n = 0;
    bad[n].what = "hq % hkv", bad[n].p = attn(KB_DTYPE_F16, 1, 6, 4, 9, 9, 64, 0), n++;
    bad[n].what = "hkv 0", bad[n].p = attn(KB_DTYPE_F16, 1, 4, 1, 9, 9, 64, 0), bad[n].p.u.attention.heads_kv = 0, n++;
    bad[n].what = "not attention", bad[n].p = attn(KB_DTYPE_F16, 1, 4, 4, 9, 9, 64, 0), bad[n].p.op = KB_OP_SOFTMAX, n++;
    bad[n].what = "nan scale", bad[n].p = attn(KB_DTYPE_F16, 1, 4, 4, 9, 9, 64, 0), bad[n].p.u.attention.scale = NAN, n++;
    bad[n].what = "inf scale", bad[n].p = attn(KB_DTYPE_F16, 1, 4, 4, 9, 9, 64, 0),
    bad[n].p.u.attention.scale = INFINITY, n++;
    bad[n].what = "o shape", bad[n].p = attn(KB_DTYPE_F16, 1, 4, 4, 9, 9, 64, 0), bad[n].p.u.attention.o.shape[2] = 8, n++;
    bad[n].what = "k shape", bad[n].p = attn(KB_DTYPE_F16, 1, 4, 2, 9, 9, 64, 0), bad[n].p.u.attention.k.shape[1] = 4, n++;
    bad[n].what = "lse rank", bad[n].p = attn(KB_DTYPE_F16, 1, 4, 4, 9, 9, 64, 0), bad[n].p.u.attention.lse.rank = 4, n++;
    bad[n].what = "inner stride", bad[n].p = attn(KB_DTYPE_F16, 1, 4, 4, 9, 9, 64, 0),
    bad[n].p.u.attention.v.strides[3] = 2, n++;
    bad[n].what = "null q", bad[n].p = attn(KB_DTYPE_F16, 1, 4, 4, 9, 9, 64, 0), bad[n].p.u.attention.q.data = NULL, n++;
    bad[n].what = "negative seq", bad[n].p = attn(KB_DTYPE_F16, 1, 4, 4, 9, 9, 64, 0),
    bad[n].p.u.attention.seq_q = -1, n++;
    bad[n].what = "negative stride", bad[n].p = attn(KB_DTYPE_F16, 1, 4, 4, 9, 9, 64, 0),
    bad[n].p.u.attention.q.strides[0] = -1, n++;
    for (int i = 0; i < n; i++) {
        EXPECT(flash2(&bad[i].p, why) == KB_ERR_INVALID, "flash2 %s: want INVALID", bad[i].what);
        EXPECT(simt(&bad[i].p, why) == KB_ERR_INVALID, "simt %s: want INVALID", bad[i].what);
    }

    /* Valid but not allowed combinations: KB_ERR_UNSUPPORTED. */
    p = attn(KB_DTYPE_F16, 1, 4, 4, 9, 9, 64, 0);
    p.u.attention.k.dtype = KB_DTYPE_BF16;
    EXPECT(flash2(&p, why) == KB_ERR_UNSUPPORTED && simt(&p, why) == KB_ERR_UNSUPPORTED, "k dtype mismatch");
    p = attn(KB_DTYPE_F16, 1, 4, 4, 9, 9, 64, 0);
    p.u.attention.o.dtype = KB_DTYPE_F32;
    EXPECT(flash2(&p, why) == KB_ERR_UNSUPPORTED && simt(&p, why) == KB_ERR_UNSUPPORTED, "o dtype mismatch");
    p = attn(KB_DTYPE_F16, 1, 4, 4, 9, 9, 64, 0);
    p.u.attention.lse.dtype = KB_DTYPE_F16;
    EXPECT(flash2(&p, why) == KB_ERR_UNSUPPORTED && simt(&p, why) == KB_ERR_UNSUPPORTED, "lse f16");
    p = attn(KB_DTYPE_I8, 1, 4, 4, 9, 9, 64, 0);
    EXPECT(flash2(&p, why) == KB_ERR_UNSUPPORTED && simt(&p, why) == KB_ERR_UNSUPPORTED, "i8");

    /* The device's limits, when a context is given. */
    kbc_context ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.cc_major = 9;
    ctx.smem_optin = 227 * 1024;
    p = attn(KB_DTYPE_BF16, 1, 4, 4, 9, 9, 256, 0);
    EXPECT(kbc_attention_flash2_supports(&ctx, &p, why, sizeof why) == KB_OK, "sm_90 d=256: %s", why);
    ctx.smem_optin = 48 * 1024;
    EXPECT(kbc_attention_flash2_supports(&ctx, &p, why, sizeof why) == KB_ERR_UNSUPPORTED, "48 KB device");
    ctx.smem_optin = 163 * 1024;
    ctx.cc_major = 7;
    EXPECT(kbc_attention_flash2_supports(&ctx, &p, why, sizeof why) == KB_ERR_UNSUPPORTED, "sm_70");
    EXPECT(kbc_attention_simt_supports(&ctx, &p, why, sizeof why) == KB_OK, "simt on sm_70: %s", why);
}

/* ---- launch shapes --------------------------------------------------------- */

static void check_flash2_plan(const kb_problem *p)
{
    const kb_attention_params *a = &p->u.attention;
    kbc_flash2_plan pl;
    char why[256];
    kb_status st = kbc_flash2_plan_make(NULL, p, &pl, why, sizeof why);
    EXPECT(st == KB_OK, "flash2 plan d=%lld: %s", (long long)a->head_dim, why);
    if (st != KB_OK)
        return;
    const int dp = pl.head_dim_pad;
    EXPECT((dp == 32 || dp == 64 || dp == 128 || dp == 256) && dp >= a->head_dim &&
               (dp == 32 || dp / 2 < a->head_dim),
           "d=%lld padded to %d", (long long)a->head_dim, dp);
    EXPECT(pl.threads % 32 == 0 && pl.threads >= 32 && pl.threads <= 1024, "threads %d", pl.threads);
    EXPECT(pl.block_m == 16 * KBC_FLASH2_WARPS(dp) * KBC_FLASH2_MTILES(dp) && pl.threads == 32 * KBC_FLASH2_WARPS(dp),
           "block_m %d for %d threads", pl.block_m, pl.threads);
    EXPECT(pl.block_n % 16 == 0 && pl.block_n >= 16, "block_n %d", pl.block_n);
    /* sm_80 allows 163 KB per block, sm_90 227 KB. */
    EXPECT(pl.smem_bytes == KBC_FLASH2_SMEM_BYTES(dp) && pl.smem_bytes <= 163u * 1024u,
           "smem %zu bytes for d_pad %d", pl.smem_bytes, dp);
    EXPECT(pl.smem_bytes == ((size_t)pl.block_m + 4u * (size_t)pl.block_n) * (size_t)dp * 2u, "smem layout");
    /* The tile loader: every thread copies one 16-byte chunk column. */
    EXPECT(pl.threads % (dp / 8) == 0 && pl.block_n % (pl.threads / (dp / 8)) == 0 &&
               pl.block_m % (pl.threads / (dp / 8)) == 0,
           "loader shape d_pad %d threads %d", dp, pl.threads);
    EXPECT(pl.q_blocks * pl.block_m >= a->seq_q && (pl.q_blocks - 1) * pl.block_m < a->seq_q,
           "q_blocks %lld for seq_q %lld", (long long)pl.q_blocks, (long long)a->seq_q);
    EXPECT(pl.ctas == a->batch * a->heads_q * pl.q_blocks && pl.ctas <= INT32_MAX, "ctas %lld", (long long)pl.ctas);
}

static void test_flash2_plans(void)
{
    for (int64_t d = 1; d <= 256; d++)
        for (int c = 0; c < 2; c++) {
            kb_problem p = attn(d % 2 ? KB_DTYPE_F16 : KB_DTYPE_BF16, 3, 4, 2, 1 + d * 7, 515, d, c);
            check_flash2_plan(&p);
        }
    kb_problem big = attn(KB_DTYPE_F16, 4, 16, 16, 4096, 4096, 128, 0);
    check_flash2_plan(&big);
    kbc_flash2_plan pl;
    char why[256];
    EXPECT(kbc_flash2_plan_make(NULL, &big, &pl, why, sizeof why) == KB_OK && pl.head_dim_pad == 128 &&
               pl.vector_loads && pl.pair_stores,
           "D=128 main path");

    /* Vector (cp.async) loads only with 16-byte aligned rows of whole chunks. */
    struct {
        int64_t d;
        uintptr_t shift; /* bytes added to k's data pointer */
        int64_t pad;     /* extra elements per row of v */
        int want;
    } vc[] = {{64, 0, 0, 1}, {24, 0, 0, 1}, {8, 0, 0, 1}, {5, 0, 0, 0}, {36, 0, 0, 0}, {64, 2, 0, 0},
              {64, 8, 0, 0}, {64, 16, 0, 1}, {64, 0, 8, 1}, {64, 0, 4, 0}, {128, 0, 1, 0}};
    for (size_t i = 0; i < sizeof vc / sizeof vc[0]; i++) {
        kb_problem p = attn(KB_DTYPE_F16, 2, 2, 1, 33, 47, vc[i].d, 1);
        kb_attention_params *a = &p.u.attention;
        a->k.data = (char *)a->k.data + vc[i].shift;
        if (vc[i].pad) {
            a->v.strides[2] = vc[i].d + vc[i].pad;
            a->v.strides[1] = a->v.strides[2] * a->seq_kv;
            a->v.strides[0] = a->v.strides[1] * a->heads_kv;
        }
        EXPECT(kbc_flash2_plan_make(NULL, &p, &pl, why, sizeof why) == KB_OK && pl.vector_loads == vc[i].want,
               "vector_loads d=%lld shift %d pad %lld: want %d", (long long)vc[i].d, (int)vc[i].shift,
               (long long)vc[i].pad, vc[i].want);
    }
    /* Pair stores of O need an even head dim and 4-byte aligned rows. */
    kb_problem p = attn(KB_DTYPE_BF16, 1, 2, 2, 9, 9, 5, 0);
    EXPECT(kbc_flash2_plan_make(NULL, &p, &pl, why, sizeof why) == KB_OK && !pl.pair_stores, "odd d pair stores");
    p = attn(KB_DTYPE_BF16, 1, 2, 2, 9, 9, 6, 0);
    EXPECT(kbc_flash2_plan_make(NULL, &p, &pl, why, sizeof why) == KB_OK && pl.pair_stores, "d=6 pair stores");
    p.u.attention.o.data = (char *)p.u.attention.o.data + 2;
    EXPECT(kbc_flash2_plan_make(NULL, &p, &pl, why, sizeof why) == KB_OK && !pl.pair_stores, "o +2 bytes");
}

static void test_simt_plans(void)
{
    char why[256];
    for (int64_t d = 1; d <= 1024; d += (d < 80 ? 1 : 37)) {
        kb_problem p = attn(KB_DTYPE_F32, 2, 3, 1, 100, 333, d, (int)(d & 1));
        kbc_simt_plan pl;
        kb_status st = kbc_simt_plan_make(NULL, &p, &pl, why, sizeof why);
        EXPECT(st == KB_OK, "simt plan d=%lld: %s", (long long)d, why);
        if (st != KB_OK)
            continue;
        const int c = pl.dim_chunks;
        EXPECT((c & (c - 1)) == 0 && c >= 1 && c <= 32 && 32 * c >= d && (c == 1 || 16 * c < d),
               "d=%lld in %d chunks", (long long)d, c);
        EXPECT(pl.tile_keys >= 1 && pl.tile_keys <= 32 && pl.tile_keys * 32 * c <= KBC_SIMT_TILE_FLOATS,
               "tile_keys %d", pl.tile_keys);
        EXPECT(pl.smem_bytes == 2u * (size_t)pl.tile_keys * 32u * (size_t)c * 4u && pl.smem_bytes <= 48u * 1024u,
               "simt smem %zu", pl.smem_bytes);
        EXPECT(pl.threads == 32 * pl.rows_per_cta && pl.threads <= 1024, "simt threads %d", pl.threads);
        EXPECT(pl.q_blocks * pl.rows_per_cta >= 100 && (pl.q_blocks - 1) * pl.rows_per_cta < 100, "simt q_blocks");
        EXPECT(pl.ctas == 2 * 3 * pl.q_blocks, "simt ctas %lld", (long long)pl.ctas);
    }
}

/* ---- grid coverage -------------------------------------------------------- */

static void test_cta_coords(void)
{
    static const int64_t shapes[][3] = {{1, 1, 1}, {2, 3, 5}, {3, 1, 7}, {1, 16, 32}, {4, 6, 1}, {5, 7, 9}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        const int64_t B = shapes[s][0], H = shapes[s][1], Q = shapes[s][2];
        unsigned char *seen = calloc((size_t)(B * H * Q), 1);
        int bad = 0;
        for (int64_t cta = 0; cta < B * H * Q; cta++) {
            int64_t b, h, qb;
            kbc_attn_cta_coords(cta, Q, H, &b, &h, &qb);
            if (b < 0 || b >= B || h < 0 || h >= H || qb < 0 || qb >= Q) {
                bad++;
                continue;
            }
            seen[(b * H + h) * Q + qb]++;
            /* Query blocks of one head are consecutive CTAs, last block first. */
            if (cta % Q == 0 && qb != Q - 1)
                bad++;
        }
        for (int64_t i = 0; i < B * H * Q; i++)
            if (seen[i] != 1)
                bad++;
        EXPECT(bad == 0, "grid %lldx%lldx%lld: %d CTAs out of range, missed or repeated", (long long)B, (long long)H,
               (long long)Q, bad);
        free(seen);
    }
}

/* ---- causal key-block ranges ------------------------------------------------ */

/* Keys row i sees: 0 .. visible-1 (ops.md: j <= i + Skv - Sq). */
static int64_t row_visible(int64_t i, int64_t sq, int64_t skv, int causal)
{
    if (!causal)
        return skv;
    int64_t v = i + skv - sq + 1;
    return v < 0 ? 0 : (v > skv ? skv : v);
}

static int key_visible(int64_t i, int64_t j, int64_t sq, int64_t skv, int causal)
{
    return j < skv && (!causal || j <= i + skv - sq);
}

/* One query block against brute force.  element: check every (row, key)
 * pair (small shapes); otherwise per row through row_visible. */
static int check_kv_range(int64_t qb, int64_t bm, int64_t bn, int64_t sq, int64_t skv, int causal, int element)
{
    const int64_t q0 = qb * bm, q_end = q0 + bm < sq ? q0 + bm : sq;
    const kbc_attn_kv_range r = kbc_attn_kv_blocks(q0, bm, bn, sq, skv, causal);
    const int64_t key_blocks = (skv + bn - 1) / bn;
    int64_t last_visible = -1; /* last key block with a visible (row, key) */
    int bad = 0;
    if (r.end < 0 || r.end > key_blocks || r.mask_from < 0 || r.mask_from > r.end)
        bad++;
    for (int64_t kb = 0; kb < key_blocks; kb++) {
        const int64_t k0 = kb * bn;
        int any_visible = 0, any_masked = 0; /* masked: a key slot [k0, k0+bn) some row must not use */
        for (int64_t i = q0; i < q_end; i++) {
            if (element) {
                for (int64_t j = k0; j < k0 + bn; j++) {
                    if (key_visible(i, j, sq, skv, causal))
                        any_visible = 1;
                    else
                        any_masked = 1;
                }
            } else {
                const int64_t v = row_visible(i, sq, skv, causal);
                if (v > k0)
                    any_visible = 1;
                if (v < k0 + bn)
                    any_masked = 1;
            }
        }
        if (any_visible)
            last_visible = kb;
        /* Inside the visited range, the mask is applied exactly where needed. */
        if (kb < r.end && (kb >= r.mask_from) != any_masked)
            bad++;
    }
    /* Visited: exactly the blocks up to the last one with a visible key. */
    if (r.end != last_visible + 1)
        bad++;
    if (bad)
        fprintf(stderr, "kv range qb=%lld bm=%lld bn=%lld sq=%lld skv=%lld causal=%d: end %lld mask_from %lld, "
                        "last visible block %lld\n",
                (long long)qb, (long long)bm, (long long)bn, (long long)sq, (long long)skv, causal, (long long)r.end,
                (long long)r.mask_from, (long long)last_visible);
    return bad;
}

static void test_kv_ranges(void)
{
    static const int64_t bms[] = {8, 16, 64, 128};
    static const int64_t bns[] = {4, 8, 32, 64};
    long checked = 0;
    int bad = 0;
    /* Every small shape, element by element. */
    for (int64_t sq = 1; sq <= 40; sq++)
        for (int64_t skv = 0; skv <= 40; skv++)
            for (size_t m = 0; m < 2; m++)
                for (size_t n = 0; n < 2; n++)
                    for (int c = 0; c < 2; c++)
                        for (int64_t qb = 0; qb * bms[m] < sq; qb++, checked++)
                            bad += check_kv_range(qb, bms[m], bns[n], sq, skv, c, 1);
    /* The suites' odd lengths and block-boundary neighbours, row by row. */
    static const int64_t lens[] = {1,   9,   13,  17,  21,  23,  31,  32,  33,  63,  64,  65,  67,  77,
                                   100, 127, 128, 129, 191, 255, 256, 257, 333, 512, 515, 1023, 1024, 1025};
    const size_t nl = sizeof lens / sizeof lens[0];
    for (size_t a = 0; a < nl; a++)
        for (size_t b = 0; b < nl; b++)
            for (size_t m = 0; m < sizeof bms / sizeof bms[0]; m++)
                for (size_t n = 0; n < sizeof bns / sizeof bns[0]; n++)
                    for (int c = 0; c < 2; c++)
                        for (int64_t qb = 0; qb * bms[m] < lens[a]; qb++, checked++)
                            bad += check_kv_range(qb, bms[m], bns[n], lens[a], lens[b], c, 0);
    /* A few of those element by element too (the row shortcut is itself
     * checked against the element rule here). */
    for (size_t a = 0; a < nl; a += 3)
        for (size_t b = 1; b < nl && lens[a] * lens[b] <= 300000; b += 4)
            for (int c = 0; c < 2; c++)
                for (int64_t qb = 0; qb * 64 < lens[a]; qb++, checked++)
                    bad += check_kv_range(qb, 64, 64, lens[a], lens[b], c, 1);
    EXPECT(bad == 0, "%d of %ld key-block ranges wrong", bad, checked);
    EXPECT(checked > 100000, "only %ld ranges checked", checked);

    /* Hand-worked cases. Sq = Skv = 256, 64 x 64 blocks, causal: block 1
     * (rows 64..127) visits key blocks 0, 1 and masks only block 1. */
    kbc_attn_kv_range r = kbc_attn_kv_blocks(64, 64, 64, 256, 256, 1);
    EXPECT(r.end == 2 && r.mask_from == 1, "square causal: end %lld mask_from %lld", (long long)r.end,
           (long long)r.mask_from);
    /* Sq = 333 > Skv = 100: rows 0..232 see nothing; rows 192..255 (block 3
     * of 64) see keys 0..22 at most: one block, masked. */
    r = kbc_attn_kv_blocks(0, 64, 64, 333, 100, 1);
    EXPECT(r.end == 0, "fully masked block visits nothing (end %lld)", (long long)r.end);
    r = kbc_attn_kv_blocks(192, 64, 64, 333, 100, 1);
    EXPECT(r.end == 1 && r.mask_from == 0, "partly masked: end %lld mask_from %lld", (long long)r.end,
           (long long)r.mask_from);
    /* Sq = 1 < Skv = 515 (decode): the one row sees every key; only the
     * tail block (512..514) is masked. */
    r = kbc_attn_kv_blocks(0, 128, 64, 1, 515, 1);
    EXPECT(r.end == 9 && r.mask_from == 8, "decode: end %lld mask_from %lld", (long long)r.end,
           (long long)r.mask_from);
    /* Non-causal, Skv a multiple of the block: no mask at all. */
    r = kbc_attn_kv_blocks(0, 128, 64, 4096, 4096, 0);
    EXPECT(r.end == 64 && r.mask_from == 64, "dense: end %lld mask_from %lld", (long long)r.end,
           (long long)r.mask_from);
}

int main(void)
{
    test_supports();
    test_flash2_plans();
    test_simt_plans();
    test_cta_coords();
    test_kv_ranges();
    if (failures)
        fprintf(stderr, "test_cuda_plan_attention: %d failure(s)\n", failures);
    else
        printf("test_cuda_plan_attention: ok\n");
    return failures != 0;
}
