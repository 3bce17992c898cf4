/*
 * test_cuda_plan_matmul.c - the cuda plugin's matmul decisions without a GPU:
 * what "tc" and "simt" accept (and with which status), that the grouped
 * block -> tile mapping covers every element of C exactly once, that launch
 * shapes and shared memory are within the device limits, and which load path
 * (16-byte cp.async or element-wise) and which i8 repacks a problem gets.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "expect.h"
#include "kernels.h"
#include "plan_matmul.h"

/* Fake device addresses: supports() and the plans never dereference them. */
#define ADDR(x) ((void *)(uintptr_t)(x))

static void set2(kb_tensor *t, kb_dtype d, int64_t rows, int64_t cols, int64_t ld, uintptr_t addr)
{
    memset(t, 0, sizeof *t);
    t->dtype = d;
    t->rank = 2;
    t->shape[0] = rows;
    t->shape[1] = cols;
    t->strides[0] = ld;
    t->strides[1] = 1;
    t->data = ADDR(addr);
}

/* A well-formed matmul; pad adds to every leading dimension. */
static kb_problem mm(kb_dtype ab, kb_dtype c, int64_t m, int64_t n, int64_t k, int ta, int tb, int64_t pad)
{
    kb_problem p;
    memset(&p, 0, sizeof p);
    p.op = KB_OP_MATMUL;
    kb_matmul_params *q = &p.u.matmul;
    q->m = m;
    q->n = n;
    q->k = k;
    q->trans_a = ta;
    q->trans_b = tb;
    q->alpha = 1.0f;
    q->beta = 0.0f;
    set2(&q->a, ab, ta ? k : m, ta ? m : k, (ta ? m : k) + pad, 0x100000);
    set2(&q->b, ab, tb ? n : k, tb ? k : n, (tb ? k : n) + pad, 0x200000);
    set2(&q->c, c, m, n, n + pad, 0x300000);
    return p;
}

static kb_status tc(const kb_problem *p)
{
    char why[256] = "";
    kb_status st = kbc_matmul_tc_supports(NULL, p, why, sizeof why);
    EXPECT(st == KB_OK || why[0], "tc refused without a reason");
    return st;
}

static kb_status simt(const kb_problem *p)
{
    char why[256] = "";
    kb_status st = kbc_matmul_simt_supports(NULL, p, why, sizeof why);
    EXPECT(st == KB_OK || why[0], "simt refused without a reason");
    return st;
}

static void test_dtypes(void)
{
    const kb_dtype halfs[2] = {KB_DTYPE_F16, KB_DTYPE_BF16};
    const kb_dtype outs[3] = {KB_DTYPE_F32, KB_DTYPE_F16, KB_DTYPE_BF16};
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            for (int t = 0; t < 4; t++) {
                kb_problem p = mm(halfs[i], outs[j], 100, 70, 33, t & 1, t >> 1, 3);
                EXPECT(tc(&p) == KB_OK, "tc %s -> %s ta=%d tb=%d", kb_dtype_name(halfs[i]), kb_dtype_name(outs[j]),
                       t & 1, t >> 1);
                EXPECT(simt(&p) == KB_OK, "simt %s -> %s", kb_dtype_name(halfs[i]), kb_dtype_name(outs[j]));
            }
    for (int j = 0; j < 3; j++) {
        kb_problem p = mm(KB_DTYPE_F32, outs[j], 10, 20, 30, 1, 0, 0);
        EXPECT(tc(&p) == KB_ERR_UNSUPPORTED, "tc must leave f32 inputs to simt");
        EXPECT(simt(&p) == KB_OK, "simt f32 -> %s", kb_dtype_name(outs[j]));
    }
    kb_problem p = mm(KB_DTYPE_F16, KB_DTYPE_F32, 10, 20, 30, 0, 0, 0);
    p.u.matmul.b.dtype = KB_DTYPE_BF16; /* mixed inputs */
    EXPECT(tc(&p) == KB_ERR_UNSUPPORTED && simt(&p) == KB_ERR_UNSUPPORTED, "f16 x bf16 is not a matmul of ops.h");
    p = mm(KB_DTYPE_F16, KB_DTYPE_I32, 10, 20, 30, 0, 0, 0);
    EXPECT(tc(&p) == KB_ERR_UNSUPPORTED && simt(&p) == KB_ERR_UNSUPPORTED, "float inputs with i32 C");
    p = mm(KB_DTYPE_FP8_E4M3, KB_DTYPE_F32, 10, 20, 30, 0, 0, 0);
    EXPECT(tc(&p) == KB_ERR_UNSUPPORTED && simt(&p) == KB_ERR_UNSUPPORTED, "fp8 inputs");
    p = mm(KB_DTYPE_F16, KB_DTYPE_F64, 10, 20, 30, 0, 0, 0);
    EXPECT(tc(&p) == KB_ERR_UNSUPPORTED && simt(&p) == KB_ERR_UNSUPPORTED, "f64 C is the reference's only");
}

