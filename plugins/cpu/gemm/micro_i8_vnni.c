/*
 * micro_i8_vnni.c - the i8 register tile for CPUs with AVX-VNNI (VEX-encoded
 * and 256-bit: Zen 5, Intel from Alder Lake; not AVX-512), on the quad
 * panels of pack_u8s8.c.  Per K quad: two aligned loads of B (16 columns x 4
 * signed bytes), six 32-bit broadcasts of biased A (4 unsigned bytes), and
 * twelve vpdpbusd, each adding 4 exact products per lane to an int32
 * accumulator without saturation: 32 multiply-adds per instruction, against
 * 16 for vpmaddwd (micro_i8.c), which also needs a separate vpaddd.  The
 * store removes the bias (pack_u8s8.c).  Chosen at run time
 * (kb_gemm_has_avxvnni); compiled with -mavxvnni.
 */
#include <cpuid.h>

#include "gemm.h"

#define MR KB_GEMM_MR
#define NR KB_GEMM_NR

#define STEP(a, b)                                                                       \
    do {                                                                                 \
        __m256i b0 = _mm256_load_si256((const __m256i *)(b));                            \
        __m256i b1 = _mm256_load_si256((const __m256i *)((b) + 8)), av;                  \
        av = _mm256_set1_epi32((a)[0]);                                                  \
        c00 = _mm256_dpbusd_avx_epi32(c00, av, b0);                                      \
        c01 = _mm256_dpbusd_avx_epi32(c01, av, b1);                                      \
        av = _mm256_set1_epi32((a)[1]);                                                  \
        c10 = _mm256_dpbusd_avx_epi32(c10, av, b0);                                      \
        c11 = _mm256_dpbusd_avx_epi32(c11, av, b1);                                      \
        av = _mm256_set1_epi32((a)[2]);                                                  \
        c20 = _mm256_dpbusd_avx_epi32(c20, av, b0);                                      \
        c21 = _mm256_dpbusd_avx_epi32(c21, av, b1);                                      \
        av = _mm256_set1_epi32((a)[3]);                                                  \
        c30 = _mm256_dpbusd_avx_epi32(c30, av, b0);                                      \
        c31 = _mm256_dpbusd_avx_epi32(c31, av, b1);                                      \
        av = _mm256_set1_epi32((a)[4]);                                                  \
        c40 = _mm256_dpbusd_avx_epi32(c40, av, b0);                                      \
        c41 = _mm256_dpbusd_avx_epi32(c41, av, b1);                                      \
        av = _mm256_set1_epi32((a)[5]);                                                  \
        c50 = _mm256_dpbusd_avx_epi32(c50, av, b0);                                      \
        c51 = _mm256_dpbusd_avx_epi32(c51, av, b1);                                      \
    } while (0)

void kb_gemm_micro_u8s8(int64_t kq, const int32_t *restrict a, const int32_t *restrict b,
                           int32_t *restrict acc)
{
    __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00, c20 = c00;
    __m256i c21 = c00, c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    int64_t t = 0;
    for (; t + 2 <= kq; t += 2) {
        STEP(a, b);
        STEP(a + MR, b + NR);
        a += 2 * MR;
        b += 2 * NR;
    }
    for (; t < kq; t++) {
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

/* CPUID leaf 7, sub-leaf 1, EAX bit 4.  By hand: GCC knows "avxvnni" in
 * __builtin_cpu_supports, Clang 14 does not.  The OS's saving of the ymm
 * state is already checked with AVX2 (kb_cpu_has_avx2_fma_f16c). */
int kb_gemm_has_avxvnni(void)
{
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx))
        return 0;
    return (eax >> 4) & 1u;
}
