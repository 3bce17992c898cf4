/*
 * micro_i8_vnni.c - the i8 register tile for CPUs with AVX-VNNI (VEX-encoded
 * and 256-bit: Zen 5, Intel from Alder Lake; not AVX-512), on the quad
 * panels of pack_u8s8.c.  Per K quad: two aligned loads of B (16 columns x 4
 * signed bytes), six 32-bit broadcasts of biased A (4 unsigned bytes), and
 * twelve vpdpbusd, each adding 4 exact products per lane to an int32
 * accumulator without saturation: 32 multiply-adds per instruction, against
 * 16 for vpmaddwd (micro_i8.c), which also needs a separate vpaddd.  The
 * store removes the bias (pack_u8s8.c).  Chosen at run time
 * (kb_gemm_has_avxvnni); compiled with -mavxvnni.  The body is
 * micro_i8_tile.h, shared with micro_i8.c.
 */
#include <cpuid.h>

/* vpdpbusd accumulates in one instruction: nothing for GCC to reassociate. */
#define KB_I8_KEEP() ((void)0)
#define KB_I8_MADD(c, a, b) _mm256_dpbusd_avx_epi32((c), (a), (b))
#define KB_I8_TILE_NAME kb_gemm_micro_u8s8
#include "micro_i8_tile.h"

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