static void test_int8(void)
{
    for (int t = 0; t < 4; t++) {
        kb_problem p = mm(KB_DTYPE_I8, KB_DTYPE_I32, 99, 101, 4095, t & 1, t >> 1, 5);
        EXPECT(tc(&p) == KB_OK, "tc i8 ta=%d tb=%d", t & 1, t >> 1);
        p.u.matmul.beta = 1.0f;
        EXPECT(tc(&p) == KB_OK, "tc i8 beta 1 (C += AB)");
        EXPECT(simt(&p) == KB_ERR_UNSUPPORTED, "simt has no int8 path");
    }
    kb_problem p = mm(KB_DTYPE_I8, KB_DTYPE_I32, 8, 8, 8, 0, 0, 0);
    p.u.matmul.alpha = 2.0f;
    EXPECT(tc(&p) == KB_ERR_UNSUPPORTED, "i8 with alpha 2");
    p.u.matmul.alpha = 1.0f;
    p.u.matmul.beta = 0.5f;
    EXPECT(tc(&p) == KB_ERR_UNSUPPORTED, "i8 with beta 0.5");
    p.u.matmul.beta = -1.0f;
    EXPECT(tc(&p) == KB_ERR_UNSUPPORTED, "i8 with beta -1");
    p = mm(KB_DTYPE_I8, KB_DTYPE_F32, 8, 8, 8, 0, 0, 0);
    EXPECT(tc(&p) == KB_ERR_UNSUPPORTED, "i8 with f32 C");
    p = mm(KB_DTYPE_I8, KB_DTYPE_I32, 8, 8, 8, 0, 0, 0);
    p.u.matmul.b.dtype = KB_DTYPE_F16;
    EXPECT(tc(&p) == KB_ERR_UNSUPPORTED, "i8 x f16");
}

static void test_malformed(void)
{
    kb_problem p = mm(KB_DTYPE_F16, KB_DTYPE_F32, 64, 48, 32, 0, 0, 0);
    p.op = KB_OP_SOFTMAX;
    EXPECT(tc(&p) == KB_ERR_INVALID && simt(&p) == KB_ERR_INVALID, "not a matmul");

    p = mm(KB_DTYPE_F16, KB_DTYPE_F32, 64, 48, 32, 0, 0, 0);
    p.u.matmul.m = -1;
    EXPECT(tc(&p) == KB_ERR_INVALID && simt(&p) == KB_ERR_INVALID, "negative m");

    p = mm(KB_DTYPE_F16, KB_DTYPE_F32, 64, 48, 32, 0, 0, 0);
    p.u.matmul.trans_a = 1; /* A is still stored [M, K] */
    EXPECT(tc(&p) == KB_ERR_INVALID && simt(&p) == KB_ERR_INVALID, "A shape not [K, M] with trans_a");

    p = mm(KB_DTYPE_F16, KB_DTYPE_F32, 64, 48, 32, 0, 0, 0);
    p.u.matmul.b.shape[1] = 47;
    EXPECT(tc(&p) == KB_ERR_INVALID && simt(&p) == KB_ERR_INVALID, "B shape");

    p = mm(KB_DTYPE_F16, KB_DTYPE_F32, 64, 48, 32, 0, 0, 0);
    p.u.matmul.c.rank = 3;
    EXPECT(tc(&p) == KB_ERR_INVALID && simt(&p) == KB_ERR_INVALID, "C rank 3");

    p = mm(KB_DTYPE_F16, KB_DTYPE_F32, 64, 48, 32, 0, 0, 0);
    p.u.matmul.a.strides[1] = 2;
    EXPECT(tc(&p) == KB_ERR_INVALID && simt(&p) == KB_ERR_INVALID, "innermost stride 2");

    p = mm(KB_DTYPE_F16, KB_DTYPE_F32, 64, 48, 32, 0, 0, 0);
    p.u.matmul.c.data = NULL;
    EXPECT(tc(&p) == KB_ERR_INVALID && simt(&p) == KB_ERR_INVALID, "NULL C");

    p = mm(KB_DTYPE_F16, KB_DTYPE_F32, 64, 48, 32, 0, 0, 0);
    p.u.matmul.a.strides[0] = 31; /* rows of A overlap */
    EXPECT(tc(&p) == KB_ERR_INVALID && simt(&p) == KB_ERR_INVALID, "lda < k");

    p = mm(KB_DTYPE_I8, KB_DTYPE_I32, 64, 48, 32, 0, 0, 0);
    p.u.matmul.c.strides[0] = 47;
    EXPECT(tc(&p) == KB_ERR_INVALID, "ldc < n");

    p = mm(KB_DTYPE_F16, KB_DTYPE_F32, 1, 48, 32, 0, 0, 0);
    p.u.matmul.a.strides[0] = 7; /* one row: its leading dimension is never used */
    p.u.matmul.c.strides[0] = 0;
    EXPECT(tc(&p) == KB_OK && simt(&p) == KB_OK, "one-row tensors with small leading dimensions");

    p = mm(KB_DTYPE_F16, KB_DTYPE_F32, 0, 48, 0, 0, 0, 0);
    EXPECT(tc(&p) == KB_OK && simt(&p) == KB_OK, "empty problems are well-formed");

    /* Well-formed but too large for 32-bit tile indexing. */
    p = mm(KB_DTYPE_F16, KB_DTYPE_F32, (int64_t)1 << 32, 1, 2, 0, 0, 0);
    EXPECT(tc(&p) == KB_ERR_UNSUPPORTED && simt(&p) == KB_ERR_UNSUPPORTED, "m = 2^32");
    p = mm(KB_DTYPE_F16, KB_DTYPE_F32, (int64_t)1 << 30, (int64_t)1 << 30, 1, 0, 0, 0);
    EXPECT(tc(&p) == KB_ERR_UNSUPPORTED && simt(&p) == KB_ERR_UNSUPPORTED, "2^45 tiles overflow the 1-D grid");
}

