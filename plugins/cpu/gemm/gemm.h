/*
 * gemm.h - the cpu plugin's packed, cache-blocked GEMM ("gemm" matmul
 * kernel) in the style of BLIS / GotoBLAS.  Internal to plugins/cpu/gemm/.
 *
 *   gemm.c       supports / workspace / run: the jc (NC) and pc (KC) loops,
 *                the thread split of the ic (MC) loop, C's epilogue per step
 *   blocking.c   cache sizes -> KC, MC, NC
 *   pack_f32.c   op(A) -> MR-row panels, op(B) -> NR-column panels, f32,
 *                decoding f16 / bf16 on the way (F16C, shifts)
 *   pack_i8.c    the same for i8, as sign-extended 16-bit pairs along K
 *   macro.c      the jr / ir loops over one packed A block and B panel
 *   micro_f32.c  the 6 x 16 FMA register tile
 *   micro_i8.c   the 6 x 16 vpmaddwd register tile
 *   pack_u8s8.c, micro_i8_vnni.c   the i8 path on CPUs with AVX-VNNI:
 *                K in quads, vpdpbusd on biased A
 *   store.c      a register tile -> C: alpha, beta, dtype, edge tiles
 *
 * Every file here is compiled with -mavx2 -mfma -mf16c (the two VNNI files
 * with -mavxvnni too); gemm.c's supports() refuses CPUs without AVX2, FMA
 * and F16C before any of this code runs, and calls the VNNI files only when
 * CPUID reports AVX-VNNI.
 */
#ifndef KB_CPU_GEMM_H
#define KB_CPU_GEMM_H

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "../cpu.h"

/* Register tile: 6 rows x 16 columns = 12 ymm accumulators, + 2 for the B
 * row and 1 for the broadcast A value: 15 of AVX2's 16 registers.  Per k
 * step it issues 12 FMAs against 2 vector loads and 6 broadcasts, so Zen's
 * two FMA pipes stay busy (6 cycles) while its load ports have slack, and
 * 12 independent chains cover the FMA latency (4 cycles x 2 pipes = 8). */
#define KB_GEMM_MR 6
#define KB_GEMM_NR 16

/* --- blocking.c ----------------------------------------------------------- */

typedef struct kb_gemm_blocks {
    int64_t kc; /* K per packed panel (K values, a multiple of k_per_unit) */
    int64_t mc; /* rows of A per packed block (multiple of MR) */
    int64_t nc; /* columns of B per packed panel (multiple of NR) */
} kb_gemm_blocks;

/* Block sizes for panels of 4-byte units that each cover `k_per_unit` K
 * values: 1 (f32), 2 (i8 as 16-bit pairs), 4 (i8 quads for vpdpbusd); kc
 * grows with it, so the panels' bytes stay the same.  Cache sizes are read
 * once. */
kb_gemm_blocks kb_gemm_block_sizes(int k_per_unit);

/* --- operands ------------------------------------------------------------- */

/* op(X) as a rows x cols matrix: element (r, c) lives at r * rs + c * cs
 * (in elements).  One of rs, cs is 1 (the harness's innermost stride). */
typedef struct kb_gemm_view {
    const void *data;
    kb_dtype dtype;
    int64_t rows, cols;
    int64_t rs, cs;
} kb_gemm_view;

/* --- pack_f32.c / pack_i8.c ------------------------------------------------ */

/* A rows [i0, i0 + mc), K [k0, k0 + kc) -> ceil(mc / MR) panels, panel p at
 * dst + p * MR * kc holding (k, r) at k * MR + r; rows past mc are zero. */
void kb_gemm_pack_a_f32(const kb_gemm_view *a, int64_t i0, int64_t mc, int64_t k0, int64_t kc,
                        float *dst);
/* B K [k0, k0 + kc), columns [j0, j0 + nc) -> ceil(nc / NR) panels, panel q
 * at dst + q * NR * kc holding (k, c) at k * NR + c; columns past nc are 0. */
void kb_gemm_pack_b_f32(const kb_gemm_view *b, int64_t k0, int64_t kc, int64_t j0, int64_t nc,
                        float *dst);

/* i8: K is taken in pairs (kp = ceil(kc / 2), a missing last value is 0),
 * each pair sign-extended to two int16 in one 32-bit unit, low half first.
 * A panel p at dst + p * MR * kp units: unit (t, r) at t * MR + r.
 * B panel q at dst + q * NR * kp units: unit (t, c) at t * NR + c.
 * k0 is even. */
void kb_gemm_pack_a_i8(const kb_gemm_view *a, int64_t i0, int64_t mc, int64_t k0, int64_t kc,
                       int32_t *dst);
void kb_gemm_pack_b_i8(const kb_gemm_view *b, int64_t k0, int64_t kc, int64_t j0, int64_t nc,
                       int32_t *dst);

/* --- micro_f32.c / micro_i8.c ---------------------------------------------- */

/* acc[r * NR + c] = sum_k a[k * MR + r] * b[k * NR + c] (b 32-byte aligned). */
void kb_gemm_micro_f32(int64_t kc, const float *a, const float *b, float *acc);
/* acc[r * NR + c] = sum over pairs t of the two products of unit (t, r) of a
 * and unit (t, c) of b, exact in int32 (vpmaddwd; b 32-byte aligned). */
