/*
 * micro_i8_tile.h - the body of both i8 register tiles (6 x 16 int32
 * accumulators over one KC block of K units), included once by micro_i8.c
 * (vpmaddwd on K pairs) and once by micro_i8_vnni.c (vpdpbusd on K quads).
 * The two differ only in the multiply-add, so the includer defines, before
 * including this file:
 *
 *   KB_I8_TILE_NAME      the function's name;
 *   KB_I8_MADD(c, a, b)  an expression: accumulator c (__m256i) plus the
 *                        products of the broadcast A unit a and the B row b;
 *   KB_I8_KEEP()         a statement run after each unit (may be empty).
 *
 * The function is  void NAME(int64_t units, const int32_t *a, const int32_t
 * *b, int32_t *acc): a holds units x MR A units, b units x NR B units (32-bit
 * each: a pair of int16 or a quad of bytes), acc receives the 6 x 16 tile.
 * Per unit: two aligned loads of B, six 32-bit broadcasts of A and twelve
 * multiply-adds; 12 accumulators + 2 B rows + the broadcast (+ one product
 * for vpmaddwd) fit the 16 ymm registers.  The macros expand in place, so
 * each includer compiles to the same code as a hand-written copy.
 */
#include "gemm.h"

#if !defined(KB_I8_TILE_NAME) || !defined(KB_I8_MADD) || !defined(KB_I8_KEEP)
#error "define KB_I8_TILE_NAME, KB_I8_MADD and KB_I8_KEEP before including micro_i8_tile.h"
#endif

#define KB_I8_STEP(a, b)                                                                 \
    do {                                                                                 \
        __m256i b0 = _mm256_load_si256((const __m256i *)(b));                            \
        __m256i b1 = _mm256_load_si256((const __m256i *)((b) + 8)), av;                  \
        av = _mm256_set1_epi32((a)[0]);                                                  \
        c00 = KB_I8_MADD(c00, av, b0);                                                   \
        c01 = KB_I8_MADD(c01, av, b1);                                                   \
        av = _mm256_set1_epi32((a)[1]);                                                  \
        c10 = KB_I8_MADD(c10, av, b0);                                                   \
        c11 = KB_I8_MADD(c11, av, b1);                                                   \
        av = _mm256_set1_epi32((a)[2]);                                                  \
        c20 = KB_I8_MADD(c20, av, b0);                                                   \
        c21 = KB_I8_MADD(c21, av, b1);                                                   \
        av = _mm256_set1_epi32((a)[3]);                                                  \
        c30 = KB_I8_MADD(c30, av, b0);                                                   \
        c31 = KB_I8_MADD(c31, av, b1);                                                   \
        av = _mm256_set1_epi32((a)[4]);                                                  \
        c40 = KB_I8_MADD(c40, av, b0);                                                   \
        c41 = KB_I8_MADD(c41, av, b1);                                                   \
        av = _mm256_set1_epi32((a)[5]);                                                  \
        c50 = KB_I8_MADD(c50, av, b0);                                                   \
        c51 = KB_I8_MADD(c51, av, b1);                                                   \
        KB_I8_KEEP();                                                                    \
    } while (0)

void KB_I8_TILE_NAME(int64_t units, const int32_t *restrict a, const int32_t *restrict b,
                     int32_t *restrict acc)
{
    __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00, c20 = c00;
    __m256i c21 = c00, c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    int64_t t = 0;
    for (; t + 2 <= units; t += 2) {
        KB_I8_STEP(a, b);
        KB_I8_STEP(a + KB_GEMM_MR, b + KB_GEMM_NR);
        a += 2 * KB_GEMM_MR;
        b += 2 * KB_GEMM_NR;
    }
    for (; t < units; t++) {
        KB_I8_STEP(a, b);
        a += KB_GEMM_MR;
        b += KB_GEMM_NR;
    }
    __m256i *out = (__m256i *)acc;
    _mm256_storeu_si256(out + 0, c00);
    _mm256_storeu_si256(out + 1, c01);
    _mm256_storeu_si256(out + 2, c10);
    _mm256_storeu_si256(out + 3, c11);
    _mm256_storeu_si256(out + 4, c20);
    _mm256_storeu_si256(out + 5, c21);
    _mm256_storeu_si256(out + 6, c30);
    _mm256_storeu_si256(out + 7, c31);
    _mm256_storeu_si256(out + 8, c40);
    _mm256_storeu_si256(out + 9, c41);
    _mm256_storeu_si256(out + 10, c50);
    _mm256_storeu_si256(out + 11, c51);
}

#undef KB_I8_STEP