static void test_device_limits(void)
{
    kbc_context ctx;
    memset(&ctx, 0, sizeof ctx);
    kb_problem p = mm(KB_DTYPE_BF16, KB_DTYPE_F32, 300, 300, 300, 0, 0, 0);
    char why[256];
    ctx.cc_major = 9;
    ctx.smem_optin = 227 * 1024;
    EXPECT(kbc_matmul_tc_supports(&ctx, &p, why, sizeof why) == KB_OK, "sm_90");
    ctx.cc_major = 8;
    ctx.smem_optin = 163 * 1024;
    EXPECT(kbc_matmul_tc_supports(&ctx, &p, why, sizeof why) == KB_OK, "sm_80");
    ctx.smem_optin = 99 * 1024;
    EXPECT(kbc_matmul_tc_supports(&ctx, &p, why, sizeof why) ==
               (KBC_MM_TC_SMEM_BYTES <= 99 * 1024 ? KB_OK : KB_ERR_UNSUPPORTED),
           "sm_86 (99 KB)");
    ctx.smem_optin = KBC_MM_TC_SMEM_BYTES;
    EXPECT(kbc_matmul_tc_supports(&ctx, &p, why, sizeof why) == KB_OK, "exactly enough shared memory");
    ctx.smem_optin = KBC_MM_TC_SMEM_BYTES - 1;
    EXPECT(kbc_matmul_tc_supports(&ctx, &p, why, sizeof why) == KB_ERR_UNSUPPORTED, "one byte short");
    ctx.cc_major = 7;
    ctx.smem_optin = 96 * 1024;
    EXPECT(kbc_matmul_tc_supports(&ctx, &p, why, sizeof why) == KB_ERR_UNSUPPORTED, "sm_70 has no cp.async");
    EXPECT(kbc_matmul_simt_supports(&ctx, &p, why, sizeof why) == KB_OK, "simt runs anywhere");
}

/* Every tile of a tiles_m x tiles_n grid exactly once. */
static void check_bijection(int64_t tiles_m, int64_t tiles_n, int64_t group)
{
    int64_t total = tiles_m * tiles_n;
    unsigned char *seen = calloc((size_t)total, 1);
    int bad = 0;
    for (int64_t b = 0; b < total && !bad; b++) {
        int64_t tm, tn;
        kbc_mm_tile_of(b, tiles_m, tiles_n, group, &tm, &tn);
        if (tm < 0 || tm >= tiles_m || tn < 0 || tn >= tiles_n || seen[tm * tiles_n + tn]++)
            bad = 1;
    }
    EXPECT(!bad, "tile map %lld x %lld (group %lld) is not a bijection", (long long)tiles_m, (long long)tiles_n,
           (long long)group);
    free(seen);
}