void kb_gemm_micro_i8(int64_t kp, const int32_t *a, const int32_t *b, int32_t *acc);

/* --- pack_u8s8.c / micro_i8_vnni.c: i8 on CPUs with AVX-VNNI --------------- */

int kb_gemm_has_avxvnni(void);
/* K in quads (kq = ceil(kc / 4)): a 32-bit unit holds 4 K values.  A is
 * biased to unsigned (a + 128), unit (t, r) at t * MR + r of its panel; B
 * is as is, unit (t, c) at t * NR + c, and colsum[c] (NR per panel, at
 * colsum + q * NR) gets the sum of B's column over the block, so that the
 * store can take 128 * colsum off.  k0 is a multiple of 4. */
void kb_gemm_pack_a_u8q(const kb_gemm_view *a, int64_t i0, int64_t mc, int64_t k0, int64_t kc,
                        int32_t *dst);
void kb_gemm_pack_b_s8q(const kb_gemm_view *b, int64_t k0, int64_t kc, int64_t j0, int64_t nc,
                        int32_t *dst, int32_t *colsum);
/* acc[r * NR + c] = sum of the 4 x kq products of biased A and B units. */
void kb_gemm_micro_u8s8(int64_t kq, const int32_t *a, const int32_t *b, int32_t *acc);

/* Either i8 tile: kb_gemm_micro_i8 (pairs) or kb_gemm_micro_u8s8 (quads). */
typedef void (*kb_gemm_micro_i8_fn)(int64_t units, const int32_t *a, const int32_t *b,
                                    int32_t *acc);

/* --- store.c -------------------------------------------------------------- */

/* Where one pc step's tile goes and how:
 *   v = alpha * (acc + add[i, j]) + beta * dst[i, j],   rounded to dst's dtype;
 * add == NULL: no addend; beta == 0: dst is not read (it may hold NaN). */
typedef struct kb_gemm_out {
    void *dst;
    kb_dtype dtype; /* f32, f16 or bf16 */
    int64_t ld;
    const float *add; /* f32 partial sums of earlier K blocks, or NULL */
    int64_t add_ld;
    float alpha, beta;
} kb_gemm_out;

/* Write the top-left rows x cols of an MR x NR tile at (i, j). */
void kb_gemm_store_f32(const kb_gemm_out *o, int64_t i, int64_t j, int rows, int cols,
                       const float *acc);
/* C[i, j] = v (accumulate == 0) or C[i, j] += v, wrapping mod 2^32, where
 * v = acc - 128 colsum[j] for the quad path, v = acc when colsum is NULL. */
void kb_gemm_store_i32(int32_t *c, int64_t ldc, int accumulate, int64_t i, int64_t j, int rows,
                       int cols, const int32_t *acc, const int32_t *colsum);

/* --- macro.c -------------------------------------------------------------- */

/* C block at (i0, j0), mc x nc, from a packed A block (ceil(mc / MR)
 * panels) and nc columns of packed B panels, both over the same kc. */
void kb_gemm_macro_f32(int64_t kc, const float *apack, int64_t mc, const float *bpack,
                       int64_t nc, const kb_gemm_out *o, int64_t i0, int64_t j0);
/* i8: `units` per K block for either tile; colsum (quad path, else NULL)
 * holds the nc column sums of the B panels given. */
void kb_gemm_macro_i8(kb_gemm_micro_i8_fn micro, int64_t units, const int32_t *apack, int64_t mc,
                      const int32_t *bpack, const int32_t *colsum, int64_t nc, int32_t *c,
                      int64_t ldc, int accumulate, int64_t i0, int64_t j0);

/* --- element access shared by the packers and the epilogue ---------------- */

/* One f32 / f16 / bf16 element as f32 (f16 through F16C: exact). */
static inline float kb_gemm_load1(const void *p, kb_dtype t, int64_t off)
{
    if (t == KB_DTYPE_F32)
        return ((const float *)p)[off];
    uint16_t h = ((const uint16_t *)p)[off];
    if (t == KB_DTYPE_F16)
        return _cvtsh_ss(h);
    uint32_t bits = (uint32_t)h << 16; /* bf16 is the top half of an f32 */
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* Eight consecutive elements as f32. */
static inline __m256 kb_gemm_load8(const void *p, kb_dtype t, int64_t off)
{
    if (t == KB_DTYPE_F32)
        return _mm256_loadu_ps((const float *)p + off);
    __m128i h = _mm_loadu_si128((const __m128i *)((const uint16_t *)p + off));
    if (t == KB_DTYPE_F16)
        return _mm256_cvtph_ps(h);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

/* Transpose 8 rows of 8 floats in place. */
static inline void kb_gemm_transpose8(__m256 r[8])
{
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
    r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
    r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
    r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
    r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
    r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
    r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
    r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

/* Store the first 6 lanes of v (an A panel's column of MR = 6 values). */
static inline void kb_gemm_store6(float *dst, __m256 v)
{
    _mm_storeu_ps(dst, _mm256_castps256_ps128(v));
    _mm_storel_pi((__m64 *)(dst + 4), _mm256_extractf128_ps(v, 1));
}

static inline int64_t kb_gemm_min(int64_t a, int64_t b) { return a < b ? a : b; }

#endif /* KB_CPU_GEMM_H */
