/*
 * micro_f32.c - the f32 register tile: a 6 x 16 block of C held in 12 ymm
 * accumulators over one KC block.  Per K step: two aligned loads of the B
 * row (16 values), six broadcasts of the A column, twelve FMAs.  Zen 4/5
 * (and Haswell on) retire two 256-bit FMAs per cycle with 4-cycle latency,
 * so 12 independent chains keep both pipes full; the 8 loads per 6 cycles
 * stay under the load ports' limit.  Unrolled 4 times to cut loop overhead.
 */
#include "gemm.h"

#define MR KB_GEMM_MR
#define NR KB_GEMM_NR

/* One K step: row r of the tile += a[r] * (b0, b1). */
#define STEP(a, b)                                                                       \
    do {                                                                                 \
        __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps((b) + 8), av;                 \
        av = _mm256_broadcast_ss((a) + 0);                                               \
        c00 = _mm256_fmadd_ps(av, b0, c00);                                              \
        c01 = _mm256_fmadd_ps(av, b1, c01);                                              \
        av = _mm256_broadcast_ss((a) + 1);                                               \
        c10 = _mm256_fmadd_ps(av, b0, c10);                                              \
        c11 = _mm256_fmadd_ps(av, b1, c11);                                              \
        av = _mm256_broadcast_ss((a) + 2);                                               \
        c20 = _mm256_fmadd_ps(av, b0, c20);                                              \
        c21 = _mm256_fmadd_ps(av, b1, c21);                                              \
        av = _mm256_broadcast_ss((a) + 3);                                               \
        c30 = _mm256_fmadd_ps(av, b0, c30);                                              \
        c31 = _mm256_fmadd_ps(av, b1, c31);                                              \
        av = _mm256_broadcast_ss((a) + 4);                                               \
        c40 = _mm256_fmadd_ps(av, b0, c40);                                              \
        c41 = _mm256_fmadd_ps(av, b1, c41);                                              \
        av = _mm256_broadcast_ss((a) + 5);                                               \
        c50 = _mm256_fmadd_ps(av, b0, c50);                                              \
        c51 = _mm256_fmadd_ps(av, b1, c51);                                              \
    } while (0)

void kb_gemm_micro_f32(int64_t kc, const float *restrict a, const float *restrict b,
                       float *restrict acc)
{
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    __m256 c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    int64_t k = 0;
    for (; k + 4 <= kc; k += 4) {
        STEP(a, b);
        STEP(a + MR, b + NR);
        STEP(a + 2 * MR, b + 2 * NR);
        STEP(a + 3 * MR, b + 3 * NR);
        a += 4 * MR;
        b += 4 * NR;
    }
    for (; k < kc; k++) {
        STEP(a, b);
        a += MR;
        b += NR;
    }
    _mm256_storeu_ps(acc + 0 * NR, c00);
    _mm256_storeu_ps(acc + 0 * NR + 8, c01);
    _mm256_storeu_ps(acc + 1 * NR, c10);
    _mm256_storeu_ps(acc + 1 * NR + 8, c11);
    _mm256_storeu_ps(acc + 2 * NR, c20);
    _mm256_storeu_ps(acc + 2 * NR + 8, c21);
    _mm256_storeu_ps(acc + 3 * NR, c30);
    _mm256_storeu_ps(acc + 3 * NR + 8, c31);
    _mm256_storeu_ps(acc + 4 * NR, c40);
    _mm256_storeu_ps(acc + 4 * NR + 8, c41);
    _mm256_storeu_ps(acc + 5 * NR, c50);
    _mm256_storeu_ps(acc + 5 * NR + 8, c51);
}