/* The blocks of a plan cover C (m x n) exactly once with bm x bn tiles. */
static void check_cover(int64_t m, int64_t n, int64_t blocks, int64_t tiles_m, int64_t tiles_n, int bm, int bn)
{
    unsigned char *hits = calloc((size_t)(m * n), 1);
    for (int64_t b = 0; b < blocks; b++) {
        int64_t tm, tn;
        kbc_mm_tile_of(b, tiles_m, tiles_n, KBC_MM_GROUP_M, &tm, &tn);
        for (int64_t i = tm * bm; i < (tm + 1) * bm && i < m; i++)
            for (int64_t j = tn * bn; j < (tn + 1) * bn && j < n; j++)
                hits[i * n + j]++;
    }
    int64_t wrong = 0;
    for (int64_t e = 0; e < m * n; e++)
        wrong += hits[e] != 1;
    EXPECT(wrong == 0, "%lld of %lld x %lld elements not covered exactly once", (long long)wrong, (long long)m,
           (long long)n);
    free(hits);
}

static void test_tiles(void)
{
    const int64_t sizes[] = {1, 2, 7, 8, 9, 31, 64, 100};
    for (int i = 0; i < 8; i++)
        for (int j = 0; j < 8; j++)
            for (int64_t g = 1; g <= 9; g += 4)
                check_bijection(sizes[i], sizes[j], g);

    const int64_t dims[][2] = {{1, 1}, {127, 255}, {128, 256}, {129, 257}, {1000, 999}, {255, 257}, {33, 1},
                               {1, 1000}, {2048, 2048}, {777, 555}};
    for (int d = 0; d < 10; d++) {
        int64_t m = dims[d][0], n = dims[d][1];
        kb_problem p = mm(KB_DTYPE_F16, KB_DTYPE_F32, m, n, 77, 0, 1, 0);
        kbc_mm_tc_plan tp;
        kbc_mm_tc_plan_of(&p.u.matmul, &tp);
        check_cover(m, n, tp.blocks, tp.tiles_m, tp.tiles_n, KBC_MM_TC_BM, KBC_MM_TC_BN);
        kbc_mm_simt_plan sp;
        kbc_mm_simt_plan_of(&p.u.matmul, &sp);
        check_cover(m, n, sp.blocks, sp.tiles_m, sp.tiles_n, KBC_MM_SIMT_BM, KBC_MM_SIMT_BN);
    }

    /* Launch shapes in range, 8192^3 and the largest sizes accepted. */
    kb_problem p = mm(KB_DTYPE_F16, KB_DTYPE_F32, 8192, 8192, 8192, 0, 0, 0);
    kbc_mm_tc_plan tp;
    kbc_mm_tc_plan_of(&p.u.matmul, &tp);
    EXPECT(tp.blocks == (8192 / KBC_MM_TC_BM) * (8192 / KBC_MM_TC_BN), "8192^2 C: %lld CTAs", (long long)tp.blocks);
    EXPECT(tp.threads == 32 * (KBC_MM_TC_BM / 64) * (KBC_MM_TC_BN / 64) && tp.threads <= 1024, "tc threads %d",
           tp.threads);
    EXPECT(tp.smem <= 163 * 1024, "tc shared memory %zu does not fit sm_80 (163 KB) nor sm_90 (227 KB)", tp.smem);
    EXPECT((size_t)KBC_MM_TC_MIN_BLOCKS * tp.smem <= 227 * 1024, "%d CTAs per SM do not fit 227 KB",
           KBC_MM_TC_MIN_BLOCKS);
    /* 64 x 64 warp tiles hold 128 accumulators a thread: the register file
     * (64K) must leave 255 registers to each thread of the resident CTAs. */
    EXPECT(tp.threads * KBC_MM_TC_MIN_BLOCKS <= 256, "%d threads x %d CTAs leave under 255 registers a thread",
           tp.threads, KBC_MM_TC_MIN_BLOCKS);
    EXPECT(tp.smem == (size_t)KBC_MM_TC_STAGES * (KBC_MM_TC_BM + KBC_MM_TC_BN) * KBC_MM_TC_BK_BYTES,
           "tc shared memory is the stages of A and B tiles");
    EXPECT(KBC_MM_TC_STAGES >= 3, "at least 3 stages");
    kbc_mm_simt_plan sp;
    kbc_mm_simt_plan_of(&p.u.matmul, &sp);
    EXPECT(sp.smem <= 48 * 1024 && sp.threads == 256, "simt: static shared memory %zu", sp.smem);

    p = mm(KB_DTYPE_F16, KB_DTYPE_F32, 1 << 17, 1 << 17, 1, 0, 0, 0); /* C of 2^34 elements */
    kbc_mm_tc_plan_of(&p.u.matmul, &tp);
    EXPECT(tp.blocks <= INT32_MAX, "1-D grid of %lld CTAs", (long long)tp.blocks);
    kbc_mm_simt_plan_of(&p.u.matmul, &sp);
    EXPECT(sp.blocks <= INT32_MAX, "simt 1-D grid of %lld CTAs", (long long)sp.blocks);

    p = mm(KB_DTYPE_F16, KB_DTYPE_F32, 0, 5, 5, 0, 0, 0);
    kbc_mm_tc_plan_of(&p.u.matmul, &tp);
    EXPECT(tp.blocks == 0, "empty C launches nothing");
}

