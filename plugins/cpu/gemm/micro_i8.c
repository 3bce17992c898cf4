/*
 * micro_i8.c - the i8 register tile: 6 x 16 int32 accumulators over one KC
 * block of K pairs.  Per pair: two aligned loads of the B units (16 columns
 * x 2 K values as int16), six 32-bit broadcasts of the A units, twelve
 * vpmaddwd (16 exact products each, summed pairwise into int32) and twelve
 * vpaddd.  vpmaddwd rather than vpmaddubsw: the latter adds its pairs in
 * saturating int16, which is not exact for i8 x i8.  12 accumulators + 2 B
 * rows + the broadcast + one product = all 16 ymm registers.  The body is
 * micro_i8_tile.h, shared with micro_i8_vnni.c.
 */
/* An empty asm that "changes" the accumulators: integer adds associate, and
 * without it GCC sums the products of unrolled steps before adding them to
 * the accumulators, which needs more than 16 registers and spills. */
#define KB_I8_KEEP()                                                                     \
    __asm__("" : "+x"(c00), "+x"(c01), "+x"(c10), "+x"(c11), "+x"(c20), "+x"(c21),       \
            "+x"(c30), "+x"(c31), "+x"(c40), "+x"(c41), "+x"(c50), "+x"(c51))
#define KB_I8_MADD(c, a, b) _mm256_add_epi32((c), _mm256_madd_epi16((a), (b)))
#define KB_I8_TILE_NAME kb_gemm_micro_i8
#include "micro_i8_tile.h"
