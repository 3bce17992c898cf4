/*
 * baseline.c - helpers and conversions shared by the baseline plugins (see
 * baseline.h; their problem checks are <kbench/checks.h>'s).  The conversions are bit manipulations rather than convert.h's
 * general encoder, because a baseline converts whole matrices in its timed
 * run and the general encoder (through f64) would dominate a fast GEMM.
 */
#include "baseline.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

int64_t kb_bl_matmul_extent(const kb_matmul_params *m)
{
    int64_t v[] = {m->m, m->n, m->k, m->a.strides[0], m->b.strides[0], m->c.strides[0]};
    int64_t most = 0;
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        most = v[i] > most ? v[i] : most;
    return most;
}

/* --- conversions ----------------------------------------------------------- */

/* f16 decodes through a table made once with convert.h's exact decoder. */
static float f16_table[65536];
static pthread_once_t f16_once = PTHREAD_ONCE_INIT;

static void f16_table_init(void)
{
    for (uint32_t h = 0; h < 65536; h++)
        f16_table[h] = kb_f16_to_f32((uint16_t)h);
}

void kb_bl_to_f32(kb_dtype t, const void *src, int64_t n, float *dst)
{
    if (n <= 0)
        return;
    if (t == KB_DTYPE_F32) {
        memcpy(dst, src, (size_t)n * sizeof(float));
    } else if (t == KB_DTYPE_F16) {
        pthread_once(&f16_once, f16_table_init);
        const uint16_t *s = src;
        for (int64_t i = 0; i < n; i++)
            dst[i] = f16_table[s[i]];
    } else { /* bf16: the top half of an f32, so a shift is exact */
        const uint16_t *s = src;
        for (int64_t i = 0; i < n; i++) {
            uint32_t bits = (uint32_t)s[i] << 16;
            memcpy(&dst[i], &bits, sizeof bits);
        }
    }
}

static uint32_t bits_of(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* bf16: add just under half an ulp of bf16 (plus the kept lsb, which makes
 * exact ties go to even) and truncate; a carry out of the largest finite
 * value lands on the infinity code, which is the non-saturating rule. */
static uint16_t bf16_of(float f)
{
    uint32_t x = bits_of(f);
    if ((x & 0x7FFFFFFFu) > 0x7F800000u)
        return (uint16_t)(((x >> 16) & 0x8000u) | 0x7FC0u);
    return (uint16_t)((x + 0x7FFFu + ((x >> 16) & 1u)) >> 16);
}

/* f16: normals rebias the exponent (127 -> 15) and round like bf16 at bit
 * 13; magnitudes that round to 65520 or more overflow.  Below the smallest
 * normal (2^-14) the value is a multiple of 2^-24, which is exactly the ulp of
 * f32 numbers in [0.5, 1): adding 0.5f makes the FPU round the magnitude to
 * that grid (to nearest even), and the bits above 0.5f's are the code. */
static uint16_t f16_of(float f)
{
    uint32_t x = bits_of(f);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t ax = x & 0x7FFFFFFFu;
    if (ax > 0x7F800000u)
        return sign | 0x7E00u;
    if (ax >= 0x477FF000u) /* 65520: the tie above 65504 rounds to even = overflow */
        return sign | 0x7C00u;
    if (ax >= 0x38800000u) { /* 2^-14 */
        uint32_t r = ax - 0x38000000u + 0xFFFu + ((ax >> 13) & 1u);
        return sign | (uint16_t)(r >> 13);
    }
    float a;
    memcpy(&a, &ax, sizeof a);
    return sign | (uint16_t)(bits_of(a + 0.5f) - bits_of(0.5f));
}

void kb_bl_from_f32(kb_dtype t, const float *src, int64_t n, void *dst)
{
    if (n <= 0)
        return;
    if (t == KB_DTYPE_F32) {
        memcpy(dst, src, (size_t)n * sizeof(float));
    } else if (t == KB_DTYPE_F16) {
        uint16_t *d = dst;
        for (int64_t i = 0; i < n; i++)
            d[i] = f16_of(src[i]);
    } else {
        uint16_t *d = dst;
        for (int64_t i = 0; i < n; i++)
            d[i] = bf16_of(src[i]);
    }
}