static void test_load_paths(void)
{
    kbc_mm_tc_plan tp;
    /* Aligned f16: vector path, each operand keeps its layout. */
    for (int t = 0; t < 4; t++) {
        int ta = t & 1, tb = t >> 1;
        kb_problem p = mm(KB_DTYPE_F16, KB_DTYPE_F32, 1024, 1024, 1024, ta, tb, 8);
        kbc_mm_tc_plan_of(&p.u.matmul, &tp);
        EXPECT(tp.load == KBC_MM_LOAD_VECTOR, "aligned f16 ta=%d tb=%d: vector loads", ta, tb);
        EXPECT(tp.a_kmajor == !ta && tp.b_kmajor == tb, "ta=%d tb=%d: shared layouts %d %d", ta, tb, tp.a_kmajor,
               tp.b_kmajor);
        EXPECT(tp.workspace == 0 && !tp.repack_a && !tp.repack_b, "f16 needs no workspace");
    }
    /* pad=7: leading dimensions not a multiple of 8 elements. */
    kb_problem p = mm(KB_DTYPE_F16, KB_DTYPE_F32, 255, 257, 1000, 1, 0, 7);
    kbc_mm_tc_plan_of(&p.u.matmul, &tp);
    EXPECT(tp.load == KBC_MM_LOAD_SCALAR && tp.a_kmajor && tp.b_kmajor, "odd leading dimensions: scalar, K-major");
    /* k = 77 with tb: ldb = 77 halfs = 154 bytes. */
    p = mm(KB_DTYPE_F16, KB_DTYPE_F16, 1000, 999, 77, 0, 1, 0);
    kbc_mm_tc_plan_of(&p.u.matmul, &tp);
    EXPECT(tp.load == KBC_MM_LOAD_SCALAR, "k = 77: scalar");
    /* Aligned leading dimensions, misaligned base pointer. */
    p = mm(KB_DTYPE_BF16, KB_DTYPE_F32, 64, 64, 64, 0, 0, 0);
    p.u.matmul.b.data = ADDR(0x200002);
    kbc_mm_tc_plan_of(&p.u.matmul, &tp);
    EXPECT(tp.load == KBC_MM_LOAD_SCALAR, "B base 2 bytes off: scalar");
    p.u.matmul.b.data = ADDR(0x200010);
    kbc_mm_tc_plan_of(&p.u.matmul, &tp);
    EXPECT(tp.load == KBC_MM_LOAD_VECTOR, "B base 16-byte aligned: vector");
    /* A single row needs no row pitch. */
    p = mm(KB_DTYPE_F16, KB_DTYPE_F32, 1, 64, 64, 0, 1, 0);
    p.u.matmul.a.strides[0] = 65;
    kbc_mm_tc_plan_of(&p.u.matmul, &tp);
    EXPECT(tp.load == KBC_MM_LOAD_VECTOR, "one-row A with an odd pitch: vector");

    /* C pair accesses. */
    p = mm(KB_DTYPE_F16, KB_DTYPE_F16, 64, 64, 64, 0, 0, 0);
    kbc_mm_tc_plan_of(&p.u.matmul, &tp);
    EXPECT(tp.c_pair_ok, "even ldc, aligned C: pairs");
    p = mm(KB_DTYPE_F16, KB_DTYPE_F16, 64, 64, 64, 0, 0, 1);
    kbc_mm_tc_plan_of(&p.u.matmul, &tp);
    EXPECT(!tp.c_pair_ok, "odd ldc: no pairs");
    p = mm(KB_DTYPE_F16, KB_DTYPE_F32, 64, 64, 64, 0, 0, 0);
    p.u.matmul.c.data = ADDR(0x300004);
    kbc_mm_tc_plan_of(&p.u.matmul, &tp);
    EXPECT(!tp.c_pair_ok, "f32 C 4 bytes off 8: no pairs");
}

