/*
 * micro_i8.c - the i8 register tile: 6 x 16 int32 accumulators over one KC
 * block of K pairs.  Per pair: two aligned loads of the B units (16 columns
 * x 2 K values as int16), six 32-bit broadcasts of the A units, twelve
 * vpmaddwd (16 exact products each, summed pairwise into int32) and twelve
 * vpaddd.  vpmaddwd rather than vpmaddubsw: the latter adds its pairs in
 * saturating int16, which is not exact for i8 x i8.  12 accumulators + 2 B
 * rows + the broadcast + one product = all 16 ymm registers.
 */
#include "gemm.h"

#define MR KB_GEMM_MR
#define NR KB_GEMM_NR

#define STEP(a, b)                                                                       \
    do {                                                                                 \
        __m256i b0 = _mm256_load_si256((const __m256i *)(b));                            \
        __m256i b1 = _mm256_load_si256((const __m256i *)((b) + 8)), av;                  \
        av = _mm256_set1_epi32((a)[0]);                                                  \
        c00 = _mm256_add_epi32(c00, _mm256_madd_epi16(av, b0));                          \
        c01 = _mm256_add_epi32(c01, _mm256_madd_epi16(av, b1));                          \
        av = _mm256_set1_epi32((a)[1]);                                                  \
        c10 = _mm256_add_epi32(c10, _mm256_madd_epi16(av, b0));                          \
        c11 = _mm256_add_epi32(c11, _mm256_madd_epi16(av, b1));                          \
        av = _mm256_set1_epi32((a)[2]);                                                  \
        c20 = _mm256_add_epi32(c20, _mm256_madd_epi16(av, b0));                          \
        c21 = _mm256_add_epi32(c21, _mm256_madd_epi16(av, b1));                          \
        av = _mm256_set1_epi32((a)[3]);                                                  \
        c30 = _mm256_add_epi32(c30, _mm256_madd_epi16(av, b0));                          \
        c31 = _mm256_add_epi32(c31, _mm256_madd_epi16(av, b1));                          \
        av = _mm256_set1_epi32((a)[4]);                                                  \
        c40 = _mm256_add_epi32(c40, _mm256_madd_epi16(av, b0));                          \
        c41 = _mm256_add_epi32(c41, _mm256_madd_epi16(av, b1));                          \
        av = _mm256_set1_epi32((a)[5]);                                                  \
        c50 = _mm256_add_epi32(c50, _mm256_madd_epi16(av, b0));                          \
        c51 = _mm256_add_epi32(c51, _mm256_madd_epi16(av, b1));                          \
        KEEP_IN_REGISTERS();                                                             \
    } while (0)

/* An empty asm that "changes" the accumulators: integer adds associate, and
 * without it GCC sums the products of unrolled steps before adding them to
 * the accumulators, which needs more than 16 registers and spills. */
#define KEEP_IN_REGISTERS()                                                              \
    __asm__("" : "+x"(c00), "+x"(c01), "+x"(c10), "+x"(c11), "+x"(c20), "+x"(c21),       \
            "+x"(c30), "+x"(c31), "+x"(c40), "+x"(c41), "+x"(c50), "+x"(c51))

void kb_gemm_micro_i8(int64_t kp, const int32_t *restrict a, const int32_t *restrict b,
                      int32_t *restrict acc)
{
    __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00, c20 = c00;
    __m256i c21 = c00, c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    int64_t t = 0;
    for (; t + 2 <= kp; t += 2) {
        STEP(a, b);
        STEP(a + MR, b + NR);
        a += 2 * MR;
        b += 2 * NR;
    }
    for (; t < kp; t++) {
        STEP(a, b);
        a += MR;
        b += NR;
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