static void test_int8_plans(void)
{
    kbc_mm_tc_plan tp;
    /* TN: both K-major already. */
    kb_problem p = mm(KB_DTYPE_I8, KB_DTYPE_I32, 8192, 8192, 8192, 0, 1, 0);
    kbc_mm_tc_plan_of(&p.u.matmul, &tp);
    EXPECT(tp.load == KBC_MM_LOAD_VECTOR && !tp.repack_a && !tp.repack_b && tp.workspace == 0, "i8 TN: direct");
    EXPECT(kbc_matmul_tc_workspace(NULL, &p) == 0, "i8 TN workspace");
    /* NN (the perf-gpu case): B transposed into the workspace. */
    p = mm(KB_DTYPE_I8, KB_DTYPE_I32, 8192, 8192, 8192, 0, 0, 0);
    kbc_mm_tc_plan_of(&p.u.matmul, &tp);
    EXPECT(tp.repack_b && !tp.repack_a && tp.ldb_ws == 8192, "i8 NN: repack B");
    EXPECT(tp.workspace == (size_t)8192 * 8192 && tp.ws_b_offset == 0, "i8 NN workspace %zu", tp.workspace);
    EXPECT(tp.load == KBC_MM_LOAD_VECTOR && tp.a_kmajor && tp.b_kmajor, "i8 NN: vector, K-major");
    EXPECT(kbc_matmul_tc_workspace(NULL, &p) == tp.workspace, "workspace() is the plan's");
    /* ta=1, tb=0, odd sizes: both repacked, K rounded up to 16 bytes. */
    p = mm(KB_DTYPE_I8, KB_DTYPE_I32, 99, 101, 4095, 1, 0, 0);
    kbc_mm_tc_plan_of(&p.u.matmul, &tp);
    EXPECT(tp.repack_a && tp.repack_b && tp.lda_ws == 4096 && tp.ldb_ws == 4096, "i8 TT-like: both repacked");
    EXPECT(tp.ws_b_offset >= (size_t)99 * 4096 && tp.ws_b_offset % 256 == 0, "B copy offset %zu", tp.ws_b_offset);
    EXPECT(tp.workspace >= tp.ws_b_offset + (size_t)101 * 4096, "workspace holds both copies");
    EXPECT(tp.load == KBC_MM_LOAD_VECTOR, "repacked operands are aligned");
    /* The workspace never depends on where the tensors live. */
    size_t ws = tp.workspace;
    p.u.matmul.a.data = ADDR(0x100001);
    p.u.matmul.b.data = ADDR(0x200003);
    kbc_mm_tc_plan_of(&p.u.matmul, &tp);
    EXPECT(tp.workspace == ws, "workspace depends on pointers");
    /* K-major operand with an odd leading dimension: element-wise, no copy. */
    p = mm(KB_DTYPE_I8, KB_DTYPE_I32, 1, 7, 3, 0, 1, 2);
    kbc_mm_tc_plan_of(&p.u.matmul, &tp);
    EXPECT(tp.load == KBC_MM_LOAD_SCALAR && tp.workspace == 0, "i8 tb=1 pad=2: scalar");
    /* k = 0: nothing to repack. */
    p = mm(KB_DTYPE_I8, KB_DTYPE_I32, 5, 5, 0, 1, 0, 0);
    kbc_mm_tc_plan_of(&p.u.matmul, &tp);
    EXPECT(tp.workspace == 0, "k = 0 needs no workspace");
    EXPECT(kbc_matmul_simt_workspace(NULL, &p) == 0, "simt has no workspace");
}

int main(void)
{
    test_dtypes();
    test_int8();
    test_malformed();
    test_device_limits();
    test_tiles();
    test_load_paths();
    test_int8_plans();
    if (failures)
        fprintf(stderr, "test_cuda_plan_matmul: %d failure(s)\n", failures);
    else
        printf("test_cuda_plan_matmul: ok\n");
    return failures ? 1 : 0;
}
